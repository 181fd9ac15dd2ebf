"""The handler tests run on the moto the local cloud runs the handlers on (``localcloud.moto_patches``), whichever
tests ran earlier in the process."""

from __future__ import annotations

import json

import moto.stepfunctions.parser.models

from localcloud import moto_boot
from tests.handlers.conftest import Shop, set_up_clients
from tests.handlers.shop_state import BUS


def _put(detail_type: str) -> None:
    set_up_clients().events.put_events(
        Entries=[{"EventBusName": BUS, "Source": "eventshop.test", "DetailType": detail_type, "Detail": json.dumps({})}]
    )


def test_a_disabled_rule_delivers_nothing_as_in_aws_and_the_local_cloud(shop: Shop) -> None:
    # moto 5.2.5 on its own delivers through a disabled rule; the local cloud's patches do not.
    events = set_up_clients().events
    events.disable_rule(Name="capture-all", EventBusName=BUS)
    _put("WhileDisabled")
    assert shop.emitted() == []

    events.enable_rule(Name="capture-all", EventBusName=BUS)
    _put("WhileEnabled")
    assert [envelope["detail-type"] for envelope in shop.emitted()] == ["WhileEnabled"]


def test_a_state_machine_s_definition_is_validated_once_per_process_as_in_the_local_cloud() -> None:
    backend = moto.stepfunctions.parser.models.StepFunctionsParserBackend
    assert backend._validate_definition is moto_boot._validate_definition_once
