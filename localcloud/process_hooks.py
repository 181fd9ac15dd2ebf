"""What a running local cloud changes in its process, and puts back when it stops: moto's ``mock_aws`` context and
the patches the cloud lays over moto and botocore (SigV4 without the hashing: ``request_signing.py``), the
IAM-by-use recorder, the fault injector, the SQS clock, and the environment the handlers read.
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Callable

from moto import mock_aws

from devtools.program import ACCOUNT_ID, ROOT
from localcloud import (
    authorizer,
    botocore_cache,
    connections_api,
    faults,
    iam,
    jwks,
    moto_boot,
    moto_footprint,
    moto_patches,
    queue_clock,
    request_signing,
    stepfunctions,
    stepfunctions_patches,
)
from localcloud.clock import Clock


class ProcessHooks:
    """``install()`` before the program is deployed, ``remove()`` once the cloud has stopped (or failed to boot)."""

    def __init__(
        self,
        region: str,
        clock: Clock,
        recorder: iam.CallRecorder,
        injector: faults.FaultInjector,
        wake_pollers: Callable[[], None],
    ) -> None:
        self.region = region
        self.clock = clock
        self.recorder = recorder
        self.injector = injector
        self.wake_pollers = wake_pollers
        self._mock = mock_aws(
            config={"lambda": {"use_docker": False}, "stepfunctions": {"execute_state_machine": True}}
        )
        self._saved_env: dict[str, str] = {}

    def install(self) -> None:
        if str(ROOT) not in sys.path:
            sys.path.insert(0, str(ROOT))
        moto_footprint.install()  # moto's EC2 offerings for every region, read only when asked for
        moto_patches.install()
        moto_boot.install()  # key pairs and URL builders moto makes while provisioning, made on first use
        stepfunctions_patches.install()
        botocore_cache.install()
        request_signing.install()  # moto never checks a signature: the headers without the hashing
        # moto logs every failed state machine execution with its whole parsed definition; the trace already
        # records each execution's status (`execution FAILED`), so keep the console readable.
        logging.getLogger("moto.stepfunctions").setLevel(logging.CRITICAL)
        iam.install(self.recorder)
        # Handlers reach the WebSocket API's connections and the user pool's keys as they would in AWS.
        connections_api.install(self.recorder.record, self.region, ACCOUNT_ID)
        jwks.install()
        faults.install(self.injector)
        queue_clock.install(self.clock, self.wake_pollers)
        # Cognito issues tokens on the cloud's clock, so advancing it expires them as time passing would.
        authorizer.issue_tokens_on(self.clock.now)
        # Invocations leave their functions' variables in os.environ (removing them while other threads read
        # the environment is not safe); the whole environment is put back once the cloud has stopped.
        self._saved_env = dict(os.environ)
        os.environ.update({"AWS_DEFAULT_REGION": self.region, "AWS_REGION": self.region})
        self._mock.start()

    def remove(self) -> None:
        moto_patches.set_target_hook(None)
        jwks.uninstall()
        faults.install(None)
        queue_clock.uninstall(self.clock)
        authorizer.issue_tokens_on(None)
        stepfunctions.use_clock(None)
        request_signing.uninstall()
        self._mock.stop()
        for key in [key for key in os.environ if key not in self._saved_env]:
            os.environ.pop(key, None)
        os.environ.update(self._saved_env)
