"""CIA104: a tracking dict/set gains entries per job/task/connection and never loses any."""

from __future__ import annotations

import re

from analyzers.findings import ChainStep
from analyzers.project import CallSite, ContainerUse, FunctionInfo
from analyzers.project_rule import ProjectRule
from analyzers.rule import Invalid, Valid
from analyzers.single_instance import made_per_run

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
# Keys from a small fixed domain: one entry per level, kind, mode or hop count (a parameter or
# attribute named so), or an enum member (`Level.HIGH`). A dict keyed so is bounded by design.
# A language (programming or human: one language server, one translation per language) is a
# small fixed domain too.
_SMALL_DOMAIN_KEY = re.compile(
    r"(?:^|[._])(?:levels?|kinds?|modes?|hops|hop_count|types?|categor(?:y|ies)|"
    r"anonymity(?:_level)?|priority|severity|languages?|lang|locale)$"
    r"|\.[A-Z][A-Z0-9_]*$",
)
# A literal key (`self._tasks["block"] = ...`, `self._slots[0] = ...`) or a module constant
# (`self._tasks[BLOCK] = ...`): a dict written only under such keys has a fixed set of entries.
_CONSTANT_KEY = re.compile(r"^(?:[rRbBuU]?(?:'[^'{]*'|\"[^\"{]*\")|-?\d+|[A-Z][A-Z0-9_]*)$")
# Keys derived from an exception's type or traceback location: a crash reporter's "seen" set
# grows by distinct bugs, not by events. (Message, job and request ids stay reported.)
_CRASH_KEY = re.compile(
    r"traceback|groupid|exc_type|exception_type|^type\(\s*(?:e|ex|exc|err|error|exception)\s*\)"
    r"|__class__",
    re.I,
)
# A cache of the program's own icons, glyphs or fonts holds at most one entry per asset it
# ships (times a size or a theme): bounded by the program, not by the events it sees.
_ASSET_CACHE = re.compile(r"(?:icon|glyph|font)s?_?cache$|^cached?_(?:icons|glyphs|fonts)$", re.I)
# What a per-key lock table holds: asyncio's or threading's Lock, RLock, Semaphore, Event,
# Condition (or a project's own `...Lock`).
_LOCK_TYPES = re.compile(r"^(?:\w*Lock|R?Lock|(?:Bounded)?Semaphore|Event|Condition)$")
_SHRINKS = frozenset({"pop", "popitem", "remove", "discard", "clear", "difference_update"})


class TrackingDictOnlyGrows(ProjectRule):
    """Per-item state that is added on every job/connection and never evicted: a slow leak."""

    ID = "CIA104"
    DRIVEN_BY_RELATED = True
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
        # The write sits after an `if`/`else` whose branches both return: it never runs.
        Valid(
            "import asyncio\n"
            "class Runner:\n    def __init__(self):\n        self._locks = {}\n"
            "    async def run(self, job):\n"
            "        if job.local:\n            return await job.run_here()\n"
            "        else:\n            return await job.send()\n"
            "        self._locks[job.id] = asyncio.Lock()\n"
        ),
        # A two-level cache trimmed in its inner dicts (`del self.cache[k1][k2]`).
        Valid(
            "from collections import deque\n"
            "class ContextCache:\n    def __init__(self, size=100):\n"
            "        self.order = deque()\n        self.cache = {}\n        self.size = size\n"
            "    def set(self, outer, inner, value):\n"
            "        if len(self.order) == self.size:\n"
            "            old = self.order.popleft()\n"
            "            del self.cache[old[0]][old[1]]\n"
            "        self.order.append((outer, inner))\n"
            "        self.cache.setdefault(outer, {})[inner] = value\n"
        ),
        Valid(
            "class Q:\n    def __init__(self):\n        self._jobs = {}\n"
            "    def add(self, job):\n        self._jobs[job.id] = job\n"
            "    def done(self, job_id):\n        self._jobs.pop(job_id, None)\n"
        ),
        # Written only under two literal keys: two entries at most, whatever runs.
        Valid(
            "class Feed:\n    def __init__(self):\n        self._tasks = {'blocks': None}\n"
            "    def refresh(self):\n"
            "        self._tasks['blocks'] = asyncio.ensure_future(self.watch('blocks'))\n"
            "        self._tasks['peers'] = asyncio.ensure_future(self.watch('peers'))\n"
        ),
        Valid(
            "class Registry:\n    def __init__(self):\n        self._handlers = {}\n"
            "    def register(self, name, fn):\n        self._handlers[name] = fn\n"
        ),
        # Removed by a done-callback defined elsewhere in the module that gets the owner.
        Valid(
            "def _forget(group):\n"
            "    def callback(task):\n        group.tasks.discard(task)\n"
            "    return callback\n"
            "class TaskGroup:\n    def __init__(self):\n        self.tasks = set()\n"
            "    def spawn(self, task):\n        self.tasks.add(task)\n"
            "        task.add_done_callback(_forget(self))\n"
        ),
        # Removed by a lambda connected to the item's own signal.
        Valid(
            "class Tracker:\n    def __init__(self):\n        self._workers = set()\n"
            "    def track(self, worker):\n        self._workers.add(worker)\n"
            "        worker.finished.connect(lambda: self._workers.discard(worker))\n"
        ),
        # One session per anonymity level: keyed by a small fixed domain, not per event.
        Valid(
            "class Manager:\n    def __init__(self):\n        self._sessions = {}\n"
            "    def get_session(self, hops):\n"
            "        if hops not in self._sessions:\n"
            "            self._sessions[hops] = self._create(hops)\n"
            "        return self._sessions[hops]\n"
        ),
        # One language-server client per programming language: a small fixed domain.
        Valid(
            "class Completion:\n    def __init__(self):\n        self.clients = {}\n"
            "    def update_configuration(self):\n"
            "        for language in self.get_languages():\n"
            "            self.clients[language] = {'status': 'stopped'}\n"
        ),
        # An icon cache fills up to the icons the program ships, then only serves hits.
        Valid(
            "class Icons:\n    def __init__(self):\n        self._icon_cache = {}\n"
            "    def get_icon(self, name, size):\n        key = f'{name}-{size}'\n"
            "        if key not in self._icon_cache:\n"
            "            self._icon_cache[key] = load_icon(name, size)\n"
            "        return self._icon_cache[key]\n"
        ),
        # A crash reporter shows each distinct bug once: grows by distinct tracebacks only.
        Valid(
            "class CrashHook:\n    def __init__(self):\n        self.seen = set()\n"
            "    def handler(self, *exc_info):\n"
            "        key = Reporter.traceback_groupid(*exc_info)\n"
            "        if key in self.seen:\n            return\n"
            "        self.seen.add(key)\n"
        ),
        # A scheduler made for each evaluation: its task dict dies with the run.
        Valid(
            "class Scheduler:\n    def __init__(self, driver):\n"
            "        self.driver = driver\n        self._tasks = {}\n"
            "    def start(self, index):\n        self._tasks[index] = object()\n"
            "class Driver:\n    def __init__(self):\n        self._locks = {}\n"
            "    def submit(self, index):\n"
            "        if index not in self._locks:\n"
            "            self._locks[index] = object()\n"
            "def make_driver():\n    return Driver()\n"
            "class Evaluation:\n    def __init__(self):\n"
            "        self._scheduler = Scheduler(make_driver())\n"
            "async def evaluate(count):\n    evaluation = Evaluation()\n"
            "    return evaluation\n"
        ),
        # A use case made anew by each run of a runner: each run replaces the last one.
        Valid(
            "class UseCase:\n    def __init__(self):\n        self._instances = {}\n"
            "    def node(self, node_id):\n"
            "        if node_id not in self._instances:\n"
            "            self._instances[node_id] = object()\n"
            "        return self._instances[node_id]\n"
            "class Runner:\n    def __init__(self):\n"
            "        self._current: UseCase | None = None\n"
            "    async def run_workflow(self):\n        self._current = UseCase()\n"
        ),
        # One lock per realization, made the first time that realization is submitted and
        # reused by every resubmission: a few small locks, one per key.
        Valid(
            "import asyncio\n"
            "class Driver:\n    def __init__(self):\n        self._submit_locks = {}\n"
            "    async def submit(self, index, job):\n"
            "        if index not in self._submit_locks:\n"
            "            self._submit_locks[index] = asyncio.Lock()\n"
            "        async with self._submit_locks[index]:\n"
            "            await job.send()\n"
        ),
        # Blocks are counted only while the first sync runs; once synced, nothing is added.
        Valid(
            "class Client:\n    def __init__(self):\n        self._seen = set()\n"
            "        self._state = State.SYNCING\n"
            "    def on_block(self, block_hash):\n"
            "        if self._state is State.SYNCED:\n            return\n"
            "        self._seen.add(block_hash)\n"
        ),
    )
    INVALID = (
        # A lock per job id, made afresh for each job: one more entry per job, for good.
        Invalid(
            "import asyncio\n"
            "class Runner:\n    def __init__(self):\n        self._locks = {}\n"
            "    async def run(self, job):\n"
            "        self._locks[job.id] = asyncio.Lock()\n"
            "        async with self._locks[job.id]:\n"
            "            await job.send()\n",
            line=4,
        ),
        # Closing is no phase the object reaches in normal work: it grows until then.
        Invalid(
            "class Client:\n    def __init__(self):\n        self._seen = set()\n"
            "    def on_block(self, block_hash):\n"
            "        if self._closed:\n            return\n"
            "        self._seen.add(block_hash)\n",
            line=3,
        ),
        # The same scheduler made once at start-up lives for the whole program.
        Invalid(
            "class Scheduler:\n    def __init__(self):\n        self._tasks = {}\n"
            "    def start(self, index):\n        self._tasks[index] = object()\n"
            "def main():\n    scheduler = Scheduler()\n    scheduler.start(1)\n"
            "if __name__ == '__main__':\n    main()\n",
            line=3,
        ),
        # Made by a service's `start()`: it lives as long as the service, not one run.
        Invalid(
            "class Scheduler:\n    def __init__(self):\n        self._tasks = {}\n"
            "    def add(self, index):\n        self._tasks[index] = object()\n"
            "class Service:\n    def __init__(self):\n        self._scheduler = None\n"
            "    async def start(self):\n        self._scheduler = Scheduler()\n",
            line=3,
        ),
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
        # A seen-set of message ids grows with every message ever received.
        Invalid(
            "class MailTrigger:\n"
            "    def __init__(self):\n"
            "        self._seen = set()\n"
            "    def on_message(self, msg):\n"
            "        msg_id = parse_id(msg)\n"
            "        if msg_id not in self._seen:\n"
            "            self._seen.add(msg_id)\n",
            line=3,
        ),
    )

    def check_project(self) -> None:
        pruned_elsewhere = self._pruned_through_owner()
        for klass in self.classes():
            for attr, use in klass.containers.items():
                if use.kind not in ("dict", "set") or use.bounded or use.removes or not use.adds:
                    continue
                if not TRACKING_NAME.search(attr.lstrip("_")):
                    continue
                if attr in pruned_elsewhere or self._small_domain(klass.qualname, use):
                    continue
                if _ASSET_CACHE.search(attr.lstrip("_")):
                    continue
                # An object made afresh for each run (a scheduler per evaluation, a use case
                # per workflow run) takes its containers with it when the run ends.
                if made_per_run(self.project, klass.qualname):
                    continue
                if self._locks_per_key(klass.qualname, use) or self._until_phase(
                    klass.qualname, use
                ):
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

    def _calls_at(self, class_qualname: str, line: int) -> list[CallSite]:
        fn = _function_at(self.functions(), class_qualname, line)
        return [c for c in fn.calls if c.line == line] if fn is not None else []

    def _locks_per_key(self, class_qualname: str, use: ContainerUse) -> bool:
        """Every add stores a fresh lock (or event, semaphore, condition) made only when its
        key has none yet (`if key not in self._locks: self._locks[key] = Lock()`, or
        `setdefault`): callers reuse one lock per key, the entries are a few hundred bytes
        each, and there is one per key the program ever locks (a realization, a version)."""
        if use.kind != "dict":
            return False
        for line, how in use.adds:
            calls = self._calls_at(class_qualname, line)
            makes_lock = any(_LOCK_TYPES.match(c.target.rsplit(".", 1)[-1]) for c in calls)
            reused = how == "setdefault" or any("per-key" in c.guards for c in calls)
            if not (makes_lock and reused):
                return False
        return True

    def _until_phase(self, class_qualname: str, use: ContainerUse) -> bool:
        """Every add runs only until the object reaches a final phase (after `if
        self._status is Status.synced: return`): growth stops there, bounded by the work
        done before it (the blocks of the initial sync, the items queued before start-up)."""
        for line, _how in use.adds:
            calls = self._calls_at(class_qualname, line)
            if not any(g.startswith("until:") for c in calls for g in c.guards):
                return False
        return True

    def _pruned_through_owner(self) -> set[str]:
        """Attributes some function of the module removes from through another name than
        `self` (`group.tasks.discard(task)` in a done-callback handed the owner)."""
        pruned: set[str] = set()
        for fn in self.functions():
            for call in fn.calls:
                parts = call.target.split(".")
                if len(parts) >= 3 and parts[-1] in _SHRINKS and parts[0] not in ("self", "cls"):
                    pruned.add(parts[-2])
        return pruned

    def _small_domain(self, class_qualname: str, use: ContainerUse) -> bool:
        return keyed_by_small_domain(use, class_qualname, self.functions())

    def _method_at(self, class_qualname: str, line: int) -> str:
        for fn in self.functions():
            if fn.cls == class_qualname and fn.line <= line <= fn.end_line:
                return fn.name
        return "?"


def keyed_by_small_domain(
    use: ContainerUse, class_qualname: str, functions: list[FunctionInfo]
) -> bool:
    """Every add is keyed by a small fixed domain (a level, a kind, a language) or by a
    crash's traceback/type: the container is bounded by design."""
    keys = []
    for line, _how in use.adds:
        key = use.keys.get(line)
        if not key:
            return False
        fn = _function_at(functions, class_qualname, line)
        derived = fn.local_types.get(key, "") if fn is not None else ""
        keys.append((key, derived))
    return all(
        _SMALL_DOMAIN_KEY.search(key)
        or _CONSTANT_KEY.match(key)
        or _CRASH_KEY.search(key)
        or _CRASH_KEY.search(derived)
        for key, derived in keys
    )


def _function_at(
    functions: list[FunctionInfo], class_qualname: str, line: int
) -> FunctionInfo | None:
    inner = None
    for fn in functions:
        inside = fn.cls == class_qualname and fn.line <= line <= fn.end_line
        if inside and (inner is None or fn.line >= inner.line):
            inner = fn
    return inner
