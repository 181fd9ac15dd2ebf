"""schemathesis against the local API, driven by docs/openapi.json: bounded, seeded, deterministic.

Each operation gets a few positive cases (valid under the document) and a few negative ones (invalid),
sent over HTTP to the local server, as a signed-in customer (a valid ID token in Authorization); afterwards
nothing it accepted may sit in a dead-letter queue.
Checks: no 5xx at all (nothing fails on a healthy cloud), every answer is documented and matches its
schema, a valid request is never refused with a 400 (except for an unknown SKU, a rule the catalog holds
and the document cannot state), and an invalid one is never accepted.
"""

from __future__ import annotations

from devtools import openapi
from localcloud.cloud import LocalCloud
from localcloud.shop import Shopper
from tests.e2e import servers

base_url = servers.base_url


def test_the_local_api_conforms_to_its_openapi_document(base_url: str, cloud: LocalCloud) -> None:
    from tests.e2e import api_fuzzing  # noqa: PLC0415 (imported on use: see tests/e2e/api_fuzzing.py)

    shopper = Shopper(cloud.api, email="fuzz@example.com")
    skus = [
        product["sku"] for product in cloud.api.request("GET", "/products", headers=shopper.client_headers()).json()
    ]
    # The storefront's key and a signed-in customer's token: the document's security requirements, met.
    seen, failures = api_fuzzing.fuzz_every_operation(base_url, skus, signed_in=shopper.auth_headers())
    cloud.wait_idle()
    cloud.advance(60 * 60)  # retries and cart reminders run
    cloud.wait_idle()

    print("\n".join(f"{count:3} x {key}" for key, count in sorted(seen.items())))
    assert not failures, "\n\n".join(failures)
    assert {queue: messages for queue, messages in cloud.dead_letters().items() if messages} == {}, (
        "something the API accepted failed later"
    )
    assert sum(seen.values()) >= len(openapi.build()["paths"]) * api_fuzzing.EXAMPLES_PER_OPERATION_AND_MODE
