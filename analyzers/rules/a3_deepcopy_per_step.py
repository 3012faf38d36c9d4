"""CIA302: `copy.deepcopy` / pickle round-trips per loop iteration or per executed node."""

from __future__ import annotations

import re

from analyzers.findings import ChainStep
from analyzers.matching import short_name
from analyzers.project_rule import ProjectRule
from analyzers.rule import Invalid, Valid

# Areas whose code runs per node, per job or per event.
HOT_AREAS = frozenset({1, 3, 6, 8, 9})
_COPIES = frozenset({"copy.deepcopy", "pickle.loads", "pickle.dumps"})


# What grows with the run when it is not the object's own state: a context, its variables,
# a workflow graph, a history. A template or a payload passed in is copied per item on purpose.
_RUN_STATE = re.compile(
    r"(^|_)(context|ctx|state|variables|vars|graph|workflow|history|results)($|_)", re.I
)
_ROOT = re.compile(r"[.\[(]")

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
        "nested payloads). Done per loop iteration or per executed node on state that "
        "grows with the run, a workflow with n steps over state of size s costs O(n*s) "
        "time and allocates s per step. Copying each item's own element is linear overall "
        "and is not reported."
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
        # Each item's own small part copied once: linear overall, a deliberate defensive copy.
        Valid(
            "import copy\n"
            "def build(sweeps):\n"
            "    inputs = []\n"
            "    for sweep in sorted(sweeps, key=lambda s: s.amount):\n"
            "        inputs.append(copy.deepcopy(sweep.txin))\n"
            "    return inputs\n"
        ),
        Valid(
            "import copy\n"
            "class Flow:\n"
            "    def clone(self):\n"
            "        return [copy.deepcopy(p) for p in self.ports]\n"
        ),
        Valid(
            "import copy\n"
            "class Recorder:\n"
            "    def run(self, order):\n"
            "        for node_id in order:\n"
            "            self.seen.append(copy.deepcopy(self.outputs[node_id]))\n"
        ),
        # A fixed template copied per row does not grow with the run.
        Valid(
            "import copy\n"
            "def rows(template, ids):\n"
            "    out = []\n"
            "    for i in ids:\n"
            "        entry = copy.deepcopy(template)\n"
            "        entry['id'] = i\n"
            "        out.append(entry)\n"
            "    return out\n"
        ),
        # A callee copying the value it is handed copies the caller's item, not shared state.
        Valid(
            "import copy\n"
            "class Store:\n"
            "    def put(self, key, value):\n"
            "        self.data[key] = copy.deepcopy(value)\n"
            "    def put_all(self, items):\n"
            "        for key, value in items:\n"
            "            self.put(key, value)\n"
        ),
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
        Invalid(
            "import copy\n"
            "class Debugger:\n"
            "    def run(self, nodes, context):\n"
            "        for node in nodes:\n"
            "            before = copy.deepcopy(context.variables)\n"
            "            node.execute(context)\n",
            line=5,
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
                if call.target not in _COPIES or not _copies_run_state(call.copies):
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


def _copies_run_state(copied: str) -> bool:
    """The copied object is state that grows with the run, not the current item's own part.

    `copied` is `CallSite.copies`: "<item>" for a loop item's element, else the argument's
    source. The object's own state (`self.variables`, `self.context`) or anything named as
    run state (`context.variables`, `exec_state`) counts; a payload or template does not.
    """
    if not copied or copied == "<item>":
        return False
    if _ROOT.split(copied, 1)[0] in ("self", "cls"):
        return True
    return any(_RUN_STATE.search(word) for word in re.findall(r"\w+", copied))
