"""The read-only traversal must call rules exactly as libcst's `visit_batched` does."""

from __future__ import annotations

from pathlib import Path

import libcst as cst
import pytest

from analyzers.traversal import iter_nodes, visit_readonly

REPO = Path(__file__).resolve().parents[2]

MODERN = """
import asyncio
type Alias[T] = list[T]

class Box[T](Base, metaclass=Meta):
    @staticmethod
    async def run[U](x: U, /, *args, key: int = 1, **kw) -> U:
        async with lock as held, other():
            async for item in source():
                match item:
                    case {"k": [1, *rest]} | Point(x=0) if rest:
                        y = (z := item) if item else lambda q=1: q
                    case _:
                        pass
        try:
            print(f"{x!r:>{width}} {y=}", *args, sep="")
        except* ValueError as exc:
            raise RuntimeError from exc
        finally:
            del kw[key], args
        return [a for a in range(3) if a] or {b: c for b, c in kw.items()}
"""


def _all_node_types() -> list[str]:
    out: set[str] = set()
    todo: list[type] = [cst.CSTNode]
    while todo:
        for sub in todo.pop().__subclasses__():
            out.add(sub.__name__)
            todo.append(sub)
    return sorted(out)


class _Recorder:
    """Has a visit_/leave_ method for every node type: records the order it is called in."""

    def __init__(self) -> None:
        self.log: list[tuple[str, int]] = []

    def get_visitors(self) -> dict:
        out = {}
        for name in _all_node_types():
            out[f"visit_{name}"] = lambda node: self.log.append(("visit", id(node)))
            out[f"leave_{name}"] = lambda node: self.log.append(("leave", id(node)))
        return out


class _Reference(cst.CSTVisitor):
    def __init__(self) -> None:
        super().__init__()
        self.log: list[tuple[str, int]] = []

    def on_visit(self, node: cst.CSTNode) -> bool:
        self.log.append(("visit", id(node)))
        return True

    def on_leave(self, original_node: cst.CSTNode) -> None:
        self.log.append(("leave", id(original_node)))


def _sources() -> list[tuple[str, str]]:
    files = sorted((REPO / "analyzers").rglob("*.py")) + sorted((REPO / "inspector").rglob("*.py"))
    return [("modern syntax", MODERN)] + [(p.name, p.read_text("utf-8")) for p in files[:80]]


@pytest.mark.parametrize(("name", "source"), _sources(), ids=lambda v: v[:30])
def test_same_calls_in_the_same_order_as_libcst(name, source):
    module = cst.parse_module(source)
    ours, theirs = _Recorder(), _Reference()
    visit_readonly(module, [ours])
    module.visit(theirs)
    assert ours.log == theirs.log
    assert [i for kind, i in ours.log if kind == "visit"] == [id(n) for n in iter_nodes(module)]


def test_attribute_hooks_go_through_libcst():
    calls: list[str] = []

    class WithAttributeHook(cst.BatchableCSTVisitor):
        def visit_Call_func(self, node: cst.Call) -> None:
            calls.append("func")

    visit_readonly(cst.parse_module("f(x)\n"), [WithAttributeHook()])
    assert calls == ["func"]


class _NonTriviaRecorder(_Recorder):
    """Hooks every node type except whitespace/punctuation/operators, as real rules do."""

    def get_visitors(self) -> dict:
        from analyzers.traversal import _TRIVIA_NAMES

        return {
            name: fn
            for name, fn in super().get_visitors().items()
            if name.split("_", 1)[1] not in _TRIVIA_NAMES
        }


@pytest.mark.parametrize(("name", "source"), _sources()[:20], ids=lambda v: v[:30])
def test_trivia_is_skipped_without_changing_what_rules_see(name, source):
    from analyzers.traversal import _TRIVIA

    module = cst.parse_module(source)
    ours, theirs = _NonTriviaRecorder(), _Reference()
    visit_readonly(module, [ours])
    module.visit(theirs)
    trivia_ids = {id(n) for n in iter_nodes(module) if type(n) in _TRIVIA}
    assert ours.log == [entry for entry in theirs.log if entry[1] not in trivia_ids]
    # nothing but trivia ever sits under trivia, so skipping a subtree hides no real node
    for node in iter_nodes(module):
        if type(node) in _TRIVIA:
            assert all(type(n) in _TRIVIA for n in iter_nodes(node))


class _SubsetRecorder:
    """Hooks only the given node types, as a file's wanted rules do."""

    def __init__(self, names: tuple[str, ...]) -> None:
        self.names = names
        self.log: list[tuple[str, int]] = []

    def get_visitors(self) -> dict:
        out = {}
        for name in self.names:
            out[f"visit_{name}"] = lambda node: self.log.append(("visit", id(node)))
            out[f"leave_{name}"] = lambda node: self.log.append(("leave", id(node)))
        return out


HOOK_SETS = (
    ("Module", "FunctionDef", "ClassDef"),  # statement-level only: expressions are pruned
    ("FunctionDef", "For", "While", "With"),
    ("Call",),  # calls sit in lambdas, comprehensions, decorators, defaults, f-strings
    ("Lambda", "GeneratorExp", "Yield"),
    ("Name",),
)


@pytest.mark.parametrize("names", HOOK_SETS, ids=lambda v: "+".join(v))
@pytest.mark.parametrize(("name", "source"), _sources()[:12], ids=lambda v: v[:30])
def test_pruned_subtrees_hide_no_hooked_node(names, name, source):
    module = cst.parse_module(source)
    ours, theirs = _SubsetRecorder(names), _Reference()
    visit_readonly(module, [ours])
    module.visit(theirs)
    wanted = {id(n) for n in iter_nodes(module) if type(n).__name__ in names}
    assert ours.log == [entry for entry in theirs.log if entry[1] in wanted]


def test_nothing_below_a_name_or_a_statement_line_is_a_function():
    from analyzers.traversal import types_below

    assert types_below(cst.Name) is not None and not types_below(cst.Name) & {"Call", "Name"}
    assert "FunctionDef" not in types_below(cst.SimpleStatementLine)
    assert {"Call", "Lambda"} <= types_below(cst.SimpleStatementLine)
    assert {"FunctionDef", "ClassDef", "Call"} <= types_below(cst.If)
