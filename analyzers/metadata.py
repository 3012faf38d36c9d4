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

import builtins
from collections.abc import Iterator, Mapping
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

    def __init__(self, module: cst.Module) -> None:
        self.module = module
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
            return compute_positions(self.module)
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
