"""Metadata for rules, resolved lazily and cheaply instead of by libcst's providers up front.

libcst's own providers are exact but slow: on a 41k-line sample, PositionProvider takes 7.6 s,
QualifiedNameProvider 22 s (more than parsing and visiting together). Most files yield no
finding, so positions are only computed for a file when a rule first asks for one, and
qualified names come from the file's import table (what aliasing actually needs: `import time
as t; t.sleep()` resolves to `time.sleep`), not from a full scope analysis.

`LazyMetadata` is handed to every rule as its `metadata` mapping (what `MetadataDependent.
get_metadata` reads), so rules keep calling `self.get_metadata(PositionProvider, node)` or
`self.get_metadata(QualifiedNameProvider, node, set())` exactly as with a `MetadataWrapper`.
Providers this module does not replace are resolved by libcst on first use.
"""

from __future__ import annotations

import ast
import builtins
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import libcst as cst
from libcst.metadata import (
    CodeRange,
    ParentNodeProvider,
    PositionProvider,
    QualifiedName,
    QualifiedNameProvider,
    QualifiedNameSource,
)
from libcst.metadata.position_provider import PositionProvidingCodegenState

from analyzers.traversal import iter_nodes

_BUILTINS = frozenset(dir(builtins))


class _FastPositionState(PositionProvidingCodegenState):
    """libcst's position codegen with a cheaper line/column update (no regex split per token)."""

    __slots__ = ()

    def _update_position(self, value: str) -> None:
        newlines = value.count("\n")
        if newlines:
            self.line += newlines
            self.column = len(value) - value.rfind("\n") - 1
        else:
            self.column += len(value)


class _Computed:
    """Stands in for a provider: the codegen state writes ranges into `_computed`."""

    def __init__(self) -> None:
        self._computed: dict[cst.CSTNode, CodeRange] = {}


def compute_positions(module: cst.Module) -> dict[cst.CSTNode, CodeRange]:
    """Syntactic start/end of every node, as libcst's PositionProvider reports them."""
    sink = _Computed()
    state = _FastPositionState(
        default_indent=module.default_indent,
        default_newline=module.default_newline,
        provider=sink,  # type: ignore[arg-type]
    )
    module._codegen(state)
    return sink._computed


@dataclass(frozen=True)
class _Unit:
    """A statement whose positions can be generated alone: top level or a class member."""

    stmt: cst.BaseStatement
    start_line: int  # the line its code (leading blank/comment lines included) starts on
    indent: tuple[str, ...]  # indentation of the enclosing class bodies
    check: cst.CSTNode  # a node whose start line must come out as `anchor`
    anchor: int


def statement_units(module: cst.Module, tree: ast.Module) -> list[_Unit] | None:
    """Top-level statements and class members, each placed on its line by the `ast` tree.

    libcst has no positions without generating code, and generating a whole file's code to
    place one finding costs more than parsing it. The `ast` tree of the same source knows
    every statement's line, so a statement can be generated on its own, starting there.
    None when the two trees do not line up (then the whole file is generated).
    """
    units: list[_Unit] = []

    def place(
        body: Sequence[cst.BaseStatement], stmts: list[ast.stmt], indent: tuple[str, ...]
    ) -> bool:
        j = 0
        for stmt in body:
            if j >= len(stmts):
                return False
            node = stmts[j]
            j += len(stmt.body) if isinstance(stmt, cst.SimpleStatementLine) else 1
            decorators = getattr(stmt, "decorators", ())
            if isinstance(stmt, cst.SimpleStatementLine):
                if not stmt.body:
                    return False
                check, anchor, above = stmt.body[0], node.lineno, 0
            elif decorators:
                ast_decorators = getattr(node, "decorator_list", None)
                if not ast_decorators:
                    return False
                check, anchor = decorators[0].decorator, ast_decorators[0].lineno
                above = len(decorators[0].leading_lines)
            else:
                check, anchor, above = stmt, node.lineno, 0
            start = anchor - above - len(getattr(stmt, "leading_lines", ()))
            inner = stmt.body if isinstance(stmt, cst.ClassDef) else None
            if isinstance(inner, cst.IndentedBlock) and isinstance(node, ast.ClassDef):
                level = module.default_indent if inner.indent is None else inner.indent
                if not place(inner.body, node.body, (*indent, level)):
                    return False
            else:
                units.append(_Unit(stmt, start, indent, check, anchor))
        return j == len(stmts)

    return units if place(module.body, tree.body, ()) else None


def unit_positions(module: cst.Module, unit: _Unit) -> dict[cst.CSTNode, CodeRange] | None:
    """Positions of the nodes of one statement; None if it did not land on its anchor."""
    sink = _Computed()
    state = _FastPositionState(
        default_indent=module.default_indent,
        default_newline=module.default_newline,
        provider=sink,  # type: ignore[arg-type]
        indent_tokens=list(unit.indent),
        line=unit.start_line,
    )
    unit.stmt._codegen(state)
    found = sink._computed.get(unit.check)
    if found is None or found.start.line != unit.anchor:
        return None
    return sink._computed


class _Positions(Mapping[cst.CSTNode, CodeRange]):
    """PositionProvider's answers, generated one statement at a time as rules ask.

    Falls back to generating the whole module for a node outside every unit (a class
    header, the module itself) or when a statement does not land where `ast` says.
    """

    def __init__(
        self, module: cst.Module, tree: ast.Module | None, scopes: Sequence[cst.CSTNode] = ()
    ) -> None:
        self._module = module
        self._computed: dict[cst.CSTNode, CodeRange] = {}
        self._units = statement_units(module, tree) if tree is not None else None
        self._unit_index = {id(u.stmt): i for i, u in enumerate(self._units or ())}
        self._owner: dict[int, int] = {}  # id(node) -> unit index, filled as units are searched
        self._indexed: set[int] = set()
        self._whole = False  # `_computed` holds the whole module's positions
        # The functions/classes the traversal is inside right now (innermost last): a rule
        # almost always reports a node of the one it is visiting, so its unit is searched
        # first instead of walking the file's units in order.
        self._scopes = scopes

    def _index(self, i: int) -> None:
        assert self._units is not None
        if i not in self._indexed:
            self._indexed.add(i)
            for inner in iter_nodes(self._units[i].stmt):
                self._owner[id(inner)] = i

    def _unit_of(self, node: cst.CSTNode) -> _Unit | None:
        assert self._units is not None
        index = self._owner.get(id(node))
        for scope in reversed(self._scopes):
            if index is not None:
                break
            hinted = self._unit_index.get(id(scope))
            if hinted is not None:
                self._index(hinted)
                index = self._owner.get(id(node))
        for i in range(len(self._units)):
            if index is not None:
                break
            self._index(i)
            index = self._owner.get(id(node))
        return None if index is None else self._units[index]

    def __getitem__(self, node: cst.CSTNode) -> CodeRange:
        found = self._computed.get(node)
        if found is not None:
            return found
        if self._whole:
            raise KeyError(node)
        unit = self._unit_of(node) if self._units is not None else None
        part = unit_positions(self._module, unit) if unit is not None else None
        if part is not None:
            self._computed.update(part)
            found = part.get(node)
            if found is not None:
                return found
        # Outside every unit, or a unit that did not land: generate the whole module, once.
        self._computed = compute_positions(self._module)
        self._whole = True
        return self._computed[node]

    def __contains__(self, node: object) -> bool:
        return isinstance(node, cst.CSTNode)

    def __iter__(self) -> Iterator[cst.CSTNode]:
        return iter(self._computed)

    def __len__(self) -> int:
        return len(self._computed)


def import_table(module: cst.Module) -> dict[str, str]:
    """Local name -> qualified name for every import in the file, at any depth.

    Imports inside functions count too (CasareRPA imports lazily inside methods a lot); a
    name imported in two places with different targets keeps the first, which is good enough
    for matching calls by name.
    """
    table: dict[str, str] = {}
    package = ""
    todo: list[cst.CSTNode] = [module]
    while todo:
        node = todo.pop()
        if isinstance(node, cst.Import):
            for alias in node.names:
                full = _dotted(alias.name) or ""
                if alias.asname is not None and isinstance(alias.asname.name, cst.Name):
                    table.setdefault(alias.asname.name.value, full)
                else:
                    head = full.split(".", 1)[0]
                    table.setdefault(head, head)
            continue
        if isinstance(node, cst.ImportFrom):
            base = _dotted(node.module) if node.module is not None else package
            dots = "." * len(node.relative)
            if isinstance(node.names, cst.ImportStar):
                continue
            for alias in node.names:
                name = _dotted(alias.name) or ""
                local = name
                if alias.asname is not None and isinstance(alias.asname.name, cst.Name):
                    local = alias.asname.name.value
                table.setdefault(local, f"{dots}{base}.{name}" if base else f"{dots}{name}")
            continue
        # Statements only: imports never live inside expressions.
        body = getattr(node, "body", None)
        if isinstance(body, (list, tuple)):
            todo.extend(n for n in body if isinstance(n, cst.CSTNode))
        elif isinstance(body, cst.CSTNode):
            todo.append(body)
        for extra in ("orelse", "finalbody"):
            sub = getattr(node, extra, None)
            if isinstance(sub, cst.CSTNode):
                todo.append(sub)
        handlers = getattr(node, "handlers", None)
        if isinstance(handlers, (list, tuple)):
            todo.extend(handlers)
    return table


def _dotted(expr: cst.CSTNode | None) -> str | None:
    if isinstance(expr, cst.Name):
        return expr.value
    if isinstance(expr, cst.Attribute):
        base = _dotted(expr.value)
        return f"{base}.{expr.attr.value}" if base is not None else None
    return None


def resolve_dotted(dotted: str, imports: Mapping[str, str]) -> tuple[str, QualifiedNameSource]:
    """`t.sleep` -> (`time.sleep`, IMPORT) given `import time as t`; builtins -> `builtins.X`."""
    head, _, rest = dotted.partition(".")
    if head in imports:
        full = imports[head]
        return (f"{full}.{rest}" if rest else full), QualifiedNameSource.IMPORT
    if head in _BUILTINS:
        return f"builtins.{dotted}", QualifiedNameSource.BUILTIN
    return dotted, QualifiedNameSource.LOCAL


class _QualifiedNames(Mapping[cst.CSTNode, set[QualifiedName]]):
    """Import-table based stand-in for QualifiedNameProvider (Name and Attribute chains)."""

    def __init__(self, module: cst.Module) -> None:
        self._module = module
        self._imports: dict[str, str] | None = None

    @property
    def imports(self) -> dict[str, str]:
        if self._imports is None:
            self._imports = import_table(self._module)
        return self._imports

    def __getitem__(self, node: cst.CSTNode) -> set[QualifiedName]:
        dotted = _dotted(node)
        if dotted is None:
            return set()
        name, source = resolve_dotted(dotted, self.imports)
        return {QualifiedName(name=name, source=source)}

    def get(self, node: cst.CSTNode, default: Any = None) -> Any:  # type: ignore[override]
        found = self[node]
        return found if found else default

    def __contains__(self, node: object) -> bool:
        return isinstance(node, (cst.Name, cst.Attribute))

    def __iter__(self) -> Iterator[cst.CSTNode]:
        return iter(())

    def __len__(self) -> int:
        return 0


def compute_parents(module: cst.Module) -> dict[cst.CSTNode, cst.CSTNode]:
    parents: dict[cst.CSTNode, cst.CSTNode] = {}
    todo: list[cst.CSTNode] = [module]
    while todo:
        node = todo.pop()
        for child in node.children:
            parents[child] = node
            todo.append(child)
    return parents


class LazyMetadata(Mapping[Any, Mapping[cst.CSTNode, Any]]):
    """The `metadata` mapping rules read; each provider is resolved on first access."""

    def __init__(self, module: cst.Module, tree: ast.Module | None = None) -> None:
        self.module = module
        self.tree = tree  # the same source's `ast` tree: positions per statement (_Positions)
        self.scopes: list[cst.CSTNode] = []  # kept by ScopeTracker during a traversal
        self._resolved: dict[Any, Mapping[cst.CSTNode, Any]] = {}
        self._wrapper: cst.MetadataWrapper | None = None

    def __getitem__(self, key: Any) -> Mapping[cst.CSTNode, Any]:
        found = self._resolved.get(key)
        if found is None:
            found = self._resolve(key)
            self._resolved[key] = found
        return found

    def _resolve(self, key: Any) -> Mapping[cst.CSTNode, Any]:
        if key is PositionProvider:
            return _Positions(self.module, self.tree, self.scopes)
        if key is QualifiedNameProvider:
            return _QualifiedNames(self.module)
        if key is ParentNodeProvider:
            return compute_parents(self.module)
        if self._wrapper is None:
            self._wrapper = cst.MetadataWrapper(self.module, unsafe_skip_copy=True)
        return self._wrapper.resolve(key)

    def __contains__(self, key: object) -> bool:
        return True

    def __iter__(self) -> Iterator[Any]:
        return iter(self._resolved)

    def __len__(self) -> int:
        return len(self._resolved)


class ScopeTracker:
    """Keeps `LazyMetadata.scopes` as the traversal enters and leaves functions and classes.

    Runs first in the batched traversal, so a rule's `visit_FunctionDef` already sees its
    function as the innermost scope.
    """

    def __init__(self, metadata: LazyMetadata) -> None:
        self._scopes = metadata.scopes

    def get_visitors(self) -> dict[str, Any]:
        push, pop = self._scopes.append, self._pop
        return {
            "visit_FunctionDef": push,
            "visit_ClassDef": push,
            "leave_FunctionDef": pop,
            "leave_ClassDef": pop,
        }

    def _pop(self, node: cst.CSTNode) -> None:
        self._scopes.pop()
