"""Small syntax-shape helpers shared by the area 4-10 rules (not a rule: no `Rule` subclass here).

Most of these rules judge one function or one class at a time ("does this paint() allocate",
"does this class ever disconnect"), so they walk that subtree themselves. `body_nodes` walks a
function once, without descending into nested functions, lambdas or classes (their code runs
at another time), and caches the walk so that several rules judging the same function share it.
"""

from __future__ import annotations

import bisect
import dataclasses
import itertools
import re
import typing
from collections.abc import Iterator

import libcst as cst

from analyzers.metadata import import_table
from analyzers.traversal import FORMATTING

Ancestors = tuple[cst.CSTNode, ...]

# Code inside these runs at another time than the code around it.
_SCOPE_BREAKS = (cst.FunctionDef, cst.Lambda, cst.ClassDef)
_COMPREHENSIONS = (cst.ListComp, cst.SetComp, cst.DictComp, cst.GeneratorExp)

# id(root) -> (root, walk). The root is kept in the value so its id cannot be reused while cached.
_WALK_CACHE: dict[int, tuple[cst.CSTNode, list[tuple[cst.CSTNode, Ancestors]]]] = {}
_WALK_CACHE_LIMIT = 20000


# Formatting-only nodes: never what a rule looks for, and most of a tree's node count.
_SKIP = FORMATTING
# Per concrete node type: its child-bearing field names. libcst node classes are ABCs, so
# `isinstance` on them is slow; the walk decides by exact type through these tables instead.
_FIELDS: dict[type, tuple[str, ...]] = {}
_KIND: dict[type, int] = {}  # 0: not a node or skipped, 1: node, 2: node that breaks scope
_SEQUENCES = (list, tuple)


def _kind(t: type) -> int:
    kind = _KIND.get(t)
    if kind is None:
        if not issubclass(t, cst.CSTNode) or issubclass(t, _SKIP):
            kind = 0
        elif issubclass(t, _SCOPE_BREAKS):
            kind = 2
        else:
            kind = 1
        _KIND[t] = kind
    return kind


def _classes_in(annotation: object) -> set[type] | None:
    """Every class an annotation names (through Union/Optional/Sequence...); None if unsure."""
    if isinstance(annotation, type):
        return {annotation}
    args = typing.get_args(annotation)
    if not args:
        return None  # a string or something unresolved: assume it may hold anything
    out: set[type] = set()
    for arg in args:
        if arg is type(None) or arg is Ellipsis:
            continue
        found = _classes_in(arg)
        if found is None:
            return None
        out |= found
    return out


def _child_fields(t: type) -> tuple[str, ...]:
    """Fields of node type `t` that can hold a node a rule may look at.

    Fields typed as whitespace, punctuation or plain values (`Name.value: str`) are dropped
    once per type, going by libcst's own annotations: reading them for every node was most
    of this walk's cost. A field whose annotation cannot be resolved is kept.
    """
    try:
        hints = typing.get_type_hints(t)
    except Exception:
        hints = {}
    names = []
    for f in dataclasses.fields(t):
        classes = _classes_in(hints.get(f.name)) if f.name in hints else None
        if classes is not None and not any(
            issubclass(c, cst.CSTNode) and not issubclass(c, _SKIP) for c in classes
        ):
            continue
        names.append(f.name)
    return tuple(names)


def _children(node: cst.CSTNode) -> list[cst.CSTNode]:
    """Child nodes, read from the node's fields in declaration order.

    `CSTNode.children` runs a visitor per call; reading fields is several times faster and
    this walk is the bulk of these rules' cost.
    """
    t = type(node)
    names = _FIELDS.get(t)
    if names is None:
        names = _child_fields(t)
        _FIELDS[t] = names
    out: list[cst.CSTNode] = []
    kinds = _KIND
    for name in names:
        value = getattr(node, name)
        vt = type(value)
        if vt is list or vt is tuple:
            for v in value:
                k = kinds.get(type(v))
                if k is None:
                    k = _kind(type(v))
                if k:
                    out.append(v)
        else:
            k = kinds.get(vt)
            if k is None:
                k = _kind(vt)
            if k:
                out.append(value)
    return out


def _walk(root: cst.CSTNode) -> list[tuple[cst.CSTNode, Ancestors]]:
    out: list[tuple[cst.CSTNode, Ancestors]] = []
    stack: list[tuple[cst.CSTNode, Ancestors]] = [
        (child, (root,)) for child in reversed(_children(root))
    ]
    while stack:
        node, ancestors = stack.pop()
        out.append((node, ancestors))
        if _KIND[type(node)] == 2:
            continue
        inner = (*ancestors, node)
        stack.extend((child, inner) for child in reversed(_children(node)))
    return out


def body_nodes(root: cst.CSTNode) -> list[tuple[cst.CSTNode, Ancestors]]:
    """Every node under `root` with its ancestors (root first), nested scopes not entered.

    Nested function/class/lambda nodes themselves are yielded (so a rule can see that they
    exist) but their insides are not.
    """
    cached = _WALK_CACHE.get(id(root))
    if cached is not None and cached[0] is root:
        return cached[1]
    if len(_WALK_CACHE) >= _WALK_CACHE_LIMIT:
        _WALK_CACHE.clear()
    walk = _walk(root)
    _WALK_CACHE[id(root)] = (root, walk)
    return walk


def calls_in(root: cst.CSTNode) -> Iterator[tuple[cst.Call, Ancestors]]:
    for node, ancestors in body_nodes(root):
        if isinstance(node, cst.Call):
            yield node, ancestors


def dotted(expr: cst.BaseExpression | None) -> str | None:
    """`self._graph.all_nodes` for a Name/Attribute chain; calls on the way show as `()`."""
    if isinstance(expr, cst.Name):
        return expr.value
    if isinstance(expr, cst.Attribute):
        base = dotted(expr.value)
        return f"{base}.{expr.attr.value}" if base is not None else None
    if isinstance(expr, cst.Call):
        base = dotted(expr.func)
        return f"{base}()" if base is not None else None
    return None


def call_name(call: cst.Call) -> str:
    """The called name's last part: `sleep` for `time.sleep(...)`, `foo` for `foo()`."""
    func = call.func
    if isinstance(func, cst.Attribute):
        return func.attr.value
    if isinstance(func, cst.Name):
        return func.value
    return ""


def call_receiver(call: cst.Call) -> str | None:
    """Dotted receiver of a method call: `self._timer` for `self._timer.start(16)`."""
    if isinstance(call.func, cst.Attribute):
        return dotted(call.func.value)
    return None


class ImportMap:
    """Local name -> qualified name, from every import statement in a module.

    Built on `analyzers.metadata.import_table` (the same table the engine's cheap
    QualifiedNameProvider stand-in uses), so `import time as t; t.sleep` -> `time.sleep` and
    `from PySide6.QtGui import QPen as P; P()` -> `PySide6.QtGui.QPen`. Unlike the metadata
    lookup, `qualify` answers None for names that are not imported: rules here use that to
    tell a library call from a method on a local object.
    """

    def __init__(self, module: cst.Module) -> None:
        self.names: dict[str, str] = import_table(module)

    def qualify(self, expr: cst.BaseExpression) -> str | None:
        """`time.sleep` for `t.sleep` after `import time as t`; None when not imported."""
        name = dotted(expr)
        if not name or "()" in name:
            return None
        head, _, rest = name.partition(".")
        target = self.names.get(head)
        if target is None:
            return None
        return f"{target}.{rest}" if rest else target


_IMPORT_CACHE: dict[int, tuple[cst.Module, ImportMap]] = {}


def import_map(module: cst.Module) -> ImportMap:
    """The module's ImportMap, shared by all rules running on the same module."""
    cached = _IMPORT_CACHE.get(id(module))
    if cached is not None and cached[0] is module:
        return cached[1]
    _IMPORT_CACHE.clear()
    result = ImportMap(module)
    _IMPORT_CACHE[id(module)] = (module, result)
    return result


def enclosing_loop(
    node: cst.CSTNode, ancestors: Ancestors, *, comprehensions: bool = False
) -> cst.CSTNode | None:
    """The innermost loop whose *body* contains `node` (a for's iterable runs once, not per item).

    With `comprehensions`, the element and conditions of a comprehension count as a loop body.
    """
    chain = (*ancestors, node)
    for i in range(len(chain) - 2, -1, -1):
        anc, child = chain[i], chain[i + 1]
        if isinstance(anc, (cst.For, cst.While)) and child is anc.body:
            return anc
        if comprehensions and isinstance(anc, _COMPREHENSIONS):
            elt = getattr(anc, "elt", None) or getattr(anc, "value", None)
            if child is elt or child is getattr(anc, "key", None):
                return anc
        if comprehensions and isinstance(anc, cst.CompFor) and child in anc.ifs:
            return anc
    return None


def is_awaited(ancestors: Ancestors) -> bool:
    return bool(ancestors) and isinstance(ancestors[-1], cst.Await)


def int_value(expr: cst.BaseExpression | None) -> int | None:
    if isinstance(expr, cst.Integer):
        return int(expr.evaluated_value)
    if isinstance(expr, cst.Float):
        return int(expr.evaluated_value)
    return None


def arg(call: cst.Call, index: int, keyword: str | None = None) -> cst.BaseExpression | None:
    """The positional argument at `index` or the keyword argument `keyword`."""
    positional = [a for a in call.args if a.keyword is None and not a.star]
    if keyword is not None:
        for a in call.args:
            if a.keyword is not None and a.keyword.value == keyword:
                return a.value
    if index < len(positional):
        return positional[index].value
    return None


def methods_of(cls: cst.ClassDef) -> dict[str, cst.FunctionDef]:
    """Methods defined directly in the class body (the last definition wins, as in Python)."""
    out: dict[str, cst.FunctionDef] = {}
    body = cls.body
    if isinstance(body, cst.IndentedBlock):
        for stmt in body.body:
            if isinstance(stmt, cst.FunctionDef):
                out[stmt.name.value] = stmt
    return out


def self_method_calls(scope: cst.CSTNode) -> set[str]:
    """Names of `self.X(...)` calls under `scope` (a function's body, or only a loop)."""
    out: set[str] = set()
    for call, _ in calls_in(scope):
        f = call.func
        if (
            isinstance(f, cst.Attribute)
            and isinstance(f.value, cst.Name)
            and f.value.value == "self"
        ):
            out.add(f.attr.value)
    return out


def reachable_methods(methods: dict[str, cst.FunctionDef], start: str) -> dict[str, list[str]]:
    """Methods reachable from `start` through `self.X()` calls: name -> path from `start`."""
    paths: dict[str, list[str]] = {start: [start]}
    todo = [start]
    while todo:
        name = todo.pop()
        for callee in sorted(self_method_calls(methods[name])):
            if callee in methods and callee not in paths:
                paths[callee] = [*paths[name], callee]
                todo.append(callee)
    return paths


def decorator_names(func: cst.FunctionDef) -> set[str]:
    out: set[str] = set()
    for dec in func.decorators:
        expr = dec.decorator.func if isinstance(dec.decorator, cst.Call) else dec.decorator
        name = dotted(expr)
        if name:
            out.add(name.rsplit(".", 1)[-1])
    return out


def names_text(node: cst.CSTNode) -> str:
    """The identifiers and string literals under `node`, space-separated.

    A cheap stand-in for the node's source when a rule only searches it for words
    (`retry`, `idle`, `self.browser`): generating code costs far more than this walk.
    """
    parts: list[str] = []
    for sub, _ in [(node, ()), *body_nodes(node)]:
        if isinstance(sub, cst.Name):
            parts.append(sub.value)
        elif isinstance(sub, cst.Attribute):
            parts.append(f".{sub.attr.value}")
        elif isinstance(sub, cst.SimpleString):
            parts.append(sub.value)
    return " ".join(parts)


_EMPTY_MODULE = cst.Module(body=[])


def source_of(node: cst.CSTNode, limit: int = 60) -> str:
    """The node's source on one line (runs of whitespace and line breaks as one space),
    shortened: for naming the object in a message. Only the first line used to be kept,
    which made `gather(*(\n work(x) for x in xs))` read as "gather(*(" in a message."""
    code = " ".join(_EMPTY_MODULE.code_for_node(node).split())
    code = re.sub(r"([(\[{]) ", r"\1", re.sub(r" ([)\]}])", r"\1", code))
    return code if len(code) <= limit else code[: limit - 3] + "..."


LOOP_HEAD = re.compile(r"^\s*(?:async\s+)?(?:for|while)\b")


_MULTILINE: dict[re.Pattern[str], re.Pattern[str]] = {}


def _multiline(pattern: re.Pattern[str]) -> re.Pattern[str]:
    """`pattern` with `^`/`$` at every line: whatever it finds in one line it finds there
    in the whole text too."""
    found = _MULTILINE.get(pattern)
    if found is None:
        found = _MULTILINE[pattern] = re.compile(pattern.pattern, pattern.flags | re.M)
    return found


def indented_under(
    source: str, head: re.Pattern[str], body: re.Pattern[str], window: int = 150
) -> bool:
    """Whether a line matching `body` sits indented under a recent line matching `head`.

    A text-only prefilter (no parsing): lets a rule skip files where its shape cannot occur,
    e.g. an `emit(` under a `for`, so most files never need a libcst pass for it. A head
    counts when it is at most `window` lines above and every non-blank line since is
    indented deeper than it.
    """
    if _LINE_BREAKS_BESIDES_NEWLINE.search(source):
        return _indented_under_by_lines(source.splitlines(), head, body, window)
    # Two searches over the whole text find the few lines that matter; only the `window`
    # lines above each body match are then read, instead of two searches per line.
    bodies = [m.span() for m in _multiline(body).finditer(source)]
    if not bodies or _multiline(head).search(source) is None:
        return False
    lines = source.split("\n")
    starts = list(itertools.accumulate((len(line) + 1 for line in lines[:-1]), initial=0))
    is_head: dict[int, bool] = {}
    # every line a match touches (one spanning a line break is looked at on each line)
    candidates = {
        n
        for begin, end in bodies
        for n in range(
            bisect.bisect_right(starts, begin) - 1, bisect.bisect_right(starts, end) - 1 + 1
        )
    }
    for number in sorted(candidates):
        first = max(0, number - window)
        heads: list[tuple[int, int]] = []
        for n in range(first, number + 1):
            line = lines[n]
            stripped = line.lstrip()
            if not stripped:
                continue
            indent = len(line) - len(stripped)
            heads = [(i, h) for i, h in heads if i < indent]
            if n == number:
                if heads and body.search(line):
                    return True
                break
            if n not in is_head:
                is_head[n] = head.search(line) is not None
            if is_head[n]:
                heads.append((indent, n))
    return False


# `str.splitlines` also breaks at these; text holding one is read line by line as before.
_LINE_BREAKS_BESIDES_NEWLINE = re.compile("[\r\v\f\x1c-\x1e\x85\u2028\u2029]")


def _indented_under_by_lines(
    lines: list[str], head: re.Pattern[str], body: re.Pattern[str], window: int
) -> bool:
    heads: list[tuple[int, int]] = []
    for number, line in enumerate(lines):
        stripped = line.lstrip()
        if not stripped:
            continue
        indent = len(line) - len(stripped)
        heads = [(i, n) for i, n in heads if i < indent or n == number]
        if body.search(line) and any(number - n <= window for i, n in heads if i < indent):
            return True
        if head.search(line):
            heads.append((indent, number))
    return False


# Pool methods that hand out a pooled resource, as the pool rules recognise them: the name
# regex for the visitor and the cheap text prefilter for the runner, kept side by side.
POOL_ACQUIRE_NAME = re.compile(
    r"^_?(acquire|checkout|borrow|get_connection|get_session|get_context)\w*$"
)
POOL_ACQUIRE_TRIGGERS = (
    "def acquire",
    "def _acquire",
    "def checkout",
    "def borrow",
    "def get_connection",
    "def get_session",
    "def get_context",
)
