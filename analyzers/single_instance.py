"""Which project classes the program makes only once, and which code runs once per program.

A leak "per instance" or "per start/stop cycle" needs many instances or many cycles. A
controller built once in the application's set-up, or a server built once in the daemon's
`__init__`, holds its bus subscription or its socket for the life of the process: that is
its natural lifetime, not a leak.

`made_once(project, C)` answers "is C constructed exactly once per program run?" from the
construction sites the project model can see: every call resolved to C (through package
re-exports and module aliases too) must sit in once-only code - import-time code, an entry
point, a set-up method of a class that is itself made once (bounded recursion), a function
whose every known caller is such code, or a first-creation branch - and not in a loop.
Two sites (or a subclass, or C handed around as a value) mean "not known to be once". So
do zero sites: a class built by a registry or by code outside the tree is unknown, and the
rules keep their finding. Construction sites in separate scripts (modules nothing imports)
are separate programs, each making C once.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from analyzers.project import CallSite, FunctionInfo, ProjectModel

# Steps of the recursion: a class made in a set-up method of a class made in `main()` is
# about four steps per class.
_MAX_DEPTH = 16
# Name-based once-only reasons (`ProjectModel.once_reason`) that mean once per object or per
# program. Teardown runs once too but is no place a resource is opened; "only called from
# once-only code" is re-derived here from the callers, per program rather than per object.
_ONCE_PREFIXES = (
    "set-up code",
    "the program's entry",
    "a command-line entry point",
    "called once, at import time",
    "a thread body",
)
# Calls that take a class as an argument without making or keeping an instance of it.
_TYPE_TESTS = frozenset({"builtins.isinstance", "builtins.issubclass", "typing.cast", "cast"})


@dataclass(frozen=True)
class _Site:
    relpath: str
    module: str
    line: int  # 0 for import-time code (the model keeps no line for it)
    fn: FunctionInfo | None  # None: import-time code or the `__main__` block
    call: CallSite | None

    def where(self) -> str:
        return f"{self.relpath}:{self.line}" if self.line else self.relpath


@dataclass
class _Index:
    sites: dict[str, list[_Site]]
    escaped: set[str]  # classes handed around as values: `register(Panel)`, `factory=Panel`
    subclassed: set[str]
    scripts: set[str]  # modules nothing in the tree imports: programs of their own


def class_named(project: ProjectModel, target: str) -> str | None:
    """The project class a resolved call target names, following package re-exports
    (`pkg.controllers.Panel` when `pkg/controllers/__init__.py` imports it from `.panel`)."""
    for _ in range(4):
        if target in project.classes:
            return target
        owner, _, name = target.rpartition(".")
        summary = project.modules.get(owner)
        source = summary.imports.get(name) if summary else None
        if not source or source == target:
            return None
        target = source
    return None


def _index(project: ProjectModel) -> _Index:
    named: dict[str, str | None] = {}

    def lookup(target: str) -> str | None:
        if target not in named:
            head = target.split(".", 1)[0]
            named[target] = None if head in ("self", "cls") else class_named(project, target)
        return named[target]

    index = _Index({}, set(), set(), set())
    imported: set[str] = set()
    for summary in project.modules.values():
        refs = summary.references
        if refs is not None:
            for name in refs.imported:
                parts = name.split(".")
                imported.update(".".join(parts[:i]) for i in range(1, len(parts) + 1))
        for target in summary.module_calls:
            cls = lookup(target)
            if cls is not None:
                site = _Site(summary.relpath, summary.module, 0, None, None)
                index.sites.setdefault(cls, []).append(site)
        for klass in summary.classes:
            for base in klass.bases:
                parent = lookup(base)
                if parent is not None:
                    index.subclassed.add(parent)
    # A module with a `__main__` block that others import is part of their program too.
    index.scripts.update(m for m in project.modules if m not in imported)
    for fn in project.functions.values():
        for call in fn.calls:
            cls = lookup(call.target)
            if cls is not None:
                site = _Site(fn.relpath, fn.module, call.line, fn, call)
                index.sites.setdefault(cls, []).append(site)
            if call.target in _TYPE_TESTS:
                continue
            maker = project.functions.get(call.target)
            for ref in call.callables:
                passed = lookup(ref)
                if passed is None:
                    continue
                if maker is not None and _makes_parameter_once(project, maker):
                    # `run_app(MainWindow)`: the helper makes one instance per call, so the
                    # call is where the program makes it.
                    index.sites.setdefault(passed, []).append(
                        _Site(fn.relpath, fn.module, call.line, fn, call)
                    )
                else:
                    index.escaped.add(passed)
    return index


def _makes_parameter_once(project: ProjectModel, fn: FunctionInfo) -> bool:
    """`fn` calls one of its parameters exactly once per call and hands none of them on:
    `def run_app(window_class): ... window = window_class(app)` (directly, or in a nested
    function `fn` itself calls once, outside any loop). A class passed to it is made once
    per call of `fn`."""
    cache: dict[str, bool] = project.memo("single_instance.makes_parameter", dict)
    if fn.qualname not in cache:
        cache[fn.qualname] = _makes_parameter(project, fn)
    return cache[fn.qualname]


def _nested_functions(project: ProjectModel) -> dict[str, list[FunctionInfo]]:
    """Qualified name of a function -> the functions defined anywhere inside it."""
    out: dict[str, list[FunctionInfo]] = {}
    for qualname, fn in project.functions.items():
        parts = qualname.split(".")
        for i in range(1, len(parts)):
            parent = ".".join(parts[:i])
            if parent in project.functions:
                out.setdefault(parent, []).append(fn)
    return out


def _makes_parameter(project: ProjectModel, fn: FunctionInfo) -> bool:
    params = {p for p in fn.params if p not in ("self", "cls")}
    if not params:
        return False
    nested = project.memo("single_instance.nested", lambda: _nested_functions(project)).get(
        fn.qualname, []
    )
    made = []
    for part in (fn, *nested):
        for call in part.calls:
            if call.target in params:
                made.append((part, call))
            if params & set(call.callables):
                return False  # handed on: someone else may make more
    if len(made) != 1:
        return False
    part, call = made[0]
    if call.in_loop:
        return False
    if part is fn:
        return True
    # A nested function: `fn` calls it once, outside a loop, and it is not nested deeper.
    runs = [c for c in fn.calls if c.target == part.qualname]
    return part.qualname.count(".") == fn.qualname.count(".") + 1 and (
        len(runs) == 1 and not runs[0].in_loop
    )


class _Once:
    """One top-level question; the recursion's memo and cycle guard live as long as it."""

    def __init__(self, project: ProjectModel, index: _Index) -> None:
        self.project = project
        self.index = index
        self.busy: set[str] = set()
        # Per question: a function's answer (False while it is being worked out, which cuts
        # call cycles), so the recursion visits each function once.
        self.fn_memo: dict[str, bool] = {}

    def made_at(self, cls: str, depth: int) -> list[_Site] | None:
        """The construction sites of `cls` in one program run when each runs at most once
        (so the program makes exactly that many instances, or fewer), else None."""
        index = self.index
        sites = index.sites.get(cls, [])
        if (
            depth <= 0
            or not sites
            or cls in self.busy
            or cls in index.escaped
            or cls in index.subclassed
        ):
            return None
        self.busy.add(cls)
        try:
            scripts = [s for s in sites if s.module in index.scripts]
            library = [s for s in sites if s.module not in index.scripts]
            if library and scripts:
                return None
            # Scripts are separate programs: count the instances of the one making most.
            programs: dict[str, list[_Site]] = {}
            for site in scripts:
                programs.setdefault(site.module, []).append(site)
            if all(s.fn is None or self.call_once(s.fn, s.call, depth - 1) for s in sites):
                return library or max(programs.values(), key=len)
            return None
        finally:
            self.busy.discard(cls)

    def made_once(self, cls: str, depth: int) -> _Site | None:
        sites = self.made_at(cls, depth)
        return sites[0] if sites and len(sites) == 1 else None

    def call_once(self, fn: FunctionInfo, call: CallSite | None, depth: int) -> bool:
        """The call in `fn` runs at most once per program run."""
        if call is not None:
            if call.in_loop and not call.leaves_loop:
                return False
            # A first-creation branch makes one object; `if key not in self._x:` one per key.
            if "once" in call.guards and "per-key" not in call.guards:
                return not fn.cls or self.made_once(fn.cls, depth - 1) is not None
        return self.fn_once(fn, depth)

    def per_instance(
        self, fn: FunctionInfo, depth: int, seen: frozenset[str] = frozenset()
    ) -> bool:
        """Method `fn` runs at most once on each object of its class."""
        project = self.project
        q = fn.qualname
        if not fn.cls or depth <= 0 or q in seen:
            return False
        if q in project.gui_functions or q in project.thread_targets:
            return False
        if fn.name == "__init__":
            return True
        callers = project.callers(q)
        if not callers:
            return (project.once_reason(q) or "").startswith(_ONCE_PREFIXES)
        for caller, call in callers:
            if call.in_loop and not call.leaves_loop:
                return False
            same_object = caller.cls == fn.cls and call.target.startswith("self.")
            if same_object and self.per_instance(caller, depth - 1, seen | {q}):
                continue
            if not self.call_once(caller, call, depth - 1):
                return False
        return True

    def fn_once(self, fn: FunctionInfo, depth: int) -> bool:
        """`fn` runs at most once per program run."""
        q = fn.qualname
        if q not in self.fn_memo:
            self.fn_memo[q] = False
            self.fn_memo[q] = self._fn_once(fn, depth)
        return self.fn_memo[q]

    def _fn_once(self, fn: FunctionInfo, depth: int) -> bool:
        project = self.project
        q = fn.qualname
        if depth <= 0 or q in project.gui_functions or q in project.thread_targets:
            return False
        if fn.cls and fn.name == "__init__":
            return self.made_once(fn.cls, depth - 1) is not None
        callers = project.callers(q)
        if callers:
            # Known callers decide, whatever the name says: an `initialize()` that a reload
            # path calls again subscribes again.
            return all(self.call_once(c, site, depth - 1) for c, site in callers)
        reason = project.once_reason(q) or ""
        if not reason.startswith(_ONCE_PREFIXES):
            return False
        return not fn.cls or self.made_once(fn.cls, depth - 1) is not None


def runs_once_per_instance(project: ProjectModel, fn: FunctionInfo) -> bool:
    """Method `fn` runs at most once on each object of its class: `__init__`, set-up only
    `__init__`/set-up of the same object calls, or a method whose every known caller runs
    once per program (no reload path calls it again)."""
    cache: dict[str, bool] = project.memo("single_instance.per_instance", dict)
    if fn.qualname not in cache:
        index = project.memo("single_instance.index", lambda: _index(project))
        cache[fn.qualname] = _Once(project, index).per_instance(fn, _MAX_DEPTH)
    return cache[fn.qualname]


def made_once(project: ProjectModel, cls: str) -> str | None:
    """Where the program makes its only instance of project class `cls` ("path:line", or
    "path" for import-time code), or None when it may make several or nobody knows."""
    cache: dict[str, str | None] = project.memo("single_instance.made_once", dict)
    if cls not in cache:
        index = project.memo("single_instance.index", lambda: _index(project))
        site = _Once(project, index).made_once(cls, _MAX_DEPTH)
        cache[cls] = site.where() if site is not None else None
    return cache[cls]


def made_at(project: ProjectModel, cls: str) -> list[tuple[str, int, str]] | None:
    """(path, line, enclosing function) of every place a program run makes an instance of
    `cls`, when each of them runs once: the program holds exactly that many for its life.
    None when a site may run again and again, or nobody knows (see `made_once`)."""
    cache: dict[str, list[tuple[str, int, str]] | None] = project.memo(
        "single_instance.made_at", dict
    )
    if cls not in cache:
        index = project.memo("single_instance.index", lambda: _index(project))
        sites = _Once(project, index).made_at(cls, _MAX_DEPTH)
        cache[cls] = (
            [
                (s.relpath, s.line, s.fn.qualname.removeprefix(f"{s.module}.") if s.fn else "")
                for s in sites
            ]
            if sites is not None
            else None
        )
    return cache[cls]


def runs_once_per_program(project: ProjectModel, fn: FunctionInfo) -> bool:
    """`fn` runs at most once per program run (see `made_once` for what counts as once)."""
    key = "single_instance.runs_once"
    cache: dict[str, bool] = project.memo(key, dict)
    if fn.qualname not in cache:
        index = project.memo("single_instance.index", lambda: _index(project))
        cache[fn.qualname] = _Once(project, index).fn_once(fn, _MAX_DEPTH)
    return cache[fn.qualname]


def made_per_run(project: ProjectModel, cls: str) -> str | None:
    """Where the program makes project class `cls` afresh for each run of some work (a job,
    an evaluation, a request), when every instance is: bound to a local of a function that
    runs again and again, stored by such a function on `self.<attr>` (replacing the previous
    run's), stored in `__init__` of a class that is itself made per run, handed to the
    constructor of such a class, or returned by a helper whose every caller does one of
    these. Each instance then dies with its run. None when any site keeps it longer (import
    time, set-up code, a thread body) or nobody knows (no site, a factory, a subclass)."""
    cache: dict[str, str | None] = project.memo("single_instance.made_per_run", dict)
    if cls not in cache:
        index = project.memo("single_instance.index", lambda: _index(project))
        cache[cls] = _PerRun(project, index).cls_site(cls, _MAX_DEPTH // 2)
    return cache[cls]


# Methods that bring up something long-lived: what they make is kept for the service's life.
_STARTS_SERVICE = re.compile(
    r"^_*(?:start|connect|open|serve|listen|launch|run_forever|attach|enable)(?:_|$)", re.I
)


class _PerRun:
    """`made_per_run`'s recursion over construction sites and the functions around them."""

    def __init__(self, project: ProjectModel, index: _Index) -> None:
        self.project = project
        self.index = index
        self.busy: set[str] = set()

    def cls_site(self, cls: str, depth: int) -> str | None:
        index = self.index
        sites = index.sites.get(cls, [])
        if depth <= 0 or not sites or cls in self.busy:
            return None
        if cls in index.escaped or cls in index.subclassed:
            return None
        self.busy.add(cls)
        try:
            for site in sites:
                if site.fn is None or site.call is None:
                    return None
                if not self.site_per_run(cls, site.fn, site.call, depth):
                    return None
            return sites[0].where()
        finally:
            self.busy.discard(cls)

    def repeats(self, fn: FunctionInfo) -> bool:
        """`fn` is neither set-up, entry-point, thread-body nor service start-up code (what
        `start()` or `serve()` makes lives as long as the service): it runs per call."""
        project = self.project
        if fn.qualname in project.thread_targets or project.once_reason(fn.qualname):
            return False
        if _STARTS_SERVICE.match(fn.name):
            return False
        return not runs_once_per_program(project, fn)

    def site_per_run(self, cls: str, fn: FunctionInfo, call: CallSite, depth: int) -> bool:
        project = self.project
        # A first-creation branch (`if _service is None: _service = Service()`) keeps the
        # one it made: a cached singleton, not one per run.
        if "once" in call.guards and "per-key" not in call.guards:
            return False
        # Handed to the constructor of a class made per run (`Owner(Part(...))`).
        for other in fn.calls:
            if other is call or not other.line <= call.line <= other.end_line:
                continue
            if (other.line, other.col) >= (call.line, call.col):
                continue
            owner = class_named(project, other.target) if "." in other.target else None
            if owner is not None and owner != cls and self.cls_site(owner, depth - 1):
                return True
        owner_cls = project.classes.get(fn.cls) if fn.cls else None
        if owner_cls is not None:
            # The model keeps one line per attribute: `self._x = C()` in a method that runs
            # per call is matched by type (it replaces the previous run's object).
            kept = [
                attr
                for attr, typ in owner_cls.attr_types.items()
                if owner_cls.attr_lines.get(attr) == call.line
                or (fn.name != "__init__" and class_named(project, typ) == cls)
            ]
            if kept:
                if fn.name == "__init__":
                    return self.cls_site(owner_cls.qualname, depth - 1) is not None
                return self.repeats(fn)
        if any(class_named(project, t) == cls for t in fn.local_types.values()):
            return self.repeats(fn)
        # Neither kept nor passed on here: the helper returns it (`return Driver(...)`);
        # its callers decide.
        callers = project.callers(fn.qualname)
        if not callers or depth <= 0:
            return False
        return all(self.site_per_run(cls, c, site, depth - 1) for c, site in callers)


def made_per_user_action(project: ProjectModel, cls: str) -> str | None:
    """The Qt slot (or other GUI-thread handler) that makes a new instance of `cls` each time
    the user triggers it (a dialog opened from a menu action), when every other construction
    site runs once per program; None otherwise. Instances then pile up at the pace of the
    user's clicks, not of events."""
    cache: dict[str, str | None] = project.memo("single_instance.per_user_action", dict)
    if cls not in cache:
        index = project.memo("single_instance.index", lambda: _index(project))
        cache[cls] = _per_user_action(project, index, cls)
    return cache[cls]


def _per_user_action(project: ProjectModel, index: _Index, cls: str) -> str | None:
    sites = index.sites.get(cls, [])
    if not sites or cls in index.escaped or cls in index.subclassed:
        return None
    once = _Once(project, index)
    slots: list[str] = []
    for site in sites:
        if site.fn is None:
            continue
        if site.call is not None and site.call.in_loop:
            return None
        if once.call_once(site.fn, site.call, _MAX_DEPTH):
            continue
        if not _user_paced(project, once, site.fn, 3, slots):
            return None
    return slots[0].removeprefix(f"{project.functions[slots[0]].module}.") if slots else None


def _user_paced(
    project: ProjectModel, once: _Once, fn: FunctionInfo, depth: int, slots: list[str]
) -> bool:
    """`fn` runs once per user action: it is a Qt slot or event handler, or every known
    caller is one (or runs once), calling it outside a loop (`reset_layout()` -> `_setup_docks()`).
    The slots found go into `slots`."""
    if fn.qualname in project.gui_functions:
        slots.append(fn.qualname)
        return True
    callers = project.callers(fn.qualname)
    if depth <= 0 or not callers:
        return False
    for caller, call in callers:
        if call.in_loop:
            return False
        if once.call_once(caller, call, _MAX_DEPTH):
            continue
        if not _user_paced(project, once, caller, depth - 1, slots):
            return False
    return True
