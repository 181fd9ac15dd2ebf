"""The customers' user pool: email sign-in, a public client without a secret, prod guarded against loss."""

from __future__ import annotations

import pytest

from components import UserPool, UserPoolArgs
from devtools.program import ProgramRun
from tests.unit.test_components import run as run_components

POOL = "aws:cognito/userPool:UserPool"
CLIENT = "aws:cognito/userPoolClient:UserPoolClient"


def test_each_stack_has_one_pool_signing_in_by_email_with_one_secretless_client(run: ProgramRun) -> None:
    (pool,) = run.of_type(POOL)
    (client,) = run.of_type(CLIENT)
    assert pool.inputs["usernameAttributes"] == ["email"]
    assert pool.inputs["autoVerifiedAttributes"] == ["email"]
    assert pool.inputs["passwordPolicy"]["minimumLength"] >= 12
    assert client.inputs["userPoolId"] == pool.id
    assert client.inputs["generateSecret"] is False
    assert client.inputs["preventUserExistenceErrors"] == "ENABLED"
    assert "ALLOW_ADMIN_USER_PASSWORD_AUTH" not in client.inputs["explicitAuthFlows"]


def test_prod_pool_is_protected_and_offers_mfa_while_dev_is_disposable(runs: dict[str, ProgramRun]) -> None:
    prod, dev = runs["prod"].of_type(POOL)[0], runs["dev"].of_type(POOL)[0]
    assert prod.inputs["deletionProtection"] == "ACTIVE"
    assert prod.inputs["mfaConfiguration"] == "OPTIONAL"
    assert prod.inputs["softwareTokenMfaConfiguration"] == {"enabled": True}
    assert dev.inputs["deletionProtection"] == "INACTIVE"
    assert dev.inputs["mfaConfiguration"] == "OFF"


def test_transforms_cannot_turn_the_email_sign_in_or_the_secretless_client_off() -> None:
    def hostile_pool(kwargs: dict[str, object], _: object) -> None:
        kwargs.update(username_attributes=["phone_number"], deletion_protection="INACTIVE")

    def hostile_client(kwargs: dict[str, object], _: object) -> None:
        kwargs.update(generate_secret=True, user_pool_id="other", prevent_user_existence_errors="LEGACY")

    result = run_components(
        lambda: UserPool("users", UserPoolArgs(mfa="OFF"), transforms={"pool": hostile_pool, "client": hostile_client})
    )
    pool = result.named("users-pool").inputs
    assert (pool["usernameAttributes"], pool["deletionProtection"]) == (["email"], "ACTIVE")
    client = result.named("users-client").inputs
    assert client["generateSecret"] is False
    assert client["preventUserExistenceErrors"] == "ENABLED"
    assert client["userPoolId"] == result.named("users-pool").id


@pytest.mark.parametrize(
    ("args", "named"),
    [
        ({"mfa": "SMS"}, "mfa 'SMS'"),
        ({"id_token_minutes": 2}, "id_token_minutes 2"),
        ({"refresh_token_days": 0}, "refresh_token_days 0"),
    ],
)
def test_invalid_pool_arguments_are_named(args: dict[str, object], named: str) -> None:
    with pytest.raises(ValueError, match=named):
        run_components(lambda: UserPool("users", UserPoolArgs(**args)))  # type: ignore[arg-type]
