"""What a rule knows about the file it runs on (and, through `project`, about the whole tree)."""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from analyzers.project import ProjectModel


@dataclass
class FileContext:
    """Per-file facts handed to each rule instance.

    `area` is the area the profile maps this path to (None when the profile does not map it:
    the rule's own AREA is used). `symbols` are (start_line, end_line, qualified_symbol) of the
    file's functions and classes, used to name the enclosing symbol of a finding.
    `project` is the whole-tree model (`analyzers.project.ProjectModel`) during an audit run;
    None when a file is analyzed alone. `options["entry_points"]` (a frozenset of qualified
    names) holds the profile's hot entry points during an audit run.
    """

    relpath: str
    module: str = ""
    area: int | None = None
    project: ProjectModel | None = None
    symbols: list[tuple[int, int, str]] = field(default_factory=list)
    options: dict[str, Any] = field(default_factory=dict)

    def area_for(self, rule_area: int) -> int:
        return self.area if self.area is not None else rule_area

    def symbol_at(self, line: int) -> str:
        """The innermost function/class containing `line` ("" at module level)."""
        best = ""
        best_span = None
        starts = [s[0] for s in self.symbols]
        for start, end, name in self.symbols[: bisect.bisect_right(starts, line)]:
            if start <= line <= end and (best_span is None or end - start < best_span):
                best, best_span = name, end - start
        return best
