"""The shop's services, each a ComponentResource composed from components/."""
