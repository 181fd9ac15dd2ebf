"""What every layer's test process shares."""

from __future__ import annotations

import pytest

from localcloud import botocore_cache


@pytest.fixture(autouse=True, scope="session")
def shared_botocore_data() -> None:
    """moto's ``mock_aws`` starts every test on a fresh default boto3 session, whose new loader parses
    botocore's endpoints and each service model again: about a quarter of a handler test's time. The data is
    read-only, so the test process parses it once, as the local cloud does (``localcloud.botocore_cache``);
    sessions, clients, their hooks and credentials stay per test."""
    botocore_cache.install()
