"""Runs rules over one file's source in a single batched libcst traversal."""

from __future__ import annotations

from collections.abc import Sequence

import libcst as cst

from analyzers.context import FileContext
from analyzers.findings import Finding
from analyzers.rule import Rule


def analyze_module(
    module: cst.Module, context: FileContext, rules: Sequence[type[Rule]]
) -> list[Finding]:
    """Fresh rule instances per file, one traversal for all of them."""
    wrapper = cst.MetadataWrapper(module, unsafe_skip_copy=True)
    visitors = [rule(context) for rule in rules]
    wrapper.visit_batched(visitors)
    return [f for v in visitors for f in v.findings]


def analyze_source(source: str, context: FileContext, rules: Sequence[type[Rule]]) -> list[Finding]:
    """Parse and analyze; raises `libcst.ParserSyntaxError` on code that does not parse."""
    return analyze_module(cst.parse_module(source), context, rules)
