"""Work moto does while the program is provisioned that nothing reads then: deferred to first use (moto 5.2.5).

1. KMS keys: moto makes an RSA-2048 key pair for every key it creates, symmetric ones included (``Key.__init__``
   calls ``generate_private_key``), and DynamoDB creates one more for a table encrypted with the AWS managed
   key. Only Sign, Verify and GetPublicKey read it. ``LazyPrivateKey`` makes the same key on the first of those
   calls instead; a replica key (``ReplicateKey`` copies the key shallowly) shares the object, so the material too.
2. Cognito user pools: each pool imports moto's one fixed signing key from its JWK, which recovers the RSA
   prime factors from ``n, e, d`` every time. The pool now holds a key resolver (joserfc accepts a callable as
   the key) that imports the key once per process, when the first token is signed: the same key, the same tokens.
3. Request routing: the first request to a REST service (API Gateway, CloudFront, Lambda...) builds a Werkzeug
   URL map of every operation of the service, and Werkzeug compiles two URL *builder* functions per rule (Python
   source generated and compiled). moto only matches URLs with that map, never builds one, so the builders of
   moto's ``SmithyRule`` are compiled on first use instead; matching is unchanged.
4. Step Functions definitions: moto validates a definition by parsing it with its ASL parser on every
   ``CreateStateMachine`` (72 ms for the fulfillment workflow), so every boot parsed the same workflows again.
   A definition that was valid once is valid again: each is validated once per process; an invalid one is
   parsed, and refused, every time, as before.
"""

from __future__ import annotations

import copy
import functools
import json
import threading
from collections.abc import Callable
from typing import Any

import moto.cognitoidp.models
import moto.kms.models
import moto.stepfunctions.parser.models
from joserfc.jwk import RSAKey
from moto.core.routing import SmithyRule
from moto.kms.utils import AbstractPrivateKey, generate_private_key

from localcloud.moto_patches import check_version

_install_lock = threading.Lock()
_installed: list[bool] = []

#: moto's own key maker, kept to make each key on first use.
_generate_private_key: Callable[[str], AbstractPrivateKey] = generate_private_key


class LazyPrivateKey(AbstractPrivateKey):
    """A KMS key's asymmetric material, made by moto's ``generate_private_key`` the first time it is used."""

    def __init__(self, key_spec: str) -> None:
        self.key_spec = key_spec
        # A list, so a shallow copy shares the material even when it is made after the copy.
        self._material: list[AbstractPrivateKey] = []
        self._lock = threading.Lock()

    @property
    def generated(self) -> bool:
        """Whether the material has been made (for tests: a key nobody signed with has none)."""
        return bool(self._material)

    def material(self) -> AbstractPrivateKey:
        with self._lock:
            if not self._material:
                self._material.append(_generate_private_key(self.key_spec))
            return self._material[0]

    def sign(self, message: bytes, signing_algorithm: str) -> bytes:
        return self.material().sign(message, signing_algorithm)

    def verify(self, message: bytes, signature: bytes, signing_algorithm: str) -> bool:
        return self.material().verify(message, signature, signing_algorithm)

    def public_key(self) -> bytes:
        return self.material().public_key()

    def __deepcopy__(self, memo: dict[int, Any]) -> LazyPrivateKey:
        # A deep copy of moto's key holds the same key pair, so the material is made here if it was not yet.
        duplicate = LazyPrivateKey(self.key_spec)
        duplicate._material.append(copy.deepcopy(self.material(), memo))
        return duplicate

    def __getattr__(self, name: str) -> Any:
        # Anything else moto reads from its key classes (``private_key``, ``key_size``...); private and dunder
        # names are not forwarded, so a shallow copy shares the material without making it.
        if name.startswith("_"):
            raise AttributeError(name)
        return getattr(self.material(), name)


@functools.cache
def _imported_key(jwk_json: str) -> RSAKey:
    return RSAKey.import_key(json.loads(jwk_json))


class _KeyResolver:
    """A pool's signing key as joserfc asks for it: imported (once per process and key) on the first ask. A
    plain object holding the key's JWK text, so a pool that holds one can be copied (``moto_snapshot``)."""

    def __init__(self, jwk_json: str) -> None:
        self.jwk_json = jwk_json

    def __call__(self, _token: Any) -> RSAKey:
        return _imported_key(self.jwk_json)


class _KeyOnFirstUse:
    """Stands in for ``joserfc.jwk`` in moto's Cognito models: ``RSAKey.import_key`` returns a resolver that
    imports the key (once per process and key) when joserfc first asks it for the key."""

    class RSAKey:
        @staticmethod
        def import_key(value: dict[str, Any]) -> Callable[[Any], RSAKey]:
            return _KeyResolver(json.dumps(value, sort_keys=True))


def _compile_builder_on_first_use(_rule: SmithyRule, append_unknown: bool = True) -> Callable[..., tuple[str, str]]:
    compiled: list[Callable[..., tuple[str, str]]] = []
    lock = threading.Lock()

    def build(bound_rule: SmithyRule, **values: Any) -> tuple[str, str]:
        with lock:
            if not compiled:
                compiled.append(_werkzeug_compile_builder(bound_rule, append_unknown))
        return compiled[0](bound_rule, **values)

    return build


_werkzeug_compile_builder = SmithyRule._compile_builder

#: moto's own validation (parses the definition; raises ``InvalidDefinition`` when it does not parse).
_moto_validate_definition: Callable[..., None] = (
    moto.stepfunctions.parser.models.StepFunctionsParserBackend._validate_definition
)
#: Definitions moto's validation accepted in this process.
_valid_definitions: set[str] = set()


def _validate_definition_once(definition: str) -> None:
    if definition in _valid_definitions:
        return
    _moto_validate_definition(definition=definition)
    _valid_definitions.add(definition)


def install() -> None:
    """Defer or spare the four costs above (once per process; idempotent). What each replaces answers as before."""
    with _install_lock:
        if _installed:
            return
        check_version()
        moto.kms.models.generate_private_key = LazyPrivateKey  # type: ignore[attr-defined]
        moto.cognitoidp.models.jwk = _KeyOnFirstUse  # type: ignore[attr-defined,assignment]
        SmithyRule._compile_builder = _compile_builder_on_first_use  # type: ignore[assignment,method-assign]
        moto.stepfunctions.parser.models.StepFunctionsParserBackend._validate_definition = staticmethod(  # type: ignore[method-assign]
            _validate_definition_once
        )
        _installed.append(True)
