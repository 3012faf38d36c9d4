"""Parsing without validation gives libcst's tree and leaves validation on for everyone else."""

from __future__ import annotations

import libcst as cst
import pytest

from analyzers.parsing import parse_module

SOURCE = "import os\n\nclass A:\n    def f(self, x=1):\n        return [os.sep for _ in x]\n"


def test_same_tree_as_libcst():
    assert parse_module(SOURCE).deep_equals(cst.parse_module(SOURCE))
    assert parse_module(SOURCE).code == SOURCE


def test_validation_is_back_after_a_parse_and_after_a_failed_one():
    parse_module(SOURCE)
    with pytest.raises(cst.ParserSyntaxError):
        parse_module("def (:\n")
    with pytest.raises(cst.CSTValidationError):
        cst.Name("not a name")  # hand-built nodes are still validated
