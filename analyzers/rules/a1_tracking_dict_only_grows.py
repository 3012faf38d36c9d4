"""CIA104: a tracking dict/set gains entries per job/task/connection and never loses any."""

from __future__ import annotations

import re

from analyzers.findings import ChainStep
from analyzers.project_rule import ProjectRule
from analyzers.rule import Invalid, Valid

# Names of per-item bookkeeping (one entry per job, run, connection, ...). Registries of
# handlers, node types, widgets and settings are bounded by design and not matched.
TRACKING_NAME = re.compile(
    r"(jobs|running|tasks|sessions|connections|clients|sockets|websockets|peers|results|"
    r"executions|runs|pending|completed|failed|errors|retries|attempts|instances|contexts|"
    r"cache|seen|processed|visited|timestamps|cooldowns?|last_(?:trigger|fire|fired|run|sent)\w*|"
    r"inflight|in_flight|"
    r"active|requests|responses|futures|workers|locks|leases)$",
    re.I,
)


class TrackingDictOnlyGrows(ProjectRule):
    """Per-item state that is added on every job/connection and never evicted: a slow leak."""

    ID = "CIA104"
    AREA = 1
    TITLE = "Tracking dict or set only ever grows"
    RATIONALE = (
        "The attribute gets an entry for every job, task, connection or key it sees, and no "
        "method of the class ever deletes one. In a long-running orchestrator, trigger or "
        "robot it grows without bound: memory climbs, and every scan of it gets slower."
    )
    # Whether the keys are unbounded (job ids) or a small fixed set (exception types, robots)
    # the code does not say; the live memory probe measures the growth and raises it.
    IMPACT = 3
    FREQUENCY = 4
    DIFFICULTY = 3
    RECOMMENDATION = (
        "Remove the entry when the item finishes (complete/fail/cancel/disconnect), or bound "
        "the structure: an OrderedDict trimmed to N, a TTL sweep, or a WeakValueDictionary "
        "when the values live elsewhere."
    )
    EXAMPLE_BEFORE = (
        "def enqueue(self, job):\n    self._jobs[job.id] = job\n\n"
        "def complete(self, job_id):\n    self._jobs[job_id].status = DONE"
    )
    EXAMPLE_AFTER = (
        "def complete(self, job_id):\n    job = self._jobs.pop(job_id)\n"
        "    self._history.append(job.summary())  # deque(maxlen=1000)"
    )
    TAGS = ("memory", "leak")
    TRIGGERS = ("self._", "self.")
    VALID = (
        Valid(
            "class Q:\n    def __init__(self):\n        self._jobs = {}\n"
            "    def add(self, job):\n        self._jobs[job.id] = job\n"
            "    def done(self, job_id):\n        self._jobs.pop(job_id, None)\n"
        ),
        Valid(
            "class Registry:\n    def __init__(self):\n        self._handlers = {}\n"
            "    def register(self, name, fn):\n        self._handlers[name] = fn\n"
        ),
    )
    INVALID = (
        Invalid(
            "class JobQueue:\n"
            "    def __init__(self):\n"
            "        self._jobs = {}\n"
            "    def enqueue(self, job):\n"
            "        self._jobs[job.id] = job\n",
            line=3,
            message_contains="self._jobs",
        ),
        Invalid(
            "class Server:\n"
            "    def __init__(self):\n"
            "        self._connections = set()\n"
            "    async def on_connect(self, ws):\n"
            "        self._connections.add(ws)\n",
            line=3,
        ),
    )

    def check_project(self) -> None:
        for klass in self.classes():
            for attr, use in klass.containers.items():
                if use.kind not in ("dict", "set") or use.bounded or use.removes or not use.adds:
                    continue
                if not TRACKING_NAME.search(attr.lstrip("_")):
                    continue
                line, _how = use.adds[0]
                method = self._method_at(klass.qualname, line)
                what = "gains an entry" if use.kind == "dict" else "gains a member"
                cooldown = "cooldown" in attr or attr.lstrip("_").startswith("last_")
                hint = (
                    "drop keys once their cooldown has expired (or keep them on the trigger "
                    "object itself)"
                    if cooldown
                    else "remove the entry when the item finishes, or cap it (OrderedDict "
                    "trimmed to N, TTL sweep)"
                )
                self.report_at(
                    use.line,
                    f"`self.{attr}` ({use.kind}) {what} in `{method}` and no "
                    f"method of {klass.name} ever removes one: it grows for the life of the "
                    f"object; {hint}.",
                    symbol=f"{klass.qualname.removeprefix(klass.module + '.')}",
                    related=(ChainStep(self.context.relpath, line, method, "added here"),),
                )

    def _method_at(self, class_qualname: str, line: int) -> str:
        for fn in self.functions():
            if fn.cls == class_qualname and fn.line <= line <= fn.end_line:
                return fn.name
        return "?"
