"""moto 5.2.5's JSON responses, with a plain dict's members read from the dict instead of through the picker.

moto serialises each JSON-protocol answer (DynamoDB, SQS, EventBridge, Step Functions, ...) by walking the
operation's output shape. For every member of every structure it asks its value picker, which builds a
context and instantiates six alias providers to list the keys the value might hold the member under (the
member's name, the shape's name, prefixes, ``snake_case`` forms) and tries each in turn. A DynamoDB item is
a structure per attribute value (ten members each), so most of an answer's ~4% of the bench's CPU went there.

The answers moto's services build are mostly plain dicts keyed by the members' own names. For such a
dict, when none of the picker's other candidate keys for any member is itself a member's name (worked out
once per shape and picker, with the picker's own alias providers), the picker's walk can only stop at the
member's own key, so ``value.get(member)`` is its answer. Anything else (objects, dict subclasses, a dict
with other keys, a picker with response transformers or of another class, a serializer that places
members elsewhere, as the REST ones do) takes moto's path. The serialisation of each member is moto's.
"""

from __future__ import annotations

import threading
from typing import Any

from moto.core.model import Shape, StructureShape
from moto.core.serialize import (
    AttributePicker,
    AttributePickerContext,
    BaseJSONSerializer,
    DefaultAttributePicker,
    ResponseSerializer,
    XFormedAttributePicker,
)

_lock = threading.Lock()
_installed: set[str] = set()

#: moto's own, kept for the fallback and the tests.
moto_serialize_type_structure = BaseJSONSerializer._serialize_type_structure
#: The pickers whose answer for a plain dict ``read_from_dict`` can stand in for.
_ALIASING_PICKERS = (AttributePicker, XFormedAttributePicker)

#: Per (shape, picker class, alias providers): whether a plain dict keyed by member names is read directly.
#: Each entry keeps its shape alive, so no id is reused while the entry stands.
_plain_shapes: dict[tuple[int, type, tuple[type, ...]], tuple[Shape, bool]] = {}


def members_read_directly(shape: StructureShape, picker: Any) -> bool:
    """Whether ``picker`` finds each member of ``shape`` in a plain dict keyed by member names under the
    member's own name: none of the other keys it would try for a member is a member's name."""
    if type(picker) is DefaultAttributePicker:
        return True  # it reads the member's own key and nothing else
    if type(picker) not in _ALIASING_PICKERS or picker.response_transformers:
        return False
    providers = tuple(picker.alias_providers)
    key = (id(shape), type(picker), providers)
    known = _plain_shapes.get(key)
    if known is not None:
        return known[1]
    names = set(shape.members)
    direct = True
    for member_key, member_shape in shape.members.items():
        member_shape.parent = shape  # as moto sets it before asking the picker
        context = AttributePickerContext(obj={}, key=member_key, shape=member_shape)
        candidates = list(picker.get_possible_keys(context))
        if member_key not in candidates or any(c in names and c != member_key for c in candidates):
            direct = False
            break
    with _lock:
        _plain_shapes.setdefault(key, (shape, direct))
    return direct


def _serialize_type_structure(
    self: BaseJSONSerializer, serialized: Any, value: Any, shape: StructureShape, key: str
) -> None:
    # moto's BaseJSONSerializer._serialize_type_structure and ResponseSerializer._serialize_type_structure,
    # with each member of a plain dict read with ``dict.get`` where ``members_read_directly`` says it may be.
    if (
        shape.is_document_type
        or type(value) is not dict
        or type(self)._serialize_structure_member is not ResponseSerializer._serialize_structure_member
        or not value.keys() <= shape.members.keys()
        or not members_read_directly(shape, self._value_picker)
    ):
        moto_serialize_type_structure(self, serialized, value, shape, key)
        return
    wrapper: Any = self.MAP_TYPE() if key else serialized
    for member_key, member_shape in shape.members.items():
        member_shape.parent = shape
        member_value = value.get(member_key)
        if member_value is not None:
            self._serialize(wrapper, member_value, member_shape, member_key)
    if key:
        self._default_serialize(serialized, wrapper, shape, key)


def install() -> None:
    """Read plain dicts' members directly from now on (idempotent)."""
    with _lock:
        if _installed:
            return
        BaseJSONSerializer._serialize_type_structure = _serialize_type_structure  # type: ignore[method-assign]
        _installed.add("moto_serialize")
