"""Work moto 5.2.5 repeats on every request, done once: each patch caches a pure function of its arguments.

Every AWS call a handler makes passes through moto's request routing, and most of them through DynamoDB's
expression parsers or the Step Functions interpreter's JSONPath evaluation. Profiling the bench showed these
recomputed from the same few strings thousands of times per run:

1. ``method_names_from_class``: every request lists its response class's methods with ``inspect.getmembers``
   to find the action; a class's methods do not change while the process runs.
2. The Step Functions interpreter parses each ``InputPath``/``Parameters`` JSONPath (``jsonpath_ng.ext``)
   and each ``ResultPath`` (``jsonpath_ng``) again for every state of every execution. ``json_path.py`` and
   ``result_path.py`` bound ``parse`` at import, so ``moto_patches``' cache of ``jsonpath_ng.ext.parse``
   did not reach them. Parsed paths are only read (``find``, ``update_or_create``).
3. A DynamoDB condition expression is lexed (a dozen regular expressions compiled and tried per token)
   twice per conditional write. Lexing reads only the expression string; the tokens are immutable
   namedtuples, and the later stages (which substitute names and values) build new nodes. A lexing error is
   not cached, so it is raised on every call as before.
4. ``UpdateExpressionValidator`` deep-copies the (cached) update expression's AST before substituting names
   and values, on every UpdateItem: ``copy.deepcopy`` walked each node's class, memo and parent pointer
   generically. The parsed tree is plain (nodes whose attributes are strings, numbers and the children
   list), so it is copied node by node, parents re-pointed into the copy; anything else (a value inside
   the tree, a parent outside it) still goes to ``copy.deepcopy``.

5. moto keeps every model instance it ever creates (``BaseModel.instances_tracked``, for the server mode's
   dashboard), copies included: each UpdateItem's deep copies of the item, each event's copy of a rule,
   each SQS message. Nothing in the local cloud reads that list, and it held ~80 DynamoDB items per order
   (a third of the growth in memory, and more for the garbage collector to walk). Instances are no longer
   appended, except S3's keys and multipart uploads, which moto's own S3 reset disposes through the list.
6. Each UpdateItem's validator walks the update expression's tree ten times (one ``DepthFirstTraverser`` per
   check), and at every node of every walk moto rebuilt the traverser's processing map twice (a dict of
   bound methods, then a tuple of its keys) to learn whether the node is one it processes. The map depends
   only on the traverser, so a walk builds it once; the walk itself (children first, the child hook, each
   processed node put back under its parent) is moto's. A traverser class that overrides the walk or its
   dispatch keeps moto's own. Which processor takes a node is asked once per node type and map: ``Node``
   is an ABC, and its ``isinstance`` checks, several per node and pass, were most of the walks' cost. The
   no-op child hook is not called, and a child that is not a node (a name, a value) is not walked into.
7. ``Node.find_clauses`` (the validator and the request handlers look for an update's SET/ADD/REMOVE
   clauses and actions with it) asks of every child whether it is an ``Expression`` or an update function,
   two ABC ``isinstance`` checks; the answer depends only on the child's type, so it is remembered per type.
8. Each request's route through moto (which service, which handler) is found once per URL
   (``moto_routing.py``): moto tried every service's URL pattern, rebuilt the backend's URL table and
   compiled its URLs on every call.
9. Random identifiers drawn in one call and ``PutEvents`` matching each event once (``moto_per_call.py``).
10. A JSON answer's plain dicts have their members read with ``dict.get`` instead of moto's value picker
    (``moto_serialize.py``).
11. UpdateItem's three structural checks pass once per expression, names and table keys
    (``dynamodb_update_checks.py``).

Results are those moto computes; only the repetition (and the retention) goes.
"""

from __future__ import annotations

import copy
import functools
import threading
from collections import deque
from typing import Any

import jsonpath_ng
import jsonpath_ng.ext
import moto.core.responses
import moto.core.utils
from moto.core.common_models import BaseModel
from moto.dynamodb.comparisons import ConditionExpressionParser
from moto.dynamodb.parsing import validators
from moto.dynamodb.parsing.ast_nodes import (  # type: ignore[attr-defined]
    DepthFirstTraverser,
    Expression,
    Node,
    UpdateExpressionFunction,
)
from moto.stepfunctions.parser.asl.component.common.path import result_path
from moto.stepfunctions.parser.asl.utils import json_path

from localcloud import dynamodb_update_checks, moto_per_call, moto_routing, moto_serialize

_lock = threading.Lock()
#: Names already patched (install is idempotent).
_installed: set[str] = set()

#: Distinct strings a deployed program uses are few; the bound only stops a run of generated ones growing it.
CACHE_SIZE = 4096


def install() -> None:
    """Apply the caches once per process (idempotent)."""
    with _lock:
        if _installed:
            return
        _cache_action_names()
        _cache_step_functions_paths()
        _cache_condition_lexing()
        _copy_expression_trees_plainly()
        _stop_retaining_instances()
        _walk_with_one_processing_map()
        moto_routing.install()
        moto_per_call.install()
        moto_serialize.install()
        _find_clauses_by_type()
        dynamodb_update_checks.install()
        _installed.add("moto_speedups")


def _cache_action_names() -> None:
    names = moto.core.utils.method_names_from_class

    @functools.lru_cache(maxsize=CACHE_SIZE)
    def cached(clazz: type) -> tuple[str, ...]:
        return tuple(names(clazz))

    def method_names_from_class(clazz: object) -> list[str]:
        return list(cached(clazz if isinstance(clazz, type) else type(clazz)))

    moto.core.responses.method_names_from_class = method_names_from_class  # type: ignore[attr-defined]


def _cached(parse: Any) -> Any:
    return parse if hasattr(parse, "cache_info") else functools.lru_cache(maxsize=CACHE_SIZE)(parse)


def _cache_step_functions_paths() -> None:
    name = "parse"  # by name: these modules do not re-export it for type checkers
    cached_extended = _cached(getattr(jsonpath_ng.ext, name))
    setattr(jsonpath_ng.ext, name, cached_extended)
    setattr(json_path, name, cached_extended)
    setattr(result_path, name, _cached(getattr(jsonpath_ng, name)))


def _cache_condition_lexing() -> None:
    lex = ConditionExpressionParser.__dict__["_lex_condition_expression"]
    if hasattr(lex, "cached_tokens"):
        return

    @functools.lru_cache(maxsize=CACHE_SIZE)
    def tokens(expression: str) -> tuple[Any, ...]:
        return tuple(lex(ConditionExpressionParser(expression, None, None)))

    def _lex_condition_expression(self: ConditionExpressionParser) -> deque[Any]:
        if not self.condition_expression:
            return deque()
        return deque(tokens(self.condition_expression))

    _lex_condition_expression.cached_tokens = tokens  # type: ignore[attr-defined]
    ConditionExpressionParser._lex_condition_expression = _lex_condition_expression  # type: ignore[method-assign]


_PLAIN = (str, int, float, type(None))


class NotAPlainTreeError(Exception):
    """The tree holds something ``copy_expression_tree`` does not copy; ``copy.deepcopy`` does."""


def copy_expression_tree(root: Any) -> Any:
    """A copy of a parsed expression's AST, as ``copy.deepcopy`` makes it: every node new, scalars shared,
    each ``parent`` pointing into the copy. ``NotAPlainTreeError`` if a node holds anything else."""
    copies: dict[int, tuple[Any, Any]] = {}

    def copy_node(node: Any) -> Any:
        attributes = vars(node)
        if any(not isinstance(v, _PLAIN) for k, v in attributes.items() if k not in ("children", "parent")):
            raise NotAPlainTreeError(type(node).__name__)
        new = object.__new__(type(node))
        new.__dict__.update(attributes)
        copies[id(node)] = (node, new)
        if node.children is not None:
            new.children = [copy_child(child) for child in node.children]
        return new

    def copy_child(child: Any) -> Any:
        if isinstance(child, Node):
            return copy_node(child)
        if isinstance(child, _PLAIN):
            return child
        raise NotAPlainTreeError(type(child).__name__)

    copied = copy_node(root)
    for node, new in copies.values():
        if node.parent is not None:
            if id(node.parent) not in copies:
                raise NotAPlainTreeError("a parent outside the tree")
            new.parent = copies[id(node.parent)][1]
    return copied


def _copy_expression_trees_plainly() -> None:
    if getattr(getattr(validators, "deepcopy"), "plain_trees", False):  # noqa: B009
        return

    def deepcopy(value: Any, memo: dict[int, Any] | None = None) -> Any:
        if memo is None and isinstance(value, Node):
            try:
                return copy_expression_tree(value)
            except NotAPlainTreeError:
                pass
        return copy.deepcopy(value, memo)

    deepcopy.plain_trees = True  # type: ignore[attr-defined]
    validators.deepcopy = deepcopy  # type: ignore[attr-defined,assignment]


#: The models whose ``instances_tracked`` moto itself reads (``S3Backend.reset`` disposes of them through it).
STILL_TRACKED = frozenset({("moto.s3.models", "FakeKey"), ("moto.s3.models", "FakeMultipart")})


def _stop_retaining_instances() -> None:
    tracking_new = BaseModel.__dict__["__new__"].__func__  # the staticmethod's function
    if getattr(tracking_new, "retains_only", None) is STILL_TRACKED:
        return

    def new_instance(cls: type[BaseModel], *args: Any, **kwargs: Any) -> BaseModel:
        if (cls.__module__, cls.__qualname__) in STILL_TRACKED:
            instance: BaseModel = tracking_new(cls, *args, **kwargs)
            return instance
        return super(BaseModel, cls).__new__(cls)  # what moto's __new__ makes, without keeping it

    new_instance.retains_only = STILL_TRACKED  # type: ignore[attr-defined]
    BaseModel.__new__ = staticmethod(new_instance)  # type: ignore[method-assign]


#: The traverser methods the one-map walk stands in for; a subclass overriding any of them keeps moto's walk.
_WALK_METHODS = ("traverse_node_recursively", "nodes_to_be_processed", "process")


def traverse_with_one_map(traverser: Any, root: Any) -> Any:
    """moto's ``DepthFirstTraverser.traverse_node_recursively`` from ``root``, reading
    ``traverser._processing_map()`` once instead of twice per node, and asking which processor (if any)
    takes a node once per node type (``processor_position``). A traverser that keeps moto's no-op
    ``pre_processing_of_child`` is not called for each child, and a child that is not a node is not walked
    into (moto's walk returns it as it is): most of a tree's children are names and values."""
    processing: dict[type, Any] = traverser._processing_map()
    kinds, processors = tuple(processing), tuple(processing.values())
    positions = _positions.setdefault(kinds, {})
    hook = None if type(traverser).pre_processing_of_child is MOTO_CHILD_HOOK else traverser.pre_processing_of_child

    def position_of(node: Any) -> int | None:
        kind = type(node)
        return positions[kind] if kind in positions else processor_position(kinds, kind, node)

    def walk(node: Any, child_id: int, position: int | None) -> Any:
        parent_node = node.parent
        children = node.children
        if children is not None:
            for i, child_node in enumerate(children):
                if hook is not None:
                    hook(node, i)
                child_position = position_of(child_node)
                if child_position != NOT_A_NODE:
                    walk(child_node, i, child_position)
        if position is not None:
            node = processors[position](node)
            node.parent = parent_node
            if parent_node:
                parent_node.children[child_id] = node
        return node

    position = position_of(root)
    return root if position == NOT_A_NODE else walk(root, -1, position)


#: ``processor_position``'s answer for a value that is not a ``Node`` (a child string or number).
NOT_A_NODE = -1
#: moto's own child hook, which does nothing.
MOTO_CHILD_HOOK = DepthFirstTraverser.pre_processing_of_child
#: Per processing map's kinds: each node type's processor position.
_positions: dict[tuple[type, ...], dict[type, int | None]] = {}


def processor_position(kinds: tuple[type, ...], node_type: type, node: Any) -> int | None:
    """The position in ``kinds`` of the first class ``node`` is an instance of, as moto's ``process`` picks
    its processor; ``None`` if none is; ``NOT_A_NODE``. Remembered per (kinds, node type): ``Node`` is an
    ABC, and its ``isinstance`` checks, several per node and pass, were most of the walks' cost."""
    positions = _positions.setdefault(kinds, {})
    if node_type in positions:
        return positions[node_type]
    if not isinstance(node, Node):
        position: int | None = NOT_A_NODE
    else:
        position = next((i for i, kind in enumerate(kinds) if isinstance(node, kind)), None)
    return positions.setdefault(node_type, position)


def _walk_with_one_processing_map() -> None:
    if getattr(DepthFirstTraverser.traverse, "one_map", False):
        return
    traverse_by_moto = DepthFirstTraverser.traverse
    moto_walk = {name: getattr(DepthFirstTraverser, name) for name in _WALK_METHODS}

    def traverse(self: Any, node: Any) -> Any:
        if any(getattr(type(self), name) is not method for name, method in moto_walk.items()):
            return traverse_by_moto(self, node)
        return traverse_with_one_map(self, node)

    traverse.one_map = True  # type: ignore[attr-defined]
    DepthFirstTraverser.traverse = traverse


#: moto's own, kept for comparison.
MOTO_FIND_CLAUSES = Node.find_clauses
#: Whether ``find_clauses`` descends into a child of this type (an ``Expression`` or an update function).
_descends: dict[type, bool] = {}


def find_clauses(node: Any, clause_types: Any) -> list[Any]:
    """moto's ``Node.find_clauses``, with ``_descends`` answering its ``isinstance`` checks per type."""
    clauses: list[Any] = []
    for child in node.children or []:
        kind = type(child)
        if kind in clause_types:
            clauses.append(child)
            continue
        descends = _descends.get(kind)
        if descends is None:
            descends = _descends[kind] = isinstance(child, (Expression, UpdateExpressionFunction))
        if descends:
            clauses.extend(child.find_clauses(clause_types))
    return clauses


def _find_clauses_by_type() -> None:
    if Node.find_clauses is not find_clauses:
        Node.find_clauses = find_clauses
