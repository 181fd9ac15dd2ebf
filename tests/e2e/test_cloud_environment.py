"""A stopped local cloud leaves the process as it found it: handler tests run after it in the same worker."""

from __future__ import annotations

import os

from localcloud.cloud import LocalCloud
from localcloud.shop import Shopper


def test_the_functions_environments_are_gone_once_the_cloud_stops() -> None:
    before = dict(os.environ)
    with LocalCloud.boot("dev") as cloud:
        Shopper(cloud.api, email="env@example.com").place_order([("MUG-LOGO", 1)])
        cloud.wait_idle()
        assert os.environ.get("PAYMENT_INTENTS_TABLE") == "eventshop-dev-payment-intents", "an invocation ran"

    assert dict(os.environ) == before
