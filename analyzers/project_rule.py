"""Base for rules that judge a file through the whole-project model instead of a traversal.

A `ProjectRule` implements `check_project()`; it reads `self.project` (the model of the whole
audited tree) and reports with `self.report_at(line, ...)`. The engine never traverses a file
for it, so project rules cost nothing per file beyond the model, which the runner builds from
cached `ast` summaries. Examples still work: for a single file the engine builds a one-file
model. Being a `Rule` subclass, a project rule has the same metadata, examples and registry
entry as any other.

`check_project` runs once per file. Anything computed over the whole project (an index of
all call sites by name, say) belongs in `self.project.memo(key, build)`, which builds it once
per audit; rescanning `self.project.functions` per file costs minutes on a large tree.
"""

from __future__ import annotations

from typing import ClassVar

from analyzers.project import ClassInfo, FunctionInfo, ProjectModel
from analyzers.rule import Rule


class ProjectRule(Rule):
    """A rule that reports from `FileContext.project` for the file in `FileContext.relpath`."""

    PROJECT_CHECK: ClassVar[bool] = True
    NEEDS_PROJECT: ClassVar[bool] = True

    @property
    def project(self) -> ProjectModel:
        project = self.context.project
        assert project is not None, "the engine builds a model before running project rules"
        return project

    def classes(self) -> list[ClassInfo]:
        """The classes defined in this rule's file (with their containers' uses)."""
        summary = self.project.by_path.get(self.context.relpath)
        return summary.classes if summary is not None else []

    def functions(self) -> list[FunctionInfo]:
        """The functions defined in this rule's file (methods and nested functions too)."""
        return self.project.functions_in(self.context.relpath)

    def check_project(self) -> None:
        raise NotImplementedError
