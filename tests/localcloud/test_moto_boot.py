"""localcloud.moto_boot: key pairs and URL builders moto makes while provisioning are made on first use, a state
machine's definition is validated once per process, and everything that reads them answers as before."""

from __future__ import annotations

import copy
import json
import uuid
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from joserfc import jwt
from joserfc.jwk import RSAKey
from moto import mock_aws
from moto.cognitoidp.models import cognitoidp_backends
from moto.core import DEFAULT_ACCOUNT_ID  # type: ignore[attr-defined]
from moto.core.routing import RestRouter
from moto.core.utils import get_service_model
from moto.kms.models import kms_backends
from moto.utilities.utils import load_resource
from werkzeug.routing import Map, Rule

from localcloud import moto_boot
from localcloud.moto_boot import LazyPrivateKey
from tests.localcloud.support import count_definition_parses, create_keyed_table

REGION = "eu-west-1"


@pytest.fixture
def aws() -> Iterator[None]:
    moto_boot.install()
    moto_boot.install()  # idempotent
    with mock_aws():
        yield


def _key(key_id: str) -> Any:
    return kms_backends[DEFAULT_ACCOUNT_ID][REGION].keys[key_id]


def test_a_symmetric_key_makes_no_key_pair_and_still_encrypts(aws: None) -> None:
    kms = boto3.client("kms", region_name=REGION)
    key_id = kms.create_key()["KeyMetadata"]["KeyId"]
    sealed = kms.encrypt(KeyId=key_id, Plaintext=b"order 42")["CiphertextBlob"]
    assert kms.decrypt(CiphertextBlob=sealed)["Plaintext"] == b"order 42"
    private_key = _key(key_id).private_key
    assert isinstance(private_key, LazyPrivateKey)
    assert not private_key.generated


def test_an_encrypted_table_makes_no_key_pair_for_its_managed_key(aws: None) -> None:
    dynamodb = boto3.client("dynamodb", region_name=REGION)
    create_keyed_table(dynamodb, "orders", "pk", SSESpecification={"Enabled": True, "SSEType": "KMS"})
    keys = kms_backends[DEFAULT_ACCOUNT_ID][REGION].keys.values()
    assert keys
    assert all(isinstance(key.private_key, LazyPrivateKey) and not key.private_key.generated for key in keys)


@pytest.mark.parametrize(
    ("key_spec", "algorithm"), [("RSA_2048", "RSASSA_PSS_SHA_256"), ("ECC_NIST_P256", "ECDSA_SHA_256")]
)
def test_a_signing_key_signs_and_verifies_with_the_material_made_on_first_use(
    aws: None, key_spec: str, algorithm: str
) -> None:
    kms = boto3.client("kms", region_name=REGION)
    key_id = kms.create_key(KeyUsage="SIGN_VERIFY", KeySpec=key_spec)["KeyMetadata"]["KeyId"]
    assert not _key(key_id).private_key.generated
    signature = kms.sign(KeyId=key_id, Message=b"receipt", SigningAlgorithm=algorithm)["Signature"]
    assert _key(key_id).private_key.generated
    assert kms.verify(KeyId=key_id, Message=b"receipt", Signature=signature, SigningAlgorithm=algorithm)[
        "SignatureValid"
    ]
    assert not kms.verify(KeyId=key_id, Message=b"forged", Signature=signature, SigningAlgorithm=algorithm)[
        "SignatureValid"
    ]
    public = kms.get_public_key(KeyId=key_id)
    loaded = serialization.load_der_public_key(public["PublicKey"])
    if isinstance(loaded, rsa.RSAPublicKey):  # the published key verifies what KMS signed
        pss = padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=padding.PSS.MAX_LENGTH)
        loaded.verify(signature, b"receipt", pss, hashes.SHA256())


def test_a_replica_key_shares_its_primary_keys_material(aws: None) -> None:
    kms = boto3.client("kms", region_name=REGION)
    key_id = kms.create_key(KeyUsage="SIGN_VERIFY", KeySpec="RSA_2048", MultiRegion=True)["KeyMetadata"]["KeyId"]
    kms.replicate_key(KeyId=key_id, ReplicaRegion="us-east-1")
    replica = boto3.client("kms", region_name="us-east-1")
    assert replica.get_public_key(KeyId=key_id)["PublicKey"] == kms.get_public_key(KeyId=key_id)["PublicKey"]


def test_a_lazy_key_reads_moto_attributes_through_and_copies_hold_the_same_key_pair() -> None:
    key = LazyPrivateKey("RSA_3072")
    shallow = copy.copy(key)
    assert not key.generated
    assert key.key_size == 3072  # moto's own attributes, read from the material
    assert key.generated
    assert shallow.public_key() == key.public_key() == copy.deepcopy(key).public_key()


def _sign_in(pool_id: str, client_id: str, cognito: Any) -> str:
    answer = cognito.admin_initiate_auth(
        UserPoolId=pool_id,
        ClientId=client_id,
        AuthFlow="ADMIN_USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": "ann@example.com", "PASSWORD": "Passw0rd!Passw0rd"},
    )
    return str(answer["AuthenticationResult"]["IdToken"])


def test_a_user_pool_signs_tokens_the_published_key_verifies(aws: None) -> None:
    cognito = boto3.client("cognito-idp", region_name=REGION)
    pool_ids = [cognito.create_user_pool(PoolName=f"shop-{n}")["UserPool"]["Id"] for n in range(2)]
    for pool_id in pool_ids:
        pool = cognitoidp_backends[DEFAULT_ACCOUNT_ID][REGION].user_pools[pool_id]
        assert not isinstance(pool.json_web_key, RSAKey)  # no key imported at creation
        client_id = cognito.create_user_pool_client(UserPoolId=pool_id, ClientName="web")["UserPoolClient"]["ClientId"]
        cognito.admin_create_user(UserPoolId=pool_id, Username="ann@example.com", MessageAction="SUPPRESS")
        cognito.admin_set_user_password(
            UserPoolId=pool_id, Username="ann@example.com", Password="Passw0rd!Passw0rd", Permanent=True
        )
        token = _sign_in(pool_id, client_id, cognito)
        public = RSAKey.import_key(load_resource("cognitoidp/resources/jwks-public.json")["keys"][0])
        claims = jwt.decode(token, public).claims
        assert claims["iss"].endswith(pool_id)


def test_moto_routes_rest_requests_and_compiles_a_url_builder_only_when_one_is_built(
    aws: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    compiled: list[bool] = []
    original = moto_boot._werkzeug_compile_builder

    def counting(rule: Any, append_unknown: bool = True) -> Any:
        compiled.append(append_unknown)
        return original(rule, append_unknown)

    monkeypatch.setattr(moto_boot, "_werkzeug_compile_builder", counting)
    router = RestRouter(get_service_model("apigateway"))
    assert compiled == []  # matching needs no builder
    apigateway = boto3.client("apigateway", region_name=REGION)
    api_id = apigateway.create_rest_api(name="shop")["id"]
    assert apigateway.get_rest_api(restApiId=api_id)["name"] == "shop"

    rule = next(r for r in router._map.iter_rules() if "restapi_id" in r.arguments and r.rule.count("<") == 1)
    plain = Rule(rule.rule, endpoint="plain")
    Map([plain], converters=router._map.converters)
    assert rule.build({"restapi_id": "abc"}) == plain.build({"restapi_id": "abc"})
    assert rule.build({"restapi_id": "abc", "extra": "1"}) == plain.build({"restapi_id": "abc", "extra": "1"})
    assert compiled == [True]  # each builder compiled on first use, once
    assert rule.build({"restapi_id": "abc"}, append_unknown=False) == plain.build(
        {"restapi_id": "abc"}, append_unknown=False
    )
    assert sorted(compiled) == [False, True]  # each builder compiled once, on first use


WORKFLOW = json.dumps({"StartAt": "Done", "States": {"Done": {"Type": "Pass", "Result": {"ok": True}, "End": True}}})
ROLE = f"arn:aws:iam::{DEFAULT_ACCOUNT_ID}:role/workflow"


@pytest.fixture
def parses(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every definition moto's ASL parser parses while the test runs."""
    return count_definition_parses(monkeypatch)


def test_a_definition_is_validated_once_per_process_and_each_machine_with_it_still_runs(parses: list[str]) -> None:
    moto_boot.install()
    definition = WORKFLOW.replace('"ok"', f'"{uuid.uuid4().hex}"')  # new to this process
    with mock_aws(config={"stepfunctions": {"execute_state_machine": True}}):
        stepfunctions = boto3.client("stepfunctions", region_name=REGION)
        arns = [
            stepfunctions.create_state_machine(name=name, definition=definition, roleArn=ROLE)["stateMachineArn"]
            for name in ("first-boot", "second-boot")
        ]
        assert parses == [definition], "the second machine of the same definition is not parsed to validate it"
        for arn in arns:
            execution = stepfunctions.start_execution(stateMachineArn=arn, input="{}")["executionArn"]
            assert stepfunctions.describe_execution(executionArn=execution)["status"] in ("RUNNING", "SUCCEEDED")


def test_an_invalid_definition_is_refused_every_time(parses: list[str]) -> None:
    moto_boot.install()
    invalid = json.dumps({"StartAt": "Missing", "States": {"Done": {"Type": "Nope", "End": True}}})
    with mock_aws(config={"stepfunctions": {"execute_state_machine": True}}):
        stepfunctions = boto3.client("stepfunctions", region_name=REGION)
        for name in ("first", "again"):
            with pytest.raises(ClientError) as refused:
                stepfunctions.create_state_machine(name=name, definition=invalid, roleArn=ROLE)
            assert "ASLParserException" in str(refused.value) and "Nope" in str(refused.value)
    assert parses == [invalid, invalid]
