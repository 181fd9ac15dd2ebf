"""An API Gateway ``AWS`` integration's call to the service: the request the mapping template rendered, sent with
the integration's role, and the service's answer as API Gateway receives it (HTTP status and JSON body)."""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError, ParamValidationError

from localcloud.trace import order_id_of

if TYPE_CHECKING:
    from localcloud.host import CloudHost


def snake_case(action: str) -> str:
    """A service action's boto3 method name (``PutEvents`` -> ``put_events``)."""
    return re.sub(r"(?<!^)(?=[A-Z])", "_", action).lower()


def call_service(cloud: CloudHost, service: str, action: str, rendered: str, role: str, body: str) -> tuple[int, str]:
    """The service's HTTP status and JSON answer to the rendered request, as API Gateway receives them.

    A rendered request that is not JSON is refused by the service (``SerializationException``, 400), and a
    request breaking the service's own constraints (botocore checks them before sending, AWS checks them
    on arrival) is a ``ValidationException``, 400; AWS errors keep their status and code.
    """
    try:
        request = json.loads(rendered)
    except json.JSONDecodeError as error:
        cloud.trace.add("error", "api", f"{service}:{action} refused a body that is not JSON: {error}")
        return 400, json.dumps({"__type": "SerializationException", "message": str(error)})
    try:
        with cloud.busy(), cloud.recorder.acting_as(role or "apigateway"):
            result = getattr(cloud.clients(service), snake_case(action))(**request)
    except ParamValidationError as error:
        cloud.trace.add("error", "api", f"{service}:{action} refused the request: {error}", order_id_of(body))
        return 400, json.dumps({"__type": "ValidationException", "message": str(error)})
    except ClientError as error:
        code = str(error.response.get("Error", {}).get("Code", "InternalFailure"))
        status = int(error.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 500)
        cloud.trace.add("error", "api", f"{service}:{action} failed: {error}", order_id_of(body))
        return status, json.dumps({"__type": code, "message": str(error)})
    result.pop("ResponseMetadata", None)
    return 200, json.dumps(result, default=str)


def select_integration_response(responses: list[dict[str, Any]], status: int) -> dict[str, Any] | None:
    """The integration response for a service's HTTP status: the one whose ``selectionPattern`` matches the
    whole status code (AWS integrations select on it), else the default one (no pattern)."""
    for response in responses:
        pattern = response.get("selectionPattern")
        if pattern and re.fullmatch(str(pattern), str(status)):
            return response
    return next((response for response in responses if not response.get("selectionPattern")), None)
