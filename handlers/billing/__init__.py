"""Billing service: charges OrderPlaced through a simulated provider, emits PaymentSucceeded/Failed."""
