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
