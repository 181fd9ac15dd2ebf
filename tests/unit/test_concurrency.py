"""Reserved concurrency: the API is guaranteed its share, Email and the queued consumers are capped, and the
reservations fit the account's limit, in both stacks, sized from the stack files."""

from __future__ import annotations

import json

import pytest

from devtools.program import ProgramRun, load_stack_config, run_program
from settings import UNRESERVED_MINIMUM, Settings, SettingsError, settings_from_config
from tests.unit.graph import FUNCTION, MAPPING


def reserved_by_function(run: ProgramRun) -> dict[str, int | None]:
    prefix = f"{run.prefix}-"
    return {
        str(fn.inputs["name"]).removeprefix(prefix): (
            None
            if fn.inputs.get("reservedConcurrentExecutions") is None
            else int(fn.inputs["reservedConcurrentExecutions"])
        )
        for fn in run.of_type(FUNCTION)
    }


def test_the_api_is_guaranteed_its_share_and_email_is_capped(run: ProgramRun, settings: Settings) -> None:
    reserved = reserved_by_function(run)
    assert reserved["orders-api"] == settings.concurrency.api
    assert reserved["email"] == settings.concurrency.email
    assert settings.concurrency.api >= settings.api.throttle_burst_limit


def test_each_queued_consumer_reserves_what_its_mapping_may_drive(run: ProgramRun, settings: Settings) -> None:
    reserved = reserved_by_function(run)
    mappings = run.of_type(MAPPING)
    assert mappings
    for mapping in mappings:
        function = (
            str(mapping.inputs["functionName"]).rsplit(":function:", 1)[-1].removeprefix(f"{run.prefix}-")
        )
        if ":sqs:" in str(mapping.inputs["eventSourceArn"]):
            assert int(mapping.inputs["scalingConfig"]["maximumConcurrency"]) == settings.consumers.maximum_concurrency
        # A stream mapping (the orders outbox) has no scaling config: its reservation is the same bound.
        assert reserved[function] == settings.consumers.maximum_concurrency, function


def test_every_function_has_a_reservation_and_they_fit_the_account(run: ProgramRun, settings: Settings) -> None:
    reserved = reserved_by_function(run)
    unset = sorted(name for name, count in reserved.items() if count is None)
    assert unset == [], f"functions without reserved concurrency: {unset}"
    total = sum(count or 0 for count in reserved.values())
    assert settings.concurrency.account_limit - total >= UNRESERVED_MINIMUM


def test_the_stacks_reserve_what_the_readme_says(runs: dict[str, ProgramRun]) -> None:
    """The arithmetic in README.md's "Concurrency" section, from the stack files (each stack's shared run)."""
    for stack, expected_unreserved in (("dev", 935), ("prod", 350)):
        run = runs[stack]
        total = sum(count or 0 for count in reserved_by_function(run).values())
        assert 1000 - total == expected_unreserved, stack


@pytest.mark.parametrize(
    ("concurrency", "problem"),
    [
        ({"accountLimit": 1000, "api": 400, "email": 0}, "eventshop:concurrency.email: must be between 1 and"),
        ({"accountLimit": 1000, "api": "many", "email": 5}, "eventshop:concurrency.api: must be a whole number"),
        ({"accountLimit": 50, "api": 400, "email": 5}, "eventshop:concurrency.accountLimit: must be between 100 and"),
        ({"accountLimit": 1000, "api": 400}, "eventshop:concurrency.email: is required but missing"),
        ({"accountLimit": 1000, "api": 400, "email": 5, "reminders": 2}, "eventshop:concurrency.reminders: is not"),
        (
            {"accountLimit": 1000, "api": 399, "email": 5},
            "eventshop:concurrency.api: 399 is less than eventshop:api.throttleBurstLimit (400)",
        ),
    ],
)
def test_a_bad_concurrency_setting_names_the_key_and_the_stack(concurrency: dict[str, object], problem: str) -> None:
    config = load_stack_config("prod")
    config["eventshop:concurrency"] = json.dumps(concurrency)
    with pytest.raises(SettingsError, match=r"stack 'prod' \(Pulumi.prod.yaml\)") as error:
        settings_from_config("prod", config)
    assert problem in str(error.value)


def test_reservations_that_leave_too_little_unreserved_fail_the_program_naming_the_key_and_stack() -> None:
    config = load_stack_config("dev")
    # dev reserves 40 (API) + 5 (Email) + 5 x 2 (queued consumers) = 55: 150 would leave 95.
    config["eventshop:concurrency"] = json.dumps({"accountLimit": 150, "api": 40, "email": 5})
    with pytest.raises(Exception, match=r"stack 'dev'") as error:
        run_program("dev", config=config)
    message = str(error.value)
    assert "eventshop:concurrency.accountLimit: 150 leaves 85 unreserved after reserving 65" in message
    assert f"Lambda needs at least {UNRESERVED_MINIMUM}" in message
    assert "handlers.email.app.handler 5" in message and "handlers.orders.api.handler 40" in message
