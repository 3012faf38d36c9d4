"""Runs rules over one file's source in a single batched libcst traversal.

Metadata is lazy (see `analyzers.metadata`): a file where no rule reports pays for parsing
and one traversal only. Rules that work from the whole-project model (`ProjectRule`) are not
traversal rules; given a project they check it directly, and without one (a rule's own
examples, a single file) they get a project model built from this one file.
"""

from __future__ import annotations

import ast
from collections.abc import Sequence
from dataclasses import replace
from typing import TYPE_CHECKING

import libcst as cst

from analyzers.context import FileContext
from analyzers.findings import Finding
from analyzers.identity import stamp_identity
from analyzers.metadata import LazyMetadata, ScopeTracker
from analyzers.parsing import parse_module
from analyzers.rule import Rule
from analyzers.traversal import visit_readonly

if TYPE_CHECKING:
    from analyzers.project import ProjectModel


def _is_project_rule(rule: type[Rule]) -> bool:
    return bool(getattr(rule, "PROJECT_CHECK", False))


def analyze_module(
    module: cst.Module,
    context: FileContext,
    rules: Sequence[type[Rule]],
    tree: ast.Module | None = None,
) -> list[Finding]:
    """Fresh rule instances per file, one traversal for all of them.

    `tree` is the same source's `ast` tree when the caller has one: positions are then
    generated per statement instead of for the whole file (see `analyzers.metadata`).
    """
    visitors = [rule(context) for rule in rules if not _is_project_rule(rule)]
    findings: list[Finding] = []
    if visitors:
        metadata = LazyMetadata(module, tree)
        for visitor in visitors:
            visitor.metadata = metadata
        visit_readonly(module, [ScopeTracker(metadata), *visitors])
        findings = [f for v in visitors for f in v.findings]
    project_rules = [rule for rule in rules if _is_project_rule(rule)]
    if project_rules:
        findings += run_project_rules(context, project_rules, lambda: module.code)
    return _name_symbols(findings, context, lambda: module.code)


def run_project_rules(
    context: FileContext, rules: Sequence[type[Rule]], source: object
) -> list[Finding]:
    """Run whole-project rules for one file; builds a one-file project if there is none.

    `source` is the file's text or a zero-argument callable returning it (only called when
    a one-file project has to be built).
    """
    if context.project is None:
        from analyzers.project import ProjectModel, summarize_source

        text = source() if callable(source) else str(source)
        summary = summarize_source(text, context.relpath, context.module or "example")
        context = replace(context, project=ProjectModel.build([summary]))
    out: list[Finding] = []
    for rule in rules:
        instance = rule(context)
        instance.check_project()  # type: ignore[attr-defined]
        out += instance.findings
    return out


def _name_symbols(findings: list[Finding], context: FileContext, code: object) -> list[Finding]:
    """Fill in the enclosing symbol when the caller gave no symbol table (single files)."""
    if context.symbols or not any(not f.symbol for f in findings):
        return findings
    text = code() if callable(code) else str(code)
    try:
        context.symbols = symbol_table(ast.parse(text))
    except SyntaxError:
        return findings
    return [f if f.symbol else replace(f, symbol=context.symbol_at(f.line)) for f in findings]


def symbol_table(tree: ast.Module) -> list[tuple[int, int, str]]:
    """(start, end, dotted symbol) of every function and class, sorted by start line."""
    out: list[tuple[int, int, str]] = []

    def walk(body: list[ast.stmt], prefix: str) -> None:
        for node in body:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                name = f"{prefix}{node.name}"
                out.append((node.lineno, node.end_lineno or node.lineno, name))
                walk(node.body, name + ".")
            elif isinstance(node, (ast.If, ast.Try, ast.With, ast.For, ast.While)):
                for field in ("body", "orelse", "finalbody"):
                    walk(getattr(node, field, []) or [], prefix)

    walk(tree.body, "")
    out.sort()
    return out


def analyze_source(source: str, context: FileContext, rules: Sequence[type[Rule]]) -> list[Finding]:
    """Parse and analyze; raises `libcst.ParserSyntaxError` on code that does not parse."""
    wanted = [rule for rule in rules if rule.wants(source)]
    if not wanted:
        return []
    traversal = [r for r in wanted if not _is_project_rule(r)]
    findings: list[Finding] = []
    if traversal:
        module = parse_module(source)
        findings = analyze_module(module, context, traversal)
        if findings:
            from analyzers.project import ProjectModel, summarize_source

            project = context.project or ProjectModel.build(
                [summarize_source(source, context.relpath, context.module or "example")]
            )
            findings = confirm_findings(findings, project, traversal)
    project_rules = [r for r in wanted if _is_project_rule(r)]
    if project_rules:
        findings += _name_symbols(
            run_project_rules(context, project_rules, source), context, source
        )
    return stamp_identity(findings, {context.relpath: source})


def confirm_findings(
    findings: list[Finding], project: ProjectModel, rules: Sequence[type[Rule]]
) -> list[Finding]:
    """Each finding through its rule's `confirm` (a second look with the project model)."""
    by_id = {rule.ID: rule for rule in rules}
    out: list[Finding] = []
    for finding in findings:
        rule = by_id.get(finding.rule)
        kept = rule.confirm(finding, project) if rule is not None else finding
        if kept is not None:
            out.append(kept)
    return out
