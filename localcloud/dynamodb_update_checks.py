"""UpdateItem's structural checks in moto 5.2.5, passed once per expression, names and table keys.

moto validates every UpdateItem (twice for a new item) with ten passes over a copy of the parsed update
expression. The first three only check the expression's structure, and raise when it is invalid:

- ``ActionCountValidator``: at most one SET, one ADD and one REMOVE clause;
- ``OverlappingPathsValidator``: no attribute path updated twice (read through ``ExpressionAttributeNames``);
- ``UpdateHashRangeKeyValidator``: no key attribute of the table updated.

They change nothing in the tree, and their verdict depends only on the parsed expression, the names and the
table's key attributes: not on the item, the values or the time. Each takes every one of the ~20 update nodes
of a tree and the first two search each node's whole subtree again (``find_clauses``): over a third of a
validation's CPU, on the handlers' ~19 UpdateItems per order. So once the three passed for a (parsed
expression, names, key attributes), later validations of that combination start at the fourth pass. A
combination that failed is never remembered: it raises on every call, as before. The parsed expression is
moto's own tree, cached per expression string (``moto_patches``), and only ever copied; the memo holds it, so
its identity is not reused.

Pinned to moto 5.2.5's processor list: a validator whose first three passes are not exactly these three runs
moto's own ``validate``.
"""

from __future__ import annotations

import threading
from collections.abc import Hashable
from typing import Any

from moto.dynamodb.parsing import validators

#: The structural passes, in moto's order, at the head of ``UpdateExpressionValidator.get_ast_processors``.
STRUCTURAL_CHECKS = (
    validators.ActionCountValidator,
    validators.OverlappingPathsValidator,
    validators.UpdateHashRangeKeyValidator,
)
#: Combinations remembered at most; past it the memo starts again (an update expression is program text).
MEMO_LIMIT = 4096

MOTO_INIT = validators.UpdateExpressionValidator.__init__
MOTO_VALIDATE = validators.UpdateExpressionValidator.validate
_passed: set[Hashable] = set()
_lock = threading.Lock()


def _combination(validator: Any) -> Hashable | None:
    """What the structural passes' verdict depends on, read from the passes themselves (the names each reads, the
    key attributes); ``None`` when it cannot be a key (then nothing is remembered)."""
    _, overlapping, keys = validator.processors[: len(STRUCTURAL_CHECKS)]
    try:
        combination = (
            validator.source_expression,
            _names(overlapping.expression_attribute_names),
            _names(keys.expression_attribute_names),
            tuple(keys.table_key_attributes),
        )
        hash(combination)
    except (AttributeError, TypeError):
        return None
    return combination


def _names(names: Any) -> Hashable:
    return None if names is None else frozenset(names.items())


def validate(self: Any) -> Any:
    """moto's ``Validator.validate``, starting at the fourth pass when the structural three passed before."""
    processors = self.processors
    head = len(STRUCTURAL_CHECKS)
    if tuple(type(processor) for processor in processors[:head]) != STRUCTURAL_CHECKS:
        return MOTO_VALIDATE(self)
    combination = _combination(self)
    node = self.node_to_validate
    if combination is None or combination not in _passed:
        for processor in processors[:head]:
            node = processor.traverse(node)
        if combination is not None:
            with _lock:
                if len(_passed) >= MEMO_LIMIT:
                    _passed.clear()
                _passed.add(combination)
    for processor in processors[head:]:
        node = processor.traverse(node)
    return node


def _init(self: Any, expression: Any, *args: Any, **kwargs: Any) -> None:
    MOTO_INIT(self, expression, *args, **kwargs)
    #: The tree moto was given (its own parse, before the copy every pass works on).
    self.source_expression = expression


def install() -> None:
    """Once per process (idempotent)."""
    validator = validators.UpdateExpressionValidator
    if validator.validate is validate:
        return
    validator.__init__ = _init  # type: ignore[method-assign]
    validator.validate = validate  # type: ignore[method-assign]
