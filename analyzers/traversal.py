"""A read-only batched traversal: libcst's `visit_batched` without rebuilding the tree.

libcst's `CSTNode.visit` always reconstructs every node it passes through, even for a visitor
that cannot change anything (its own source says "TODO: provide traversal where children are
not replaced"). On CasareRPA that rebuild was over half of the audit's CPU time: a million
nodes re-created per run only to be thrown away. This walk reads the children straight from
the node's fields, in the same order libcst visits them, and calls the same
`visit_<Type>`/`leave_<Type>` methods, so rules see exactly what `visit_batched` shows them.

The visiting order of a node type is read from its `_visit_and_replace_children` code: libcst
passes each field's name as a string constant, in visiting order (this also works from
bytecode only, e.g. in the PyInstaller bundle). Visitors with `visit_<Type>_<attr>`
attribute hooks, which this walk does not call, go through libcst's own traversal.
"""

from __future__ import annotations

import dataclasses
import typing
from collections.abc import Callable, Sequence
from typing import Protocol

import libcst as cst
from libcst._batched_visitor import visit_batched

VisitorMethod = Callable[[cst.CSTNode], object]


class Batchable(Protocol):
    def get_visitors(self) -> dict[str, VisitorMethod]: ...


_ORDER: dict[type, tuple[str, ...]] = {}

# Formatting-only nodes: whitespace, comments and punctuation (the shape helpers in
# `analyzers.rules._shapes` skip exactly these too).
FORMATTING: tuple[type, ...] = (
    cst.BaseParenthesizableWhitespace,
    cst.Newline,
    cst.EmptyLine,
    cst.TrailingWhitespace,
    cst.Comment,
    cst.Comma,
    cst.Dot,
    cst.LeftParen,
    cst.RightParen,
    cst.LeftSquareBracket,
    cst.RightSquareBracket,
    cst.LeftCurlyBrace,
    cst.RightCurlyBrace,
    cst.Colon,
    cst.Semicolon,
    cst.AssignEqual,
)
# Formatting plus operator tokens: about half of all nodes, with only other trivia below
# them. Unless some visitor asks for one of these types, they are not walked at all.
TRIVIA_BASES: tuple[type, ...] = (
    *FORMATTING,
    cst.BaseBinaryOp,
    cst.BaseBooleanOp,
    cst.BaseCompOp,
    cst.BaseUnaryOp,
    cst.BaseAugOp,
)


def _trivia_types() -> frozenset[type]:
    out: set[type] = set()
    todo = list(TRIVIA_BASES)
    while todo:
        t = todo.pop()
        out.add(t)
        todo.extend(t.__subclasses__())
    return frozenset(out)


_TRIVIA = _trivia_types()
_TRIVIA_NAMES = frozenset(t.__name__ for t in _TRIVIA)


def visit_order(node_type: type) -> tuple[str, ...]:
    """Field names of `node_type` in the order libcst visits them (children-bearing or not)."""
    order = _ORDER.get(node_type)
    if order is None:
        fields = [f.name for f in dataclasses.fields(node_type)]
        code = node_type._visit_and_replace_children.__code__
        seen: list[str] = []
        for const in code.co_consts:
            if isinstance(const, str) and const in fields and const not in seen:
                seen.append(const)
        # A field libcst never names in its visit code is not visited by it either
        # (leaf values such as `Name.value`); only fields named there are walked.
        order = tuple(seen)
        _ORDER[node_type] = order
    return order


def _node_subclasses(base: type) -> set[type]:
    out = {base}
    todo = [base]
    while todo:
        for sub in todo.pop().__subclasses__():
            if sub not in out:
                out.add(sub)
                todo.append(sub)
    return out


_FIELD_TYPES: dict[type, frozenset[type] | None] = {}


def _field_node_types(node_type: type) -> frozenset[type] | None:
    """Node types a field of `node_type` may hold, from libcst's annotations (every subclass
    of an annotated base); None when some annotation cannot be read.

    Memoized: `types_below` asks it of every type under every hooked type, and
    `typing.get_type_hints` is slow (4.5 s for libcst's 382 node types unmemoized, in each
    worker process, against 0.1 s)."""
    if node_type not in _FIELD_TYPES:
        _FIELD_TYPES[node_type] = _read_field_node_types(node_type)
    return _FIELD_TYPES[node_type]


def _read_field_node_types(node_type: type) -> frozenset[type] | None:
    try:
        hints = typing.get_type_hints(node_type)
    except Exception:
        return None
    out: set[type] = set()
    for f in dataclasses.fields(node_type):
        todo = [hints.get(f.name)]
        while todo:
            hint = todo.pop()
            if isinstance(hint, type):
                if issubclass(hint, cst.CSTNode):
                    out |= _node_subclasses(hint)
                continue
            if typing.get_origin(hint) is typing.Literal:
                continue  # `Literal["..."]`: plain values, no node
            args = typing.get_args(hint)
            if not args:
                if hint is None or hint is type(None):
                    continue
                return None  # a string or an unresolved annotation: could be anything
            todo.extend(a for a in args if a is not Ellipsis and a is not type(None))
    return frozenset(out)


_BELOW: dict[type, frozenset[str] | None] = {}


def types_below(node_type: type) -> frozenset[str] | None:
    """Names of every node type that can occur anywhere under a `node_type` node, or None
    if libcst's annotations do not say (then anything can)."""
    if node_type in _BELOW:
        return _BELOW[node_type]
    seen: set[type] = set()
    todo = [node_type]
    names: set[str] = set()
    result: frozenset[str] | None = None
    while todo:
        current = todo.pop()
        children = _field_node_types(current)
        if children is None:
            break
        for child in children - seen:
            seen.add(child)
            names.add(child.__name__)
            todo.append(child)
    else:
        result = frozenset(names)
    _BELOW[node_type] = result
    return result


# frozenset of hooked type names -> node type -> whether nothing under (or at) it is hooked
_PRUNE: dict[frozenset[str], dict[type, bool]] = {}


def _prunable(hooked: frozenset[str]) -> dict[type, bool]:
    table = _PRUNE.get(hooked)
    if table is None:
        if len(_PRUNE) > 256:
            _PRUNE.clear()
        table = _PRUNE[hooked] = {}
    return table


def _has_attribute_hooks(methods: dict[str, list[VisitorMethod]]) -> bool:
    # `visit_Call` is a node hook, `visit_Call_func` an attribute hook: node type names are
    # CamelCase without underscores.
    return any("_" in name.split("_", 1)[1] for name in methods)


def visit_readonly(module: cst.CSTNode, visitors: Sequence[Batchable]) -> None:
    """Run every visitor's `visit_*`/`leave_*` methods over `module`, in libcst's order."""
    methods: dict[str, list[VisitorMethod]] = {}
    for visitor in visitors:
        for name, fn in visitor.get_visitors().items():
            methods.setdefault(name, []).append(fn)
    if _has_attribute_hooks(methods):
        visit_batched(module, visitors)  # type: ignore[arg-type]
        return
    # Per node type: (visit methods, leave methods, field names in visiting order).
    plan: dict[type, tuple[list[VisitorMethod], list[VisitorMethod], tuple[str, ...]]] = {}
    node_base = cst.CSTNode
    hooked = frozenset(name.split("_", 1)[1] for name in methods)
    skip = frozenset() if hooked & _TRIVIA_NAMES else _TRIVIA
    # A subtree where no node can be of a hooked type is not walked: with only statement-
    # level hooks (functions, classes, loops), no expression is entered at all. Expressions
    # are most of a tree's nodes, and most files are walked for such hooks only.
    prune = _prunable(hooked)

    def skipped(node_type: type) -> bool:
        below = types_below(node_type)
        pruned = node_type.__name__ not in hooked and below is not None and not below & hooked
        prune[node_type] = pruned
        return pruned

    def walk(node: cst.CSTNode) -> None:
        node_type = type(node)
        step = plan.get(node_type)
        if step is None:
            name = node_type.__name__
            step = (
                methods.get(f"visit_{name}", []),
                methods.get(f"leave_{name}", []),
                visit_order(node_type),
            )
            plan[node_type] = step
        visits, leaves, order = step
        for fn in visits:
            fn(node)
        for field in order:
            value = getattr(node, field)
            value_type = type(value)
            if value_type in (list, tuple):
                for item in value:
                    item_type = type(item)
                    if (
                        item_type not in skip
                        and isinstance(item, node_base)
                        and not prune.get(item_type, False)
                        and not (item_type not in prune and skipped(item_type))
                    ):
                        walk(item)
            elif (
                value_type not in skip
                and isinstance(value, node_base)
                and not prune.get(value_type, False)
                and not (value_type not in prune and skipped(value_type))
            ):
                walk(value)
        for fn in leaves:
            fn(node)

    walk(module)


def iter_nodes(root: cst.CSTNode) -> list[cst.CSTNode]:
    """`root` and every node under it (preorder, libcst's order), without rebuilding any."""
    out: list[cst.CSTNode] = []
    node_base = cst.CSTNode
    stack = [root]
    while stack:
        node = stack.pop()
        out.append(node)
        children: list[cst.CSTNode] = []
        for field in visit_order(type(node)):
            value = getattr(node, field)
            if type(value) in (list, tuple):
                children.extend(item for item in value if isinstance(item, node_base))
            elif isinstance(value, node_base):
                children.append(value)
        stack.extend(reversed(children))
    return out
