"""The customers' user pool in the local cloud: create a confirmed customer and sign them in.

moto's cognito-idp issues real RS256 ID tokens (``iss``, ``aud``, ``sub``, ``email``, ``token_use``, ``exp``), so
scripts, tests and the storefront sign in exactly as they would against the deployed pool, through the app
client the program declares (``USER_PASSWORD_AUTH``).
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from devtools.program import ProgramRun

USER_POOL = "aws:cognito/userPool:UserPool"
USER_POOL_CLIENT = "aws:cognito/userPoolClient:UserPoolClient"
# What Cognito admits as an email username (see moto_patches: RFC 5322 atext before the @), at most 254 long.
_EMAIL = re.compile(r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9-]+)+$")


class UserError(ValueError):
    """A request to create or sign in a user is invalid; the message names the field."""


@dataclass(frozen=True)
class SignedIn:
    customer_id: str
    email: str
    id_token: str

    def as_dict(self) -> dict[str, str]:
        return {"customerId": self.customer_id, "email": self.email, "idToken": self.id_token}


class LocalIdentity:
    """The program's one user pool and app client, as deployed into moto."""

    def __init__(self, run: ProgramRun, cognito: Any, region: str) -> None:
        pools = run.of_type(USER_POOL)
        clients = run.of_type(USER_POOL_CLIENT)
        if len(pools) != 1 or len(clients) != 1:
            raise RuntimeError(
                f"the local cloud expects one user pool and one app client, the program declares "
                f"{len(pools)} and {len(clients)}"
            )
        self.user_pool_id = str(pools[0].id)
        self.user_pool_arn = str(pools[0].outputs["arn"])
        self.client_id = str(clients[0].id)
        self.region = region
        self.issuer = f"https://cognito-idp.{region}.amazonaws.com/{self.user_pool_id}"
        self._cognito = cognito

    def create_user(self, body: Any) -> SignedIn:
        """A confirmed customer with a verified email, signed in. ``body``: ``{"email", "password"?}``.

        Without a password one is generated and never shown: the answer's ID token is the way in.
        """
        if not isinstance(body, dict):
            raise UserError('body: must be a JSON object like {"email": "ada@example.com"}')
        unknown = sorted(set(body) - {"email", "password"})
        if unknown:
            raise UserError(f"body: unknown field(s) {', '.join(unknown)} (known: email, password)")
        email = body.get("email")
        if not isinstance(email, str) or len(email) > 254 or not _EMAIL.match(email):
            raise UserError(f"email: must be an email address, got {email!r}")
        password = body.get("password")
        if password is None:
            # Meets the pool's policy whatever it draws: upper, lower, digit, symbol, 12 or more.
            password = f"{secrets.token_urlsafe(18)}Aa1!"
        elif not isinstance(password, str):
            raise UserError("password: must be a string")
        try:
            self._cognito.admin_create_user(
                UserPoolId=self.user_pool_id,
                Username=email,
                UserAttributes=[{"Name": "email", "Value": email}, {"Name": "email_verified", "Value": "true"}],
                MessageAction="SUPPRESS",
            )
            self._cognito.admin_set_user_password(
                UserPoolId=self.user_pool_id, Username=email, Password=password, Permanent=True
            )
        except ClientError as error:
            code = error.response["Error"]["Code"]
            if code == "UsernameExistsException":
                raise UserError(f"email: a customer with {email!r} already exists") from error
            if code == "InvalidPasswordException":
                raise UserError(f"password: {error.response['Error']['Message']}") from error
            raise
        return self.sign_in(email, password)

    def sign_in(self, email: str, password: str) -> SignedIn:
        """Signs in through the app client, as the storefront does, and reads who the token says."""
        result = self._cognito.initiate_auth(
            ClientId=self.client_id,
            AuthFlow="USER_PASSWORD_AUTH",
            AuthParameters={"USERNAME": email, "PASSWORD": password},
        )["AuthenticationResult"]
        user = self._cognito.get_user(AccessToken=result["AccessToken"])
        attributes = {item["Name"]: item["Value"] for item in user["UserAttributes"]}
        return SignedIn(customer_id=attributes["sub"], email=attributes["email"], id_token=result["IdToken"])
