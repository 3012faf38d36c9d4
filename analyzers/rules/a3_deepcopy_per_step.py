"""CIA302: `copy.deepcopy` / pickle round-trips per loop iteration or per executed node."""

from __future__ import annotations

from analyzers.findings import ChainStep
from analyzers.matching import short_name
from analyzers.project_rule import ProjectRule
from analyzers.rule import Invalid, Valid

# Areas whose code runs per node, per job or per event.
HOT_AREAS = frozenset({1, 3, 6, 8, 9})
_COPIES = frozenset({"copy.deepcopy", "pickle.loads", "pickle.dumps"})


_COPY_PROTOCOL = frozenset(
    {"__deepcopy__", "__copy__", "__reduce__", "__reduce_ex__", "__getstate__", "__setstate__"}
)


class DeepcopyPerStep(ProjectRule):
    """A full deep copy of state per step makes each step O(size of the state)."""

    ID = "CIA302"
    AREA = 3
    TITLE = "Deep copy or serialization on every step"
    RATIONALE = (
        "`deepcopy` walks and duplicates the whole object graph (all variables, results, "
        "nested payloads). Done per loop iteration or per executed node, a workflow with n "
        "steps over state of size s costs O(n*s) time and allocates s per step."
    )
    IMPACT = 3
    FREQUENCY = 5
    DIFFICULTY = 4
    RECOMMENDATION = (
        "Copy only what changes (copy-on-write per variable, `dict(state)` for a shallow "
        "snapshot), snapshot at checkpoints instead of every step, or keep immutable values "
        "so sharing is safe."
    )
    EXAMPLE_BEFORE = "for node in nodes:\n    snapshot = copy.deepcopy(self.variables)"
    EXAMPLE_AFTER = (
        "for node in nodes:\n    snapshot = dict(self.variables)  # values are immutable"
    )
    TAGS = ("cpu", "memory", "per-call")
    TRIGGERS = ("deepcopy", "pickle")
    VALID = (
        Valid("import copy\ndef clone(cfg):\n    return copy.deepcopy(cfg)\n"),
        Valid(
            "import copy\n"
            "class Variables:\n"
            "    def __deepcopy__(self, memo):\n"
            "        result = Variables()\n"
            "        for key, value in self.__dict__.items():\n"
            "            setattr(result, key, copy.deepcopy(value, memo))\n"
            "        return result\n"
        ),
        Valid("import copy\ndef f(items):\n    for i in items:\n        x = copy.copy(i)\n"),
    )
    INVALID = (
        Invalid(
            "import copy\n"
            "class Runner:\n"
            "    def run(self, nodes):\n"
            "        for node in nodes:\n"
            "            state = copy.deepcopy(self.variables)\n",
            line=5,
            message_contains="deepcopy",
        ),
        Invalid(
            "import copy\n"
            "class Context:\n"
            "    def snapshot(self):\n"
            "        return copy.deepcopy(self.variables)\n"
            "class Runner:\n"
            "    def __init__(self):\n"
            "        self.ctx = Context()\n"
            "    def run(self, nodes):\n"
            "        for node in nodes:\n"
            "            self.ctx.snapshot()\n",
            line=4,
            message_contains="Runner.run",
        ),
    )

    def check_project(self) -> None:
        project = self.project
        if self.context.area is not None and self.context.area not in HOT_AREAS:
            return  # config loading and utilities copy once at start-up; not a per-step cost
        for fn in self.functions():
            # Implementing the copy protocol is what deep-copies each field; the cost belongs
            # to whoever deep-copies the object, reported there.
            if fn.name in _COPY_PROTOCOL:
                continue
            for call in fn.calls:
                if call.target not in _COPIES:
                    continue
                if call.in_loop:
                    items = fn.loop_iters.get(call.loop_line, "")
                    per = f"for each item of `{items}`" if items else "on every loop iteration"
                    self.report_at(
                        call.line,
                        f"`{call.target}()` in `{fn.name}` copies the whole object graph {per}; "
                        "copy only what changes or snapshot at checkpoints.",
                        end_line=call.end_line,
                    )
                    continue
                looped = [(c, s) for c, s in project.callers(fn.qualname) if s.in_loop]
                if not looped:
                    continue
                caller, site = looped[0]
                self.report_at(
                    call.line,
                    f"`{call.target}()` in `{fn.name}` runs once per iteration of the loop in "
                    f"`{short_name(caller.qualname)}`: the whole "
                    "state is copied per step; copy only what changes.",
                    end_line=call.end_line,
                    chain=(
                        ChainStep(caller.relpath, site.line, caller.qualname, fn.qualname),
                        ChainStep(fn.relpath, call.line, fn.qualname, call.target),
                    ),
                )
