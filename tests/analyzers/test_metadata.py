"""Lazy metadata must agree with libcst's own providers where rules rely on it."""

from __future__ import annotations

import textwrap

import libcst as cst
from libcst.metadata import PositionProvider

from analyzers.metadata import LazyMetadata, compute_positions, import_table, resolve_dotted
from analyzers.registry import all_rules

SAMPLE = textwrap.dedent(
    '''
    import time as t
    from os import path as p, listdir
    from . import sibling

    class A:
        """doc"""

        def f(self, x):
            if x:
                t.sleep(
                    1,
                )
            return [listdir(p.join("a", "b")) for _ in range(3)]

        async def g(self):
            import subprocess as sp
            await self.h(); sp.run(["ls"])
    '''
)


def test_fast_positions_equal_libcst_positions_for_every_node():
    module = cst.parse_module(SAMPLE)
    ours = compute_positions(module)
    theirs = cst.MetadataWrapper(module, unsafe_skip_copy=True).resolve(PositionProvider)
    assert len(ours) == len(theirs)
    for node, rng in theirs.items():
        assert ours[node] == rng, node


def test_import_table_covers_aliases_from_imports_and_nested_imports():
    table = import_table(cst.parse_module(SAMPLE))
    assert table["t"] == "time"
    assert table["p"] == "os.path"
    assert table["listdir"] == "os.listdir"
    assert table["sp"] == "subprocess"
    assert table["sibling"] == "..sibling" or table["sibling"].endswith("sibling")


def test_resolve_dotted_names_builtins_and_locals():
    table = {"t": "time"}
    assert resolve_dotted("t.sleep", table)[0] == "time.sleep"
    assert resolve_dotted("open", table)[0] == "builtins.open"
    assert resolve_dotted("self.x", table)[0] == "self.x"


def test_lazy_metadata_resolves_other_providers_through_libcst():
    from libcst.metadata import ExpressionContextProvider

    module = cst.parse_module("x = y\n")
    meta = LazyMetadata(module)
    contexts = meta[ExpressionContextProvider]
    assert any(True for _ in contexts)


def test_every_invalid_example_passes_its_rules_prefilter():
    """TRIGGERS must never hide a true positive the rule itself documents."""
    for rule in all_rules():
        for example in rule.INVALID:
            assert rule.wants(textwrap.dedent(example.code)), (rule.ID, example.code[:40])


# Shapes where a statement's first line is easy to get wrong: comments and blank lines
# above it (they belong to the statement in libcst, not in ast), decorators with comments
# between them, several statements on one line, a parenthesized decorator, a class inside a
# class, tab indentation, a continuation line and a multi-line string.
TRICKY = (
    "#!/usr/bin/env python\n"
    '"""Module doc."""\n'
    "import os; import sys\n"
    "\n"
    "# a comment above the class\n"
    "@dec\n"
    "# between decorators\n"
    "\n"
    "@(\n"
    "    other)\n"
    "class A(Base):\n"
    '    """doc"""\n'
    "    x = 1; y = 2\n"
    "\n"
    "    # comment above a method\n"
    "    @property\n"
    "    def f(self):\n"
    "        return os.path.join(\n"
    "            'a', 'b')\n"
    "\n"
    "    class Inner:\n"
    "        def g(self): return sys.argv \\\n"
    "            [0]\n"
    "    text = '''\n"
    "line\n"
    "'''\n"
    "    async def h(self):\n"
    "        await self.f()\n"
    "    # trailing comment in the class\n"
    "\n"
    "if os.name == 'nt':\n"
    "\tdef w():\n"
    "\t\tpass\n"
    "else:\n"
    "\tw = None\n"
)


def _resolve_all(meta: LazyMetadata, module: cst.Module) -> dict:
    from analyzers.traversal import iter_nodes

    positions = meta[PositionProvider]
    return {node: positions[node] for node in iter_nodes(module) if node is not module}


def test_positions_per_statement_equal_whole_file_positions():
    import ast

    module = cst.parse_module(TRICKY)
    whole = compute_positions(module)
    meta = LazyMetadata(module, ast.parse(TRICKY))
    ours = _resolve_all(meta, module)
    for node, rng in ours.items():
        assert rng == whole[node], (type(node).__name__, rng, whole[node])
    # Inside statements (class members included) the per-statement path answers alone;
    # only class headers and the module itself need the whole file.
    from analyzers.metadata import statement_units
    from analyzers.traversal import iter_nodes

    fresh = LazyMetadata(module, ast.parse(TRICKY))
    positions = fresh[PositionProvider]
    units = statement_units(module, ast.parse(TRICKY))
    assert units is not None
    for unit in units:
        for node in iter_nodes(unit.stmt):
            assert positions[node] == whole[node]
    assert not positions._whole


def test_statement_units_split_classes_into_members():
    import ast

    from analyzers.metadata import statement_units

    module = cst.parse_module(TRICKY)
    units = statement_units(module, ast.parse(TRICKY))
    assert units is not None
    kinds = [type(u.stmt).__name__ for u in units]
    # docstring line, import line, then A's members (Inner's members inside it), then the if
    assert kinds[:2] == ["SimpleStatementLine", "SimpleStatementLine"]
    assert "FunctionDef" in kinds and kinds[-1] == "If"
    assert {u.indent for u in units} == {(), ("    ",), ("    ", "    ")}


def test_positions_fall_back_to_the_whole_file_when_ast_disagrees():
    import ast

    module = cst.parse_module(TRICKY)
    wrong = ast.parse("\n\n" + TRICKY)  # every ast line two too far down
    meta = LazyMetadata(module, wrong)
    whole = compute_positions(module)
    ours = _resolve_all(meta, module)
    assert all(rng == whole[node] for node, rng in ours.items())
    assert meta[PositionProvider]._whole
