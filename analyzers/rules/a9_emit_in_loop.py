"""CIA904: a Qt signal or bus event emitted once per item inside a loop."""

from __future__ import annotations

import re
from dataclasses import replace
from typing import TYPE_CHECKING

import libcst as cst
from libcst.metadata import PositionProvider

from analyzers.findings import Finding
from analyzers.project import ClassInfo, ProjectModel
from analyzers.rule import Invalid, Rule, Valid
from analyzers.rules._containers import unused_fillers
from analyzers.rules._shapes import (
    body_nodes,
    call_name,
    call_receiver,
    enclosing_loop,
    source_of,
)
from analyzers.single_instance import runs_once_per_program

if TYPE_CHECKING:
    from analyzers.context import FileContext

_BULK_WORDS = (
    "nodes",
    "items",
    "rows",
    "results",
    "events",
    "jobs",
    "robots",
    "selected",
    "connections",
    "pipes",
    "entries",
    "records",
    "logs",
    "files",
    "variables",
)


def _inside_match_branch(loop: cst.For, ancestors: tuple[cst.CSTNode, ...]) -> bool:
    """Under `if x == wanted:` inside the loop: a find-by-key loop emits once, not per item.
    So under `if key in bucket:` where `bucket` is the loop's item and `key` is not: a loop
    asking which of a few containers holds one key emits for the ones that do, not per item."""
    inside = False
    targets = _target_names(loop.target)
    for anc in ancestors:
        if anc is loop:
            inside = True
        elif inside and isinstance(anc, cst.If):
            test = anc.test
            if isinstance(test, cst.Comparison) and any(
                isinstance(c.operator, (cst.Equal, cst.Is)) for c in test.comparisons
            ):
                return True
            if _key_in_item(test, targets):
                return True
    return False


def _target_names(target: cst.BaseExpression) -> frozenset[str]:
    return frozenset(
        n.value
        for n in [target, *(sub for sub, _ in body_nodes(target))]
        if isinstance(n, cst.Name)
    )


def _key_in_item(test: cst.BaseExpression, item_names: frozenset[str]) -> bool:
    """`key in item`: the container is the loop's item, the key comes from outside it."""
    if not isinstance(test, cst.Comparison) or len(test.comparisons) != 1:
        return False
    comp = test.comparisons[0]
    if not isinstance(comp.operator, cst.In):
        return False
    return _uses(comp.comparator, item_names) and not _uses(test.left, item_names)


def _uses(expr: cst.BaseExpression, names: frozenset[str]) -> bool:
    return any(
        isinstance(n, cst.Name) and n.value in names
        for n in [expr, *(sub for sub, _ in body_nodes(expr))]
    )


# Qt handlers that run once per user gesture (a drop, a context menu, a double click): the
# loop covers what the user dropped or picked, once.
_GESTURE_HANDLERS = frozenset({"dropEvent", "contextMenuEvent", "mouseDoubleClickEvent"})


def _first_seen_branch(loop: cst.For, ancestors: tuple[cst.CSTNode, ...]) -> bool:
    """Under `if key not in seen:` inside the loop: it emits once per new key, not per item."""
    inside = False
    for anc in ancestors:
        if anc is loop:
            inside = True
        elif inside and isinstance(anc, cst.If):
            test = anc.test
            if isinstance(test, cst.Comparison) and any(
                isinstance(c.operator, cst.NotIn) for c in test.comparisons
            ):
                return True
    return False


_EMITTED = re.compile(r"^`self\.(\w+)\.emit\(")

# `X = []` / `X: list = []` in a class body, or `set()`, `dict()`, `()`: starts empty.
_EMPTY_CTORS = frozenset({"list", "dict", "set", "tuple", "deque", "OrderedDict"})
_FILLING_CALLS = frozenset(
    {"append", "add", "setdefault", "update", "insert", "extend", "appendleft", "__setitem__"}
)
# Tag carried from the file pass to `confirm`: the loop's `self.<attr>` that nothing in the
# class fills; the whole project is checked there before the finding is dropped.
_NEVER_FILLED = "never-filled:"


def _is_empty_literal(expr: cst.BaseExpression | None) -> bool:
    if isinstance(expr, (cst.List, cst.Set, cst.Tuple)):
        return not expr.elements
    if isinstance(expr, cst.Dict):
        return not expr.elements
    return isinstance(expr, cst.Call) and call_name(expr) in _EMPTY_CTORS and not expr.args


def _self_attr(expr: cst.BaseExpression) -> str | None:
    """`self.X`, `self.X.items()`/`.values()`/`.keys()`, `list(self.X)` -> "X"."""
    if isinstance(expr, cst.Call):
        if call_name(expr) in ("items", "values", "keys") and isinstance(expr.func, cst.Attribute):
            return _self_attr(expr.func.value)
        if call_name(expr) in ("list", "tuple", "sorted", "reversed") and len(expr.args) == 1:
            return _self_attr(expr.args[0].value)
        return None
    if (
        isinstance(expr, cst.Attribute)
        and isinstance(expr.value, cst.Name)
        and expr.value.value == "self"
    ):
        return expr.attr.value
    return None


def _class_attr_starts_empty(cls: cst.ClassDef, attr: str) -> bool:
    if not isinstance(cls.body, cst.IndentedBlock):
        return False
    for stmt in cls.body.body:
        if not isinstance(stmt, cst.SimpleStatementLine):
            continue
        for small in stmt.body:
            if isinstance(small, cst.Assign) and any(
                isinstance(t.target, cst.Name) and t.target.value == attr for t in small.targets
            ):
                return _is_empty_literal(small.value)
            if (
                isinstance(small, cst.AnnAssign)
                and isinstance(small.target, cst.Name)
                and small.target.value == attr
            ):
                return _is_empty_literal(small.value)
    return False


def _in_file_lineage(cls: cst.ClassDef, module: cst.Module | None) -> list[cst.ClassDef]:
    """The class, then its base classes defined at the top of the same file."""
    by_name: dict[str, cst.ClassDef] = {}
    if module is not None:
        for stmt in module.body:
            if isinstance(stmt, cst.ClassDef):
                by_name[stmt.name.value] = stmt
    out = [cls]
    todo = [cls]
    while todo:
        for base in todo.pop().bases:
            name = base.value.value if isinstance(base.value, cst.Name) else None
            found = by_name.get(name or "")
            if found is not None and found not in out:
                out.append(found)
                todo.append(found)
    return out


def _method_nodes(cls: cst.ClassDef) -> list[cst.CSTNode]:
    """Every node inside the class's own methods (nested scopes of theirs not entered)."""
    out: list[cst.CSTNode] = []
    if isinstance(cls.body, cst.IndentedBlock):
        for stmt in cls.body.body:
            if isinstance(stmt, cst.FunctionDef):
                out.extend(sub for sub, _ancestors in body_nodes(stmt))
    return out


def _class_fills(cls: cst.ClassDef, attr: str) -> bool:
    """Whether any method of the class adds to or rebinds `self.<attr>` (other than to an
    empty container)."""
    for sub in _method_nodes(cls):
        if isinstance(sub, cst.Call) and isinstance(sub.func, cst.Attribute):
            if sub.func.attr.value in _FILLING_CALLS and _self_attr(sub.func.value) == attr:
                return True
        elif isinstance(sub, cst.Assign):
            for t in sub.targets:
                if _writes(t.target, attr) and not _is_empty_literal(sub.value):
                    return True
        elif (
            isinstance(sub, (cst.AugAssign, cst.AnnAssign))
            and _writes(sub.target, attr)
            and (isinstance(sub, cst.AugAssign) or not _is_empty_literal(sub.value))
        ):
            return True
    return False


def _writes(target: cst.BaseExpression, attr: str) -> bool:
    """`self.X = ...`, `self.X[k] = ...` or a tuple target holding one of them."""
    if isinstance(target, (cst.Tuple, cst.List)):
        return any(_writes(e.value, attr) for e in target.elements)
    if isinstance(target, cst.Subscript):
        return _self_attr(target.value) == attr
    return _self_attr(target) == attr


def _filled_elsewhere(project: ProjectModel, cls_name: str, attr: str) -> bool:
    """Whether code outside the class could fill its `<attr>`: a `<obj>.<attr>.append(...)`
    -style call on anything but an unrelated class's own `self`, or a subclass that creates
    or fills `self.<attr>`."""
    related = {q for q, c in project.classes.items() if _is_or_inherits(project, c, cls_name)}
    related_names = {q.rsplit(".", 1)[-1] for q in related} | {cls_name}
    for fn in project.functions.values():
        for call in fn.calls:
            if attr in call.keywords and _constructs(call.target, related_names):
                return True  # `Cls(attr=[...])`: dataclass/attrs fields are set this way
            head, _, verb = call.target.rpartition(".")
            if verb not in _FILLING_CALLS or (not head.endswith(f".{attr}") and head != attr):
                continue
            if head == f"self.{attr}" and fn.cls not in related:
                continue  # another class's own attribute of the same name
            return True
    for q in related:
        use = project.classes[q].containers.get(attr)
        if use is not None and (use.adds or use.removes or (use.kind != "?" and not use.empty)):
            return True
    return False


def _constructs(target: str, class_names: set[str]) -> bool:
    parts = target.split(".")
    if parts[-1] == "__init__" and len(parts) > 1:
        parts = parts[:-1]
    return parts[-1] in class_names


def _is_or_inherits(project: ProjectModel, klass: ClassInfo, cls_name: str) -> bool:
    seen: set[str] = set()
    todo = [klass]
    while todo:
        c = todo.pop()
        if c.name == cls_name:
            return True
        for base in c.bases:
            if base not in seen:
                seen.add(base)
                if base in project.classes:
                    todo.append(project.classes[base])
                elif base.rsplit(".", 1)[-1] == cls_name:
                    return True
    return False


_OWN_ITER = re.compile(r"^(?:(?:list|tuple|sorted|reversed)\()?self\.(\w+)\b")


def _unused_fillers_of_loop(finding: Finding, project: ProjectModel) -> tuple[str, ...]:
    """The never-called methods that alone fill the `self.<attr>` the finding's loop walks
    (`_containers.unused_fillers`); () when that is not the case. A container nothing at
    all adds to is left to the class-body check above, which also asks the project."""
    fn = project.function_at(finding.path, finding.line)
    if fn is None or not fn.cls or not finding.related:
        return ()
    match = _OWN_ITER.match(fn.loop_iters.get(finding.related[0].line, ""))
    if match is None:
        return ()
    return unused_fillers(project, fn.cls, match.group(1)) or ()


_SMALL_CAP = 1000


def _capped_by(cls: cst.ClassDef | None, attr: str | None) -> str:
    """`maxlen=...` when the class creates `self.<attr>` as a `deque(maxlen=...)` (a
    literal cap of at most a thousand, or a name): the loop walks at most that many items.
    Its source, or ""."""
    if cls is None or attr is None:
        return ""
    for sub in _method_nodes(cls):
        if not (isinstance(sub, cst.Assign) and isinstance(sub.value, cst.Call)):
            continue
        if call_name(sub.value) != "deque" or not any(
            _self_attr(t.target) == attr for t in sub.targets
        ):
            continue
        for a in sub.value.args:
            if a.keyword is not None and a.keyword.value == "maxlen":
                value = a.value
                if isinstance(value, cst.Integer) and int(value.value) > _SMALL_CAP:
                    return ""
                if isinstance(value, cst.Name) and value.value == "None":
                    return ""
                return cst.Module(body=[]).code_for_node(a).strip().rstrip(",")
    return ""


# Awaited calls that hand over or take something at once (a queue put, a lock): no pacing.
_QUICK_AWAITS = frozenset({"put", "acquire", "emit", "publish", "send_nowait", "drain"})


def _awaits_work(loop: cst.For) -> bool:
    """An awaited call in the loop's body, other than a sleep or a quick hand-over: each
    item waits for real work (a subprocess, a request, a database write), next to which
    one signal is nothing, and the emit tells the user about that work as it happens."""
    for sub, anc in body_nodes(loop.body):
        if (
            isinstance(sub, cst.Call)
            and anc
            and isinstance(anc[-1], cst.Await)
            and call_name(sub) not in ("sleep", *_QUICK_AWAITS)
            and enclosing_loop(sub, (loop, *anc)) is loop
        ):
            return True
    return False


def _paced_by(loop: cst.For) -> str:
    """`await asyncio.sleep(x)` (x not 0) directly in the loop's body: each item already
    waits that long, so the emit is noise next to it. Its source, or ""."""
    for sub, anc in body_nodes(loop.body):
        if (
            isinstance(sub, cst.Call)
            and anc
            and isinstance(anc[-1], cst.Await)
            and call_name(sub) == "sleep"
            and sub.args
            and not (isinstance(sub.args[0].value, cst.Integer) and sub.args[0].value.value == "0")
            and enclosing_loop(sub, (loop, *anc)) is loop
        ):
            return source_of(sub, 60)
    return ""


# `pyramidsInit`, `init_docks`, `setup_models`, `load_initial_state`: start-up work by name.
_START_UP_NAME = re.compile(r"(?:^_*(?:init|setup|set_up)_|(?<=[a-z])Init$|_init$)")


def _once_at_start_up(found: Finding, project: ProjectModel) -> Finding:
    """LOW, saying so, when the emitting function runs once per program (set-up code, or a
    function named for start-up such as `pyramidsInit` that one place calls): each item is
    announced once, when the program comes up, and a receiver that builds one widget per
    item needs each one anyway."""
    fn = project.function_at(found.path, found.line)
    if fn is None:
        return found
    once = runs_once_per_program(project, fn) or (
        _called_once_by_name(project, fn.name)
        and (bool(_START_UP_NAME.search(fn.name)) or _sole_caller_once(project, fn.name))
    )
    if not once:
        return found
    return replace(
        found,
        message=f"{found.message} `{fn.name}` runs once, as the program starts, so each item "
        "is announced once: batching saves little.",
        priority=replace(found.priority, impact=1, frequency=3),
    )


def _called_once_by_name(project: ProjectModel, name: str) -> bool:
    """One call in the whole tree names method `name` (`self.app.marks.pyramidsInit()`,
    whatever its receiver), outside any loop."""
    sites = project.memo("CIA904.calls_by_name", lambda: _calls_by_name(project))
    return sites.get(name) == 1


def _sets_state(branch: cst.If) -> bool:
    """The branch stores a new value before it emits (`if status != OK: states[k] = OK`):
    the emit announces a change of that item."""
    body = branch.body.body if isinstance(branch.body, cst.IndentedBlock) else ()
    return any(
        isinstance(small, (cst.Assign, cst.AugAssign))
        and all(
            isinstance(
                t.target if isinstance(small, cst.Assign) else small.target,
                (cst.Subscript, cst.Attribute),
            )
            for t in (small.targets if isinstance(small, cst.Assign) else (small,))
        )
        for stmt in body
        if isinstance(stmt, cst.SimpleStatementLine)
        for small in stmt.body
    )


def _sole_caller_once(project: ProjectModel, name: str) -> bool:
    """The one function that names method `name` in a call runs once per program (a window's
    `_set_default()` called from its `__init__`): `self.model.monitor.report_all()` there runs
    once too, even when the receiver's type is not known."""
    holders = project.memo("CIA904.holders_by_name", lambda: _holders_by_name(project))
    holder = project.functions.get(holders.get(name, ""))
    return holder is not None and runs_once_per_program(project, holder)


def _holders_by_name(project: ProjectModel) -> dict[str, str]:
    """Method name -> the function holding the last call site that names it."""
    return {
        call.target.rsplit(".", 1)[-1]: fn.qualname
        for fn in project.functions.values()
        for call in fn.calls
    }


def _calls_by_name(project: ProjectModel) -> dict[str, int]:
    """Method name -> number of call sites naming it (a site in a loop counts as many)."""
    out: dict[str, int] = {}
    for fn in project.functions.values():
        for call in fn.calls:
            name = call.target.rsplit(".", 1)[-1]
            out[name] = out.get(name, 0) + (2 if call.in_loop else 1)
    return out


def _connected_signals(project: ProjectModel) -> frozenset[str]:
    """Names connected as signals anywhere (`x.<name>.connect(...)`), or named in a string
    (Designer and QML connect by name)."""
    names: set[str] = set()
    for fn in project.functions.values():
        for call in fn.calls:
            head, _, verb = call.target.rpartition(".")
            if verb == "connect" and head:
                names.add(head.rsplit(".", 1)[-1])
    for summary in project.modules.values():
        if summary.references is not None:
            names |= summary.references.strings
    return frozenset(names)


class EmitInLoop(Rule):
    """N emits mean N slot invocations, N repaints and, across threads, N queued events."""

    ID = "CIA904"
    AREA = 9
    TITLE = "Signal emitted or event published once per item in a loop"
    RATIONALE = (
        "Each `emit()`/`publish()` runs (or, across threads, queues) every connected slot: "
        "a loop over 500 nodes that emits per node triggers 500 panel refreshes and "
        "repaints instead of one, and cross-thread emits flood the GUI event queue."
    )
    # How many items the loop holds and what the slots cost, the code does not say: blind
    # judges called no HIGH one worth it. MEDIUM until measured; LOW where it runs once per
    # user gesture or finds no receiver.
    IMPACT = 3
    FREQUENCY = 5
    DIFFICULTY = 3
    RECOMMENDATION = (
        "Collect the changes and emit once after the loop with the whole batch (a "
        "`nodes_changed(list)` signal or one bus event carrying ids), or route per-item "
        "events through the project's EventBatcher so subscribers get one call per frame."
    )
    EXAMPLE_BEFORE = """\
for node in nodes:
    node.set_status("idle")
    self.node_status_changed.emit(node.id, "idle")
"""
    EXAMPLE_AFTER = """\
for node in nodes:
    node.set_status("idle")
self.nodes_status_changed.emit([n.id for n in nodes], "idle")
"""
    TAGS = ("qt", "events", "signals", "per-call")
    TRIGGERS = (".emit(", ".publish(")
    VALID = (
        # One channel object per key, each with its own subscribers: the loop routes a change
        # to the channels of the keys that changed, then one batched signal follows.
        Valid(
            """\
            class Hub(QObject):
                def relay(self, changed):
                    for channel in (c for k, c in self._channels.items() if k in changed):
                        channel.publish(changed[channel.key])
                    self.batch_done.emit(changed)
            """
        ),
        Valid(
            """\
            def reset(self, nodes):
                for node in nodes:
                    node.reset()
                self.nodes_reset.emit([n.id for n in nodes])
            """
        ),
        # A retry/poll loop emitting progress is not a per-item fan-out.
        Valid(
            """\
            def wait(self):
                while not self._done:
                    self.progress.emit(self._pct)
            """
        ),
        # Which of a few named buckets holds the key: it emits for the one or two that do.
        Valid(
            """\
            def forget(self, key):
                for name, bucket in self.buckets_by_state.items():
                    if key in bucket:
                        del bucket[key]
                        self.entry_removed.emit(name, key)
            """
        ),
        # The loop walks a class-level list (here of a base class) nothing in the project
        # ever fills: it never runs.
        Valid(
            """\
            class SourcesMixin:
                sources: list = []

            class Watcher(Service, SourcesMixin):
                async def pump(self):
                    for source in self.sources:
                        for entry in source.new_entries():
                            bus.publish("watch", entry)
            """
        ),
        # Each item runs a program and waits for it: one log line per program run is the
        # progress the user reads, and costs nothing next to the run.
        Valid(
            """\
            async def run_steps(self, steps):
                for item in steps.items:
                    self.log_line.emit(f"running {item}")
                    proc = await asyncio.create_subprocess_exec(item)
                    await proc.wait()
            """
        ),
        # A progress signal per item is what moves a progress dialog's bar.
        Valid(
            """\
            def run(self):
                for i, vm in enumerate(self.selected_items):
                    vm.template = self.template
                    self.dialog.progress_signal.emit(i)
            """
        ),
    )
    INVALID = (
        Invalid(
            """\
            def reset_all(self, nodes):
                for node in nodes:
                    node.reset()
                    self.node_status_changed.emit(node.id, "idle")

            def bind(panel, graph):
                graph.node_status_changed.connect(panel.refresh)
            """,
            line=4,
            message_contains="self.node_status_changed",
        ),
        # Files dropped on the widget: once per drop, LOW, saying so.
        Invalid(
            """\
            class Stack:
                def dropEvent(self, event):
                    for fname in dropped_files(event.mimeData()):
                        self.open_requested.emit(fname)

            def bind(stack, editor):
                stack.open_requested.connect(editor.load)
            """,
            line=4,
            message_contains="once per user gesture",
        ),
        # Only for keys not seen before (one per new file, lines batched elsewhere).
        Invalid(
            """\
            class Search:
                def process_results(self):
                    for filename, line in self.partial_results:
                        if filename not in self.files:
                            self.files.append(filename)
                            self.file_match.emit(filename)
            """,
            line=6,
            message_contains="once per new item",
        ),
        # A signal nothing connects to: reported LOW, saying each emit finds no receiver.
        Invalid(
            """\
            def layout(self, nodes):
                for node in nodes:
                    node.setPos(0, 0)
                    self.node_moved.emit(node.id)
            """,
            line=4,
            message_contains="Nothing in the audited tree connects to `node_moved` today",
        ),
        # The same class-level list, filled from outside the class: the loop does run.
        Invalid(
            """\
            class Watcher:
                sources: list = []

                async def pump(self):
                    for source in self.sources:
                        for entry in source.new_entries():
                            bus.publish("watch", entry)

            def watch(watcher, feed):
                watcher.sources.append(feed)
            """,
            line=7,
        ),
        # Each item already sleeps 100 ms: LOW, saying the emits are paced.
        Invalid(
            """\
            async def import_entries(self, feed):
                for entry in feed.entries:
                    await asyncio.sleep(0.1)
                    self.entry_added.emit(entry)
            """,
            line=4,
            message_contains="deliberate pacing",
        ),
        # Announces each configured item once, as the program starts: LOW, saying so.
        Invalid(
            """\
            class Marks:
                async def pyramidsInit(self):
                    for name, pyramid in self.pyramids.items():
                        self.pyramidConfigured.emit(name)

            class Window:
                def __init__(self, marks):
                    self.marks = marks

                async def on_repo_ready(self):
                    await self.marks.pyramidsInit()

            def bind(marks, view):
                marks.pyramidConfigured.connect(view.add_button)
            """,
            line=4,
            message_contains="runs once, as the program starts",
        ),
        # A list model refreshed from a new listing: dataChanged only for the rows whose
        # data changed, the model's normal granularity: LOW.
        Invalid(
            """\
            class Files(QAbstractListModel):
                def refresh(self, fresh):
                    by_id = {f.id: f for f in fresh}
                    for i, f in enumerate(self._files):
                        if f.id in by_id and f.merge(by_id[f.id]):
                            self.dataChanged.emit(self.index(i), self.index(i))
            """,
            line=6,
            message_contains="once per changed item",
        ),
        # Resetting the faults that are set: one notification per indicator that changes.
        Invalid(
            """\
            class Faults:
                def reset_all(self):
                    for name, state in self._states.items():
                        if state != State.OK:
                            self._states[name] = State.OK
                            self.signals.state_changed.emit(name, State.OK)
            """,
            line=6,
            message_contains="once per changed item",
        ),
        # Reported once from a window's set-up (its only call site), whatever the receiver.
        Invalid(
            """\
            class Monitor:
                def report_all(self):
                    for name, value in self.breakers.items():
                        self.signals.breaker.emit((name, value))

            class Window:
                def __init__(self, model):
                    self.model = model
                    self._defaults()

                def _defaults(self):
                    self.model.monitor.report_all()

            def main(model):
                Window(model).show()
            """,
            line=4,
            message_contains="runs once, as the program starts",
        ),
        # A queue put per item is no pacing: the emits come as fast as the loop runs.
        Invalid(
            """\
            async def forward(self, batch):
                for entry in batch.entries:
                    await self._queue.put(entry)
                    self.entry_added.emit(entry)
            """,
            line=4,
        ),
    )

    @classmethod
    def wants(cls, source: str) -> bool:
        # Cheap line scan: an emit/publish indented under a `for` seen shortly before it.
        if not super().wants(source):
            return False
        loops: list[tuple[int, int]] = []  # (indent, line number) of recent `for` lines
        for number, line in enumerate(source.splitlines()):
            stripped = line.lstrip()
            indent = len(line) - len(stripped)
            if stripped.startswith(("for ", "async for ")):
                loops.append((indent, number))
            elif (".emit(" in stripped or ".publish(" in stripped) and any(
                loop_indent < indent and number - loop_line < 20 for loop_indent, loop_line in loops
            ):
                return True
        return False

    @classmethod
    def confirm(cls, finding: Finding, project: ProjectModel) -> Finding | None:
        """LOW, saying so, when the emitted Qt signal is connected nowhere in the project
        (no `.<signal>.connect(` call and its name in no string, e.g. a `.ui` connection):
        an emit with no receiver costs next to nothing today, however often it fires; the
        loop still is one the first receiver will pay for."""
        found = super().confirm(finding, project)
        marker = next((t for t in finding.tags if t.startswith(_NEVER_FILLED)), "")
        if found is not None and marker:
            cls_name, _, attr = marker[len(_NEVER_FILLED) :].rpartition(".")
            if not _filled_elsewhere(project, cls_name, attr):
                return None  # the loop walks a container nothing fills: it never runs
            found = replace(found, tags=tuple(t for t in found.tags if t != marker))
        adders = _unused_fillers_of_loop(found, project) if found is not None else None
        if found is not None and adders:
            named = ", ".join(f"{a}()" for a in adders)
            found = replace(
                found,
                message=f"{found.message} Today the loop walks an empty container: only "
                f"{named} adds to it, and nothing in the audited tree calls that.",
                priority=replace(found.priority, impact=1, frequency=1),
                tags=(*found.tags, "never-filled"),
            )
        if found is not None and found.priority.impact > 1:
            found = _once_at_start_up(found, project)
        match = _EMITTED.search(finding.message)
        if found is None or match is None:
            return found
        connected = project.memo("CIA904.connected_signals", lambda: _connected_signals(project))
        if match.group(1) in connected:
            return found
        return replace(
            found,
            message=f"{found.message} Nothing in the audited tree connects to "
            f"`{match.group(1)}` today, so each emit finds no receiver and costs little.",
            priority=replace(found.priority, impact=1, frequency=2),
            tags=(*found.tags, "no-receiver"),
        )

    def __init__(self, context: FileContext) -> None:
        super().__init__(context)
        self._classes: list[cst.ClassDef] = []
        self._module: cst.Module | None = None

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        self._classes.append(node)

    def leave_ClassDef(self, original_node: cst.ClassDef) -> None:
        self._classes.pop()

    def visit_Module(self, node: cst.Module) -> None:
        self._module = node

    def _never_filled(self, node: cst.FunctionDef, loops: list[cst.For]) -> str:
        """`Class.attr` when one of the loops walks `self.<attr>`, which starts empty in the
        body of the class or of a base class in the same file, and which none of them fills
        ("" otherwise): the loop runs only if code elsewhere fills it, and `confirm` checks
        that over the whole project."""
        if not self._classes:
            return ""
        cls = self._classes[-1]
        if not isinstance(cls.body, cst.IndentedBlock) or node not in cls.body.body:
            return ""
        lineage = _in_file_lineage(cls, self._module)
        for loop in loops:
            attr = _self_attr(loop.iter)
            if attr is None:
                continue
            declaring = next((c for c in lineage if _class_attr_starts_empty(c, attr)), None)
            if declaring is not None and not any(_class_fills(c, attr) for c in lineage):
                return f"{declaring.name.value}.{attr}"
        return ""

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        # A batcher's flush delivers what it batched: that loop is the fix, not the defect.
        if "flush" in node.name.value.lower():
            return
        for sub, ancestors in body_nodes(node):
            if not isinstance(sub, cst.Call) or call_name(sub) not in ("emit", "publish"):
                continue
            receiver = call_receiver(sub) or ""
            # `self.sig.emit` (a Qt signal) or `bus.publish`; `self.emit()` is a method.
            if call_name(sub) == "emit" and not receiver.startswith("self."):
                continue
            loop = enclosing_loop(sub, ancestors)
            if not isinstance(loop, cst.For):
                continue
            if _inside_match_branch(loop, ancestors):
                continue
            # `for channel in channels: channel.publish(x)`, `self._by_key[key].emit(v)`: each
            # item is its own signal with its own subscribers. That routes, it is no storm of
            # one signal, and one batched signal would only move the fan-out into every slot.
            if isinstance(sub.func, cst.Attribute) and _uses(
                sub.func.value, _target_names(loop.target)
            ):
                continue
            iterable = cst.Module(body=[]).code_for_node(loop.iter).lower()
            if not any(w in iterable for w in _BULK_WORDS):
                continue
            # `progress_signal.emit(i)` per item is what moves a progress bar: the point of
            # the signal (batching it would freeze the bar), and each item's work (the
            # reason for a progress bar) costs more. So is a line per item of a loop that
            # waits for a subprocess or a request per item.
            if "progress" in receiver.rsplit(".", 1)[-1].lower() or _awaits_work(loop):
                continue
            line = self.get_metadata(PositionProvider, loop).start.line
            gesture = node.name.value in _GESTURE_HANDLERS
            paced = "" if gesture else _paced_by(loop)
            own = self._classes[-1] if self._classes else None
            capped = "" if gesture or paced else _capped_by(own, _self_attr(loop.iter))
            first_seen = _first_seen_branch(loop, ancestors)
            per = "once per new item of its loop" if first_seen else "once per item of its loop"
            # `if row.update(new): self.dataChanged.emit(i, i)`: only rows that changed, and
            # the view merges those updates into its next repaint.
            branches = [a for a in ancestors[ancestors.index(loop) :] if isinstance(a, cst.If)]
            changed_rows = bool(branches) and (
                receiver.endswith(".dataChanged") or _sets_state(branches[-1])
            )
            why = ""
            if changed_rows and not gesture:
                per = "once per changed item of its loop"
                why = (
                    " It fires only for the items a test picks (those whose state changed, "
                    "usually few), and one notification per changed item is the normal "
                    "granularity (a view merges `dataChanged` rows into its next repaint): it "
                    "costs little."
                )
            elif gesture:
                why = (
                    f" It runs in {node.name.value}(), once per user gesture over what the "
                    "user dropped or picked, so it costs little."
                )
            elif paced:
                why = (
                    f" Each item already waits `{paced}` in the same loop, so the emits are "
                    "spread out and cost little next to that deliberate pacing."
                )
            elif capped:
                why = (
                    f" The loop walks `{cst.Module(body=[]).code_for_node(loop.iter)}`, a deque "
                    f"created with `{capped}`, so one call emits at most that many times."
                )
            elif first_seen:
                why = (
                    " It fires only for keys not seen before, so each emit announces one new "
                    "thing, which a receiver usually shows as one row anyway: batching saves "
                    "little."
                )
            self.report(
                sub,
                f"`{receiver}.{call_name(sub)}(...)` fires {per}: emit one batched "
                "signal/event after the loop." + why,
                related=(self._loop_step(line),),
                impact=1
                if gesture or paced or changed_rows
                else (2 if first_seen or capped else None),
                frequency=3 if gesture or paced or first_seen or capped or changed_rows else None,
            )
            empty = self._never_filled(node, [a for a in ancestors if isinstance(a, cst.For)])
            if empty:
                found = self.findings[-1]
                self.findings[-1] = replace(found, tags=(*found.tags, _NEVER_FILLED + empty))
            return
