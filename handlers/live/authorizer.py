"""The WebSocket API's `$connect` authorizer: a REQUEST Lambda authorizer over the customer's Cognito ID token.

Handler string ``handlers.live.authorizer.handler``. Environment: ``USER_POOL_ISSUER``, ``USER_POOL_CLIENT_ID``.

Browsers cannot set headers on a WebSocket, so the token comes as ``?token=`` (the route's identity source:
API Gateway refuses a request without it before calling this). A valid token answers a policy allowing
exactly the ``$connect`` being asked for (``methodArn``), ``principalId`` = the token's ``sub``, and the
context ``{"customerId": sub}`` the `$connect` integration reads. Anything else raises ``Unauthorized``,
which API Gateway answers with 401. Neither the token nor the customer's address is ever logged.
"""

from __future__ import annotations

import os
from typing import Any

from aws_lambda_powertools.utilities.data_classes.api_gateway_authorizer_event import (
    APIGatewayAuthorizerRequestEvent,
)
from aws_lambda_powertools.utilities.typing import LambdaContext

from handlers.live.tokens import InvalidTokenError, TokenVerifier
from handlers.shared.redaction import redacting_logger

logger = redacting_logger()
#: One per container: its key cache lives as long as the container.
verifier = TokenVerifier(issuer=os.environ["USER_POOL_ISSUER"], audience=os.environ["USER_POOL_CLIENT_ID"])
IDENTITY_PARAMETER = "token"


class UnauthorizedError(Exception):
    """API Gateway answers 401 when an authorizer fails with exactly the message ``Unauthorized``."""

    def __init__(self) -> None:
        super().__init__("Unauthorized")


def allow(method_arn: str, customer_id: str) -> dict[str, Any]:
    """The IAM policy that lets this one request through, and the context its integration receives."""
    return {
        "principalId": customer_id,
        "policyDocument": {
            "Version": "2012-10-17",
            "Statement": [{"Action": "execute-api:Invoke", "Effect": "Allow", "Resource": method_arn}],
        },
        "context": {"customerId": customer_id},
    }


def authorize(event: APIGatewayAuthorizerRequestEvent) -> dict[str, Any]:
    token = (event.query_string_parameters or {}).get(IDENTITY_PARAMETER)
    try:
        claims = verifier.verify(token)
    except InvalidTokenError as error:
        logger.info("Connection refused", extra={"reason": str(error)})
        raise UnauthorizedError() from None
    logger.info("Connection authorized", extra={"customer_id": claims.sub})
    return allow(event.method_arn, claims.sub)


@logger.inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any], _context: LambdaContext) -> dict[str, Any]:
    return authorize(APIGatewayAuthorizerRequestEvent(event))
