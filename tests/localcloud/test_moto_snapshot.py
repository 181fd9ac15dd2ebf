"""Putting moto's state back instead of replaying the recorded deployment (localcloud/moto_snapshot.py, used by
deploy_cache.deploy): a later boot of the same recording in the process gets moto exactly as the replay left it,
object by object (sharing and module globals included), and as a fresh replay would leave it but for the wall
clock's times; each boot gets its own copy; what cannot be copied falls back to replaying."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws
from moto.moto_api._internal import mock_random
from moto.sqs.models import sqs_backends

from devtools.program import ACCOUNT_ID, project_name
from localcloud import deploy_cache, moto_snapshot
from localcloud.cloud import LocalCloud
from localcloud.provision import MotoMocks
from localcloud.trace import Trace
from tests.localcloud.moto_state import a_time_within, differences, leaf_differences, moto_state

STACK = "dev"
REGION = "eu-west-1"


def deployed(read: Callable[[LocalCloud], Any] = lambda _cloud: moto_state()) -> tuple[str, Any]:
    """Deploys the stack as a boot does (process hooks, then ``deploy_cache.deploy``) without starting the cloud's
    workers, and reads moto while the deployment is all it holds."""
    cloud = LocalCloud(STACK)
    cloud.hooks.install()
    try:
        deployed = deploy_cache.deploy(cloud.stack, cloud.config, cloud.clients, cloud.trace)
        return deployed.path, read(cloud)
    finally:
        cloud.hooks.remove()


def ensure_recorded() -> None:
    """Makes sure the stack's next deployment replays a recording: deploys (evaluating the program, which records
    its run) only when there is no recording of the program as it is now. The tests compare the deployments they
    make themselves, and hold in a fresh process where nothing was replayed before, so they need no warm-up
    replay (a quarter to a third of their CPU)."""
    cloud = LocalCloud(STACK)
    if deploy_cache.load(STACK, deploy_cache.fingerprint(STACK, cloud.config, project_name())) is None:
        deployed()


@pytest.fixture(scope="module")
def states() -> Iterator[dict[str, Any]]:
    """moto after a replay, after the boot that put it back, and after a replay made later; with the window
    of wall-clock time they were made in."""
    ensure_recorded()
    deploy_cache.forget_replays()
    started = time.time()
    found: dict[str, Any] = {}
    restores: list[moto_snapshot.MotoSnapshot] = []
    real_restore = moto_snapshot.restore

    def counted(snapshot: moto_snapshot.MotoSnapshot) -> None:
        restores.append(snapshot)
        real_restore(snapshot)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(moto_snapshot, "restore", counted)
        found["replayed"] = deployed()
        mock_random.uuid4()  # ids the first cloud's run would draw
        found["restored"] = deployed()
        found["restores"] = len(restores)
        deploy_cache.forget_replays()
        found["replayed later"] = deployed()
    found["window"] = (started - 1, time.time() + 1)
    yield found
    deploy_cache.forget_replays()


def test_a_later_boot_puts_back_exactly_what_the_replay_left(states: dict[str, Any]) -> None:
    replay_path, replayed = states["replayed"]
    restore_path, restored = states["restored"]
    assert (replay_path, restore_path, states["restores"]) == ("cached", "cached", 1)
    assert replayed == restored, differences(replayed, restored)


def test_the_state_put_back_differs_from_a_fresh_replay_only_in_times_and_unseeded_randomness(
    states: dict[str, Any],
) -> None:
    """What a boot shares with the replay its state was captured from, where a replay of its own would have made
    values of its own: the wall clock's times, UUIDs moto draws from ``uuid4`` and key material from the OS."""
    _, restored = states["restored"]
    _, later = states["replayed later"]
    assert states["restores"] == 1
    found = leaf_differences(restored, later)
    assert found, "the wall-clock times differ, so the comparison sees them"
    # Either state may hold moto's empty default-region backends its URL routing made on first use.
    unexplained = [
        (where, left, right)
        for where, left, right in found
        if not (left is None or right is None) or "[us-east-1]" not in where
        if not (a_time_within(left, states["window"]) and a_time_within(right, states["window"]))
        and not (_a_uuid(left) and _a_uuid(right))
        and not (isinstance(left, bytes) and isinstance(right, bytes) and len(left) == len(right) == 32)
    ]
    assert not unexplained, unexplained[:5]


def _a_uuid(value: Any) -> bool:
    try:
        return isinstance(value, str) and uuid.UUID(value).version == 4
    except ValueError:
        return False


def test_each_boot_gets_a_copy_of_its_own() -> None:
    def first_queue(cloud: LocalCloud) -> tuple[Any, str]:
        queues: Any = sqs_backends[ACCOUNT_ID][REGION].queues
        name = sorted(queues)[0]
        queues[name].visibility_timeout = 12345  # what a run of the cloud could change
        return queues[name], name

    deployed()  # a replay or a put-back state, kept for the boots below
    (path, (first, name)) = deployed(first_queue)
    (_, (second, _)) = deployed(first_queue)
    assert path == "cached"
    assert first is not second
    assert deployed(lambda _cloud: sqs_backends[ACCOUNT_ID][REGION].queues)[1][name].visibility_timeout != 12345


def test_a_held_lock_refuses_the_capture_naming_it() -> None:
    with mock_aws():
        boto3.client("sqs", region_name=REGION).create_queue(QueueName="held")
        queue: Any = sqs_backends[ACCOUNT_ID][REGION].queues["held"]
        moto_snapshot.capture()  # free locks: captured
        queue.lock_for_test = threading.Lock()
        queue.lock_for_test.acquire()
        with pytest.raises(moto_snapshot.SnapshotError, match="a lock in moto's state is held"):
            moto_snapshot.capture()


def test_what_pickle_cannot_copy_refuses_the_capture_and_the_boot_replays(monkeypatch: pytest.MonkeyPatch) -> None:
    def uncopyable(cloud: LocalCloud) -> None:
        counter = 0

        def closure() -> int:
            return counter

        backend: Any = sqs_backends[ACCOUNT_ID][REGION]
        backend.uncopyable = closure

    ensure_recorded()
    deploy_cache.forget_replays()
    real_replay = MotoMocks.replay
    with monkeypatch.context() as patch:

        def replay_then_spoil(mocks: Any, recorded: Any) -> Any:
            run = real_replay(mocks, recorded)
            uncopyable(mocks)
            return run

        patch.setattr(MotoMocks, "replay", replay_then_spoil)
        path, notes = deployed(lambda cloud: [entry.message for entry in cloud.trace.entries(kind="deploy")])
    assert path == "cached"
    assert any("could not be kept" in note and "closure" in note for note in notes), notes
    assert (STACK, REGION) not in deploy_cache._replayed


def test_a_captured_condition_is_a_new_one_over_the_copied_lock() -> None:
    with mock_aws():
        boto3.client("sqs", region_name=REGION).create_queue(QueueName="copied")
        original: Any = sqs_backends[ACCOUNT_ID][REGION].queues["copied"]
        snapshot = moto_snapshot.capture()
        moto_snapshot.restore(snapshot)
        copy: Any = sqs_backends[ACCOUNT_ID][REGION].queues["copied"]
        assert copy is not original
        assert copy._messages_lock is not original._messages_lock
        assert copy._messages_lock._lock is not original._messages_lock._lock
        with original._messages_lock:
            assert copy._messages_lock.acquire(blocking=False), "the copy's lock is not the original's"
            copy._messages_lock.release()


def test_an_object_of_a_running_cloud_in_moto_refuses_the_capture_naming_its_class() -> None:
    with mock_aws():
        boto3.client("sqs", region_name=REGION).create_queue(QueueName="hooked")
        queue: Any = sqs_backends[ACCOUNT_ID][REGION].queues["hooked"]
        queue.trace_for_test = Trace()
        with pytest.raises(moto_snapshot.SnapshotError, match=r"localcloud\.trace\.Trace, part of a running cloud"):
            moto_snapshot.capture()
