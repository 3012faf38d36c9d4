"""The rule base class: one rule per file, carrying its metadata and its own examples.

A rule is a libcst batchable visitor. All rules for a file run in one batched traversal
(`libcst.MetadataWrapper.visit_batched`), so a rule only implements the `visit_*`/`leave_*`
methods it needs and calls `self.report(node, message)`. It never prints and never does I/O.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, ClassVar

import libcst as cst
from libcst.metadata import PositionProvider, ProviderT

from analyzers.findings import ChainStep, Finding, Priority
from analyzers.triggers import triggers_in

if TYPE_CHECKING:
    from analyzers.context import FileContext
    from analyzers.project import ProjectModel


@dataclass(frozen=True)
class Valid:
    """Code the rule must not report."""

    code: str


@dataclass(frozen=True)
class Invalid:
    """Code the rule must report, at `line` (1-based, relative to the dedented example).

    `path` lets an example pose as a file of a given area or shape (e.g. a node module).
    """

    code: str
    line: int
    path: str = "example.py"
    message_contains: str = ""


class Rule(cst.BatchableCSTVisitor):
    """Base of every analyzer rule.

    Subclasses set the class attributes below; `tests/analyzers/test_rule_examples.py` turns
    every rule's VALID and INVALID examples into tests, so a rule is tested once its file exists.
    """

    ID: ClassVar[str]  # e.g. "CIA101"
    AREA: ClassVar[int]  # 1-10, the audit plan's area this rule serves by default
    TITLE: ClassVar[str]
    RATIONALE: ClassVar[str]  # the root cause, in words a reviewer accepts
    # Default priority inputs, 1-10, before any measurement (the session replaces Impact and
    # Frequency with measured ones). One scale for every rule, so the ranking means something:
    #   IMPACT: cost of one occurrence. 8-10 freezes the UI or stalls all work >= 100 ms;
    #           6-7 visible jank (16-100 ms) or failure under load; 4-5 waste that grows with
    #           data; 2-3 minor.
    #   FREQUENCY: how often the path runs, as far as the code shows. 7-9 per frame, per
    #           event or per item; 4-6 per user action or node execution; 2-3 rare/start-up.
    #   DIFFICULTY: 1-2 a local one-line change; 3-4 a local refactor; 5-7 a design change.
    IMPACT: ClassVar[int]
    FREQUENCY: ClassVar[int]
    DIFFICULTY: ClassVar[int]
    RECOMMENDATION: ClassVar[str]
    EXAMPLE_BEFORE: ClassVar[str]
    EXAMPLE_AFTER: ClassVar[str]
    TAGS: ClassVar[tuple[str, ...]] = ()  # e.g. ("async", "memory", "pooling", "algorithmic")
    VALID: ClassVar[Sequence[Valid]] = ()
    INVALID: ClassVar[Sequence[Invalid]] = ()
    # Rules that only make sense with the whole-project model (call graph) say so here.
    NEEDS_PROJECT: ClassVar[bool] = False
    # The cost happens only when the code at the finding's `related` steps runs (the methods
    # that append to or grow what the finding is about): when none of them is reachable,
    # neither is the cost, however reachable the finding's own line is.
    DRIVEN_BY_RELATED: ClassVar[bool] = False
    # Cheap prefilter: when non-empty, the rule runs on a file only if its source text contains
    # at least one of these substrings (e.g. ("heapq",) or ("create_task", "ensure_future")).
    # Files that no rule wants are never parsed by libcst, which is most of a cold audit's
    # cost. Leave empty to run on every file. Every INVALID example must contain a trigger
    # (tests/analyzers/test_triggers.py checks it).
    TRIGGERS: ClassVar[tuple[str, ...]] = ()
    METADATA_DEPENDENCIES: ClassVar[tuple[ProviderT, ...]] = (PositionProvider,)

    # Helpers for rule authors: `analyzers.matching` (qualified names via the cheap
    # QualifiedNameProvider stand-in, blocking-call catalogue), `analyzers.project_rule.
    # ProjectRule` (rules over the whole-project model, reported with `report_at`).

    def __init__(self, context: FileContext) -> None:
        super().__init__()
        self.context = context
        self.findings: list[Finding] = []

    def get_visitors(self) -> Mapping[str, Callable[..., object]]:
        """libcst's method discovery, cached per class.

        libcst runs `inspect.getmembers` over ~1,000 stub methods for every visitor of every
        file; with dozens of rules that alone cost seconds per audit. Same result, computed
        once per rule class.
        """
        return {name: getattr(self, name) for name in _visitor_names(type(self))}

    # -- reporting --------------------------------------------------------------------------
    def _loop_step(self, line: int, note: str = "loop") -> ChainStep:
        """A related location in this file (the loop a message speaks of), for `related=`."""
        return ChainStep(self.context.relpath, line, self.context.symbol_at(line), note)

    @classmethod
    def confirm(cls, finding: Finding, project: ProjectModel) -> Finding | None:
        """A second look with the whole-project model, once every file is analyzed: the
        finding as it is, a changed finding, or None to drop it.

        The default drops a finding of a rule tagged "per-call" (the cost matters because
        the code runs again and again) when the code runs once: module level, set-up
        methods, cached functions, thread bodies, first-creation branches, and functions
        only such code calls (`ProjectModel.runs_once_at`)."""
        if "per-call" in cls.TAGS and project.runs_once_at(finding.path, finding.line):
            return None
        return finding

    @classmethod
    def wants(cls, source: str) -> bool:
        """Whether the prefilter lets this rule run on `source` (see TRIGGERS)."""
        if not cls.TRIGGERS:
            return True
        return not triggers_in(source, cls.TRIGGERS).isdisjoint(cls.TRIGGERS)

    def report(
        self,
        node: cst.CSTNode,
        message: str,
        *,
        symbol: str | None = None,
        chain: Sequence[ChainStep] = (),
        related: Sequence[ChainStep] = (),
        impact: int | None = None,
        frequency: int | None = None,
        difficulty: int | None = None,
        area: int | None = None,
    ) -> None:
        pos = self.get_metadata(PositionProvider, node)
        self.report_at(
            pos.start.line,
            message,
            end_line=pos.end.line,
            col=pos.start.column,
            symbol=symbol,
            chain=chain,
            related=related,
            impact=impact,
            frequency=frequency,
            difficulty=difficulty,
            area=area,
        )

    def report_at(
        self,
        line: int,
        message: str,
        *,
        end_line: int = 0,
        col: int = 0,
        symbol: str | None = None,
        chain: Sequence[ChainStep] = (),
        related: Sequence[ChainStep] = (),
        impact: int | None = None,
        frequency: int | None = None,
        difficulty: int | None = None,
        area: int | None = None,
    ) -> None:
        """Report at a known line (for rules that work from the project model, not a node)."""
        priority = Priority(
            impact=impact or self.IMPACT,
            frequency=frequency or self.FREQUENCY,
            difficulty=difficulty or self.DIFFICULTY,
        )
        self.findings.append(
            Finding(
                rule=self.ID,
                area=area or self.context.area_for(self.AREA),
                path=self.context.relpath,
                line=line,
                end_line=end_line or line,
                col=col,
                symbol=symbol if symbol is not None else self.context.symbol_at(line),
                message=message,
                priority=priority,
                title=self.TITLE,
                root_cause=self.RATIONALE,
                recommendation=self.RECOMMENDATION,
                example_before=self.EXAMPLE_BEFORE,
                example_after=self.EXAMPLE_AFTER,
                tags=self.TAGS,
                chain=tuple(chain),
                related=tuple(related),
            )
        )


@cache
def _visitor_names(cls: type) -> tuple[str, ...]:
    """Names of the `visit_*`/`leave_*` methods `cls` really implements (not libcst's stubs)."""
    names = []
    for name in dir(cls):
        if not name.startswith(("visit_", "leave_")):
            continue
        method = getattr(cls, name, None)
        if callable(method) and not getattr(method, "_is_no_op", False):
            names.append(name)
    return tuple(names)
