"""The fault model (strict parsing) and each fault kind's mechanism, without booting a whole cloud."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws

from localcloud import faults
from localcloud.faults import FaultInjector, FaultSetError, InjectedCrashError, parse_fault_set

THROTTLE = {"kind": "error", "service": "events", "operation": "PutEvents", "error": "ThrottlingException"}
FUNCTIONS = {"billing": "shop-billing", "warehouse": "shop-warehouse", "email": "shop-email"}


class FakeClock:
    def __init__(self) -> None:
        self.time = 1000.0

    def now(self) -> float:
        return self.time


def resolve(name: str) -> str:
    if name in FUNCTIONS.values():
        return name
    if name not in FUNCTIONS:
        raise KeyError(f"no function {name!r}")
    return FUNCTIONS[name]


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def injector(clock: FakeClock) -> FaultInjector:
    return FaultInjector(resolve, clock.now)


# --- parsing -----------------------------------------------------------------------------------------


def test_every_documented_kind_parses_with_its_defaults() -> None:
    parsed = parse_fault_set(
        {
            "seed": 7,
            "faults": [
                {**THROTTLE, "probability": 0.3, "function": "billing"},
                {"kind": "crash", "function": "billing", "times": 2},
                {"kind": "pause", "function": "warehouse", "seconds": 3600},
                {"kind": "duplicate"},
                {"kind": "latency", "function": "email", "ms": 200},
            ],
        }
    )

    assert parsed.seed == 7
    assert [fault.kind for fault in parsed.faults] == ["error", "crash", "pause", "duplicate", "latency"]
    assert parsed.faults[0].probability == 0.3
    assert parsed.faults[3].probability == 1.0 and parsed.faults[3].function is None
    assert parsed.as_dict()["faults"][1] == {"kind": "crash", "function": "billing", "times": 2}


def test_every_problem_is_named_at_once() -> None:
    with pytest.raises(FaultSetError) as raised:
        parse_fault_set(
            {
                "seed": "x",
                "colour": "red",
                "faults": [
                    {"kind": "explode"},
                    {**THROTTLE, "probability": 1.5, "fnction": "billing"},
                    {"kind": "crash", "times": 0},
                    {"kind": "pause", "function": "warehouse", "seconds": True},
                    {"kind": "latency", "ms": "200"},
                    "not an object",
                ],
            }
        )

    assert raised.value.problems == [
        "unknown field 'colour' (allowed: faults, seed)",
        "seed: must be an integer, got 'x'",
        "faults[0].kind: unknown kind 'explode' (known: crash, duplicate, error, latency, pause)",
        "faults[1]: unknown field 'fnction' for kind 'error' "
        "(allowed: error, function, operation, probability, service)",
        "faults[1].probability: must be a number between 0 and 1, got 1.5",
        "faults[2].function: required for kind 'crash'",
        "faults[2].times: must be an integer of at least 1, got 0",
        "faults[3].seconds: must be a number greater than 0, got True",
        "faults[4].ms: must be a number greater than 0, got '200'",
        "faults[5]: must be an object, got str",
    ]


@pytest.mark.parametrize(
    ("fault", "problem"),
    [
        ({**THROTTLE, "service": "eventz"}, "faults[0].service: unknown AWS service 'eventz'"),
        ({**THROTTLE, "operation": "PutEvent"}, "faults[0].operation: events has no operation 'PutEvent'"),
        ({**THROTTLE, "error": "not a code!"}, "faults[0].error: must be an AWS error code"),
    ],
)
def test_error_faults_name_real_services_operations_and_codes(fault: dict[str, Any], problem: str) -> None:
    with pytest.raises(FaultSetError) as raised:
        parse_fault_set({"faults": [fault]})

    assert len(raised.value.problems) == 1
    assert raised.value.problems[0].startswith(problem)


def test_a_document_that_is_not_an_object_is_refused() -> None:
    with pytest.raises(FaultSetError, match="must be an object"):
        parse_fault_set([THROTTLE])


def test_function_names_must_name_deployed_functions(injector: FaultInjector) -> None:
    with pytest.raises(FaultSetError) as raised:
        injector.configure({"faults": [{"kind": "crash", "function": "biling"}]})

    assert raised.value.problems == ["faults[0].function: no function 'biling'"]
    assert injector.active.faults == ()


def test_short_names_resolve_to_the_deployed_function(injector: FaultInjector) -> None:
    active = injector.configure({"faults": [{"kind": "crash", "function": "billing"}]})

    assert active.faults[0].function == "shop-billing"


# --- mechanisms --------------------------------------------------------------------------------------


def test_a_crash_fails_exactly_the_next_n_invocations_of_its_function(injector: FaultInjector) -> None:
    injector.configure({"faults": [{"kind": "crash", "function": "billing", "times": 2}]})

    injector.before_invocation("shop-warehouse")
    for attempt in (1, 2):
        with pytest.raises(InjectedCrashError, match=f"injected crash \\({attempt} of 2\\)"):
            injector.before_invocation("shop-billing")
    injector.before_invocation("shop-billing")

    assert injector.describe()["faults"][0]["remaining"] == 0


def test_a_pause_lasts_until_the_clock_has_moved_that_far(injector: FaultInjector, clock: FakeClock) -> None:
    injector.configure({"faults": [{"kind": "pause", "function": "warehouse", "seconds": 3600}]})

    assert injector.paused_until("shop-warehouse") == 4600.0
    assert injector.paused_until("shop-billing") is None
    clock.time += 3599
    assert injector.paused_until("shop-warehouse") == 4600.0
    clock.time += 1
    assert injector.paused_until("shop-warehouse") is None


def test_duplicates_follow_the_seed_and_the_scope(clock: FakeClock) -> None:
    def draws(seed: int) -> list[bool]:
        injector = FaultInjector(resolve, clock.now)
        injector.configure({"seed": seed, "faults": [{"kind": "duplicate", "probability": 0.5, "function": "email"}]})
        return [injector.duplicate("shop-email") for _ in range(40)]

    assert draws(1) == draws(1), "the same seed reproduces the same choices"
    assert 0 < sum(draws(1)) < 40
    scoped = FaultInjector(resolve, clock.now)
    scoped.configure({"faults": [{"kind": "duplicate", "function": "email"}]})
    assert scoped.duplicate("shop-email") and not scoped.duplicate("shop-billing")


def test_latency_delays_the_invocation_by_its_ms(injector: FaultInjector, monkeypatch: pytest.MonkeyPatch) -> None:
    slept: list[float] = []
    monkeypatch.setattr("localcloud.faults.time.sleep", slept.append)
    injector.configure({"faults": [{"kind": "latency", "function": "email", "ms": 200}]})

    injector.before_invocation("shop-email")
    injector.before_invocation("shop-billing")

    assert slept == [0.2]


@pytest.fixture
def hooked(injector: FaultInjector) -> Iterator[FaultInjector]:
    faults.install(injector)
    with mock_aws():
        yield injector
    faults.install(None)


def put_event(function: str | None) -> dict[str, Any]:
    client = boto3.client("events", region_name="eu-west-1")
    token = faults.current_function.set(function)
    try:
        response: dict[str, Any] = client.put_events(Entries=[{"Source": "s", "DetailType": "d", "Detail": "{}"}])
        return response
    finally:
        faults.current_function.reset(token)


@pytest.mark.parametrize(("code", "status"), [("ThrottlingException", 400), ("InternalFailure", 500)])
def test_an_error_fault_surfaces_as_botocore_surfaces_the_aws_error(
    hooked: FaultInjector, code: str, status: int
) -> None:
    hooked.configure({"faults": [{**THROTTLE, "error": code, "function": "billing"}]})

    with pytest.raises(ClientError) as raised:
        put_event("shop-billing")

    assert raised.value.response["Error"]["Code"] == code
    assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == status
    assert raised.value.operation_name == "PutEvents"
    assert f"An error occurred ({code}) when calling the PutEvents operation" in str(raised.value)


def test_error_faults_spare_other_functions_and_the_clouds_own_calls(hooked: FaultInjector) -> None:
    hooked.configure({"faults": [{**THROTTLE, "function": "billing"}, {**THROTTLE, "operation": "ListRules"}]})

    assert put_event("shop-warehouse")["FailedEntryCount"] == 0
    assert put_event(None)["FailedEntryCount"] == 0
    hooked.clear()
    assert put_event("shop-billing")["FailedEntryCount"] == 0


def test_unscoped_error_faults_reach_the_state_machines_calls(hooked: FaultInjector) -> None:
    """moto's Step Functions interpreter calls AWS on its own threads, outside any handler."""
    interpreter: dict[str, Any] = {"__name__": "moto.stepfunctions.parser.asl.fake_task", "put_event": put_event}
    # Compiled in a namespace named after moto's module, so the call's frame is one of moto's package.
    exec("def run_task():\n    return put_event(None)\n", interpreter)
    hooked.configure({"faults": [{**THROTTLE, "function": "billing"}]})
    assert interpreter["run_task"]()["FailedEntryCount"] == 0, "a scoped fault is the function's alone"

    hooked.configure({"faults": [THROTTLE]})
    with pytest.raises(ClientError, match="ThrottlingException"):
        interpreter["run_task"]()
    assert hooked.injected[-1] == ("error", "state machine", "events:PutEvents ThrottlingException")
