"""Identity: the customers' user pool. Every customer-facing API trusts its ID tokens and nothing else.

A customer's id is the token's `sub` and their address its `email` claim, so no request can act for
another customer or send mail to an address its caller has not verified.
"""

from __future__ import annotations

import pulumi

from components import UserPool, UserPoolArgs
from settings import Settings


class Identity(pulumi.ComponentResource):
    """Owns the user pool; other services only reference `user_pool_arn`, `client_id` and `issuer`."""

    def __init__(self, name: str, settings: Settings, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("eventshop:services:Identity", name, None, opts)
        data = settings.data
        self.users = UserPool(
            "customers",
            UserPoolArgs(
                mfa=settings.identity.mfa,
                self_sign_up=settings.identity.self_sign_up,
                deletion_protection=data.deletion_protection,
                protect=data.protect,
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.user_pool_id = self.users.pool.id
        self.user_pool_arn = self.users.pool.arn
        self.client_id = self.users.client.id
        self.issuer = self.users.issuer
        self.register_outputs({"user_pool_id": self.user_pool_id, "client_id": self.client_id, "issuer": self.issuer})
