"""CIA410: appending one entry recomputes statistics or rebuilds the view over all entries."""

from __future__ import annotations

import re

from analyzers.findings import ChainStep
from analyzers.project import ClassInfo, FunctionInfo
from analyzers.project_rule import ProjectRule
from analyzers.rule import Invalid, Valid

# Methods that take one new entry (per execution event, per log line, per result).
_PER_ENTRY = re.compile(
    r"^_*(append|record|on_|log_|push|handle|add_(event|entry|record|log|message|sample|"
    r"result|row|line))",
    re.I,
)
_AGGREGATES = ("builtins.sum", "builtins.max", "builtins.min", "builtins.sorted")
_REBUILDS = re.compile(r"(rebuild|refresh|redraw|repopulate|populate|reload)", re.I)


class RecomputedPerAppendedEntry(ProjectRule):
    """`append_entry()` then `_update_statistics()` summing over the whole history."""

    ID = "CIA410"
    DRIVEN_BY_RELATED = True
    AREA = 4
    TITLE = "All entries recomputed for each appended entry"
    RATIONALE = (
        "Each new entry (an execution event, a history row, a log line) triggers a pass over "
        "every entry kept so far - summing durations, finding the maximum, or destroying and "
        "re-creating every row widget. The per-entry cost grows with the history, so a long "
        "run costs O(n^2) in total, on the GUI thread, while events arrive fastest."
    )
    IMPACT = 4
    FREQUENCY = 7
    DIFFICULTY = 2
    RECOMMENDATION = (
        "Update incrementally: keep running totals (count, sum, max) and adjust them by the "
        "new entry; add one row/widget for the new entry instead of rebuilding them all (and "
        "recompute or rebuild only when the filter or the whole data set changes)."
    )
    EXAMPLE_BEFORE = (
        "def append_entry(self, e):\n    self._history.append(e)\n    self._update_stats()\n\n"
        "def _update_stats(self):\n"
        "    total = sum(x['time'] for x in self._history)"
    )
    EXAMPLE_AFTER = (
        "def append_entry(self, e):\n    self._history.append(e)\n"
        "    self._total_time += e['time']\n    self._count += 1\n    self._show_stats()"
    )
    TAGS = ("qt", "algorithmic")
    TRIGGERS = ("append", "appendleft", "insert", "extend")
    VALID = (
        Valid(
            "class History:\n    def __init__(self):\n        self._rows = []\n"
            "        self._total = 0\n"
            "    def append_entry(self, e):\n        self._rows.append(e)\n"
            "        self._total += e.time\n"
        ),
        # Building a menu item by item is a one-off, not a stream of entries.
        Valid(
            "class Menu:\n    def __init__(self):\n        self._items = []\n"
            "    def add_item(self, item):\n        self._items.append(item)\n"
            "        self._update_width()\n"
            "    def _update_width(self):\n"
            "        self.width = max(len(i.text) for i in self._items)\n"
        ),
        # Each new entry is followed by a trim to the last ten: a rebuild costs at most ten.
        Valid(
            "class Tray:\n    def __init__(self):\n        self._recent = []\n"
            "    def add_entry(self, entry):\n        self._recent.append(entry)\n"
            "        self._recent = self._recent[-10:]\n        self._rebuild_menu()\n"
            "    def _rebuild_menu(self):\n"
            "        for entry in self._recent:\n            self.menu.addAction(entry)\n"
        ),
        Valid(
            "from collections import deque\n"
            "class Log:\n    def __init__(self):\n        self._lines = deque(maxlen=50)\n"
            "    def add_line(self, line):\n        self._lines.append(line)\n"
            "        self._rebuild_view()\n"
            "    def _rebuild_view(self):\n"
            "        for line in self._lines:\n            self.view.addItem(line)\n"
        ),
    )
    INVALID = (
        # Schedules the user adds and deletes one by one: a pass over them per add is
        # true but user-sized, LOW.
        Invalid(
            "class SchedulePage:\n"
            "    def __init__(self):\n"
            "        self.schedules = []\n"
            "    def on_schedule_added(self, entry):\n"
            "        self.schedules.append(entry)\n"
            "        self.refresh_owners()\n"
            "    def on_schedule_removed(self, schedule_id):\n"
            "        self.schedules = [s for s in self.schedules if s.id != schedule_id]\n"
            "    def refresh_owners(self):\n"
            "        owners = sorted({s.owner for s in self.schedules})\n"
            "        self.combo.addItems(owners)\n",
            line=10,
            message_contains="on_schedule_removed()` also removes",
        ),
        Invalid(
            "class HistoryTab:\n"
            "    def __init__(self):\n"
            "        self._full_history = []\n"
            "    def append_entry(self, entry):\n"
            "        self._full_history.append(entry)\n"
            "        self._update_statistics()\n"
            "    def _update_statistics(self):\n"
            "        total = sum(e['time'] for e in self._full_history)\n"
            "        self.label.setText(str(total))\n",
            line=8,
            message_contains="append_entry",
        ),
        Invalid(
            "class Timeline:\n"
            "    def __init__(self):\n"
            "        self._events = []\n"
            "    def add_event(self, event):\n"
            "        self._events.append(event)\n"
            "        self._rebuild_timeline()\n"
            "    def _rebuild_timeline(self):\n"
            "        for event in self._events:\n"
            "            self.layout.addWidget(self.make_bar(event))\n",
            line=8,
        ),
    )

    def check_project(self) -> None:
        functions = self.functions()
        for klass in self.classes():
            for attr, use in klass.containers.items():
                if use.kind not in ("list", "deque") or use.bounded:
                    continue
                for line, how in use.adds:
                    if how not in ("append", "appendleft", "insert", "extend"):
                        continue
                    adder = self._method_at(functions, klass, line)
                    if adder is None or not _PER_ENTRY.match(adder.name):
                        continue
                    # The adder trims the history to a cap (`self._h = self._h[-N:]`,
                    # `del self._h[:-N]`, `self._h.pop(0)`): a pass over it costs at most N.
                    if any(adder.line <= r <= adder.end_line for r, _how in use.removes):
                        continue
                    if self._report_pass(adder, attr, _edited_by(functions, klass, attr)):
                        break

    def _report_pass(self, adder: FunctionInfo, attr: str, editor: FunctionInfo | None) -> bool:
        project = self.project
        candidates = [adder]
        for call in adder.calls:
            if call.target.startswith("self.") and call.target.count(".") == 1:
                callee = project.resolve(adder, call.target)
                if callee is not None and callee.cls == adder.cls:
                    candidates.append(callee)
        for fn in candidates:
            over = [
                line
                for line, source in fn.loop_iters.items()
                if source == f"self.{attr}" or source.startswith(f"self.{attr}[")
            ]
            if not over:
                continue
            aggregate = next(
                (
                    c
                    for c in fn.calls
                    if c.target in _AGGREGATES or c.target.startswith("statistics.")
                ),
                None,
            )
            rebuild = _REBUILDS.search(fn.name) is not None
            if aggregate is None and not rebuild:
                continue
            line = aggregate.line if aggregate is not None else min(over)
            what = "recomputes over" if aggregate is not None else "rebuilds the view from"
            via = "" if fn is adder else f" (via `{fn.name}`)"
            message = (
                f"each `{adder.name}()`{via} {what} every entry of `self.{attr}`: the cost "
                "of one new entry grows with the history; update totals and rows "
                "incrementally."
            )
            if editor is not None:
                # Entries taken out or replaced one by one: a list the user edits (tasks,
                # accounts, bookmarks), tens of entries, one pass per edit.
                self.report_at(
                    line,
                    f"{message} But `{editor.name}()` also removes or replaces single "
                    f"entries of `self.{attr}`: a collection edited item by item, not an "
                    "append-only history, so it stays user-sized and a pass per change "
                    "costs microseconds: LOW.",
                    symbol=fn.qualname.removeprefix(fn.module + "."),
                    related=(ChainStep(adder.relpath, adder.line, adder.qualname, "appends"),),
                    impact=1,
                    frequency=3,
                )
                return True
            self.report_at(
                line,
                message,
                symbol=fn.qualname.removeprefix(fn.module + "."),
                related=(ChainStep(adder.relpath, adder.line, adder.qualname, "appends"),),
            )
            return True
        return False

    @staticmethod
    def _method_at(
        functions: list[FunctionInfo], klass: ClassInfo, line: int
    ) -> FunctionInfo | None:
        for fn in functions:
            if fn.cls == klass.qualname and fn.line <= line <= fn.end_line:
                return fn
        return None


def _edited_by(functions: list[FunctionInfo], klass: ClassInfo, attr: str) -> FunctionInfo | None:
    """A method that takes single entries out of `self.<attr>` or replaces one in place:
    `self.x.remove(e)`, `del self.x[i]`, `self.x[i] = e`, or a filtered copy `self.x = [e for
    e in self.x if ...]`. A history only grows and is cleared whole; a list edited entry by
    entry is one the user manages."""
    use = klass.containers.get(attr)
    if use is None:
        return None
    lines = [line for line, how in use.removes if how in ("remove", "del", "discard")]
    lines += [line for line, how in use.adds if how == "setitem"]
    for line, how in use.removes:
        if how == "reassign":
            fn = RecomputedPerAppendedEntry._method_at(functions, klass, line)
            if fn is not None and fn.loop_iters.get(line) == f"self.{attr}":
                return fn
    for line in sorted(lines):
        fn = RecomputedPerAppendedEntry._method_at(functions, klass, line)
        if fn is not None:
            return fn
    return None
