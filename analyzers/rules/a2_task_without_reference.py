"""CIA202: `asyncio.create_task(...)` / `ensure_future(...)` whose task object is thrown away."""

from __future__ import annotations

from analyzers.project_rule import ProjectRule
from analyzers.rule import Invalid, Valid

_SPAWNERS = ("create_task", "ensure_future")


class TaskWithoutReference(ProjectRule):
    """The event loop keeps only a weak reference to tasks: an unreferenced task can vanish."""

    ID = "CIA202"
    AREA = 2
    TITLE = "Task created without keeping a reference"
    RATIONALE = (
        "asyncio keeps only weak references to running tasks. A task nobody references can "
        "be garbage-collected before it finishes (the trigger silently stops firing), its "
        "exception is only logged at collection time, and it cannot be cancelled on stop."
    )
    # A lost task is rare (the loop's weak reference usually survives); its cost is a silent
    # failure, not a slowdown.
    IMPACT = 3
    FREQUENCY = 3
    DIFFICULTY = 2
    RECOMMENDATION = (
        "Keep tasks in a set and discard them when done: `task = asyncio.create_task(c)`, "
        "`self._tasks.add(task)`, `task.add_done_callback(self._tasks.discard)`; cancel and "
        "await them in `stop()` (or use an `asyncio.TaskGroup`)."
    )
    EXAMPLE_BEFORE = "asyncio.create_task(self._fire(event))"
    EXAMPLE_AFTER = (
        "task = asyncio.create_task(self._fire(event))\nself._tasks.add(task)\n"
        "task.add_done_callback(self._tasks.discard)"
    )
    TAGS = ("async", "leak", "lifecycle")
    TRIGGERS = _SPAWNERS
    VALID = (
        Valid("import asyncio\nasync def f(c):\n    t = asyncio.create_task(c)\n    await t\n"),
        Valid(
            "import asyncio\nclass T:\n    def start(self):\n"
            "        self._tasks.add(asyncio.create_task(self._run()))\n"
        ),
    )
    INVALID = (
        Invalid(
            "import asyncio\n"
            "class Trigger:\n"
            "    def on_event(self, event):\n"
            "        asyncio.create_task(self._fire(event))\n",
            line=4,
        ),
        Invalid(
            "import asyncio\nasync def f(coro):\n    asyncio.ensure_future(coro)\n",
            line=3,
            message_contains="ensure_future",
        ),
    )

    def check_project(self) -> None:
        for fn in self.functions():
            for call in fn.calls:
                if not call.discarded or not call.target.endswith(_SPAWNERS):
                    continue
                self.report_at(
                    call.line,
                    f"`{call.target}()` in `{fn.name}` discards the task: the loop holds it "
                    "only weakly, so it can be garbage-collected mid-run, its exception goes "
                    "unseen and stop() cannot cancel it; keep it in a set with a "
                    "done-callback that discards it.",
                    end_line=call.end_line,
                    col=call.col,
                )
