"""CIA902: bound methods subscribed to a long-lived bus, never unsubscribed."""

from __future__ import annotations

import re
from dataclasses import replace

import libcst as cst
from libcst.metadata import PositionProvider

from analyzers.findings import ChainStep, Finding
from analyzers.project import ProjectModel
from analyzers.rule import Invalid, Rule, Valid
from analyzers.rules._shapes import (
    arg,
    body_nodes,
    call_name,
    call_receiver,
    dotted,
    methods_of,
    reachable_methods,
    self_method_calls,
)
from analyzers.single_instance import made_at, made_per_user_action, runs_once_per_instance

_SUBSCRIBE = frozenset(
    {"subscribe", "subscribe_all", "subscribe_filtered", "add_listener", "add_handler", "on"}
)
_UNSUBSCRIBE = frozenset(
    {
        "unsubscribe",
        "unsubscribe_all",
        "unsubscribe_filtered",
        "remove_listener",
        "remove_handler",
        "off",
        "clear_subscribers",
    }
)

# `.on()` and `.add_listener()` are how any emitter takes listeners (a page, a socket, a
# process): only an application-wide bus outlives its subscribers, so for these verbs the
# receiver must be named like one.
_GENERIC_VERBS = frozenset({"on", "add_listener"})
# Tag carried from the file pass to `confirm`: the classes of the emitters (made by the
# subscriber itself) that are all it subscribes to.
_OWNED = "owned-emitters:"
_BUS_LIKE = re.compile(r"bus|hub|dispatch|emitter|events?$|broker|pubsub|notifier|signals", re.I)


class SubscribeWithoutUnsubscribe(Rule):
    """The bus keeps every subscriber (and its widget tree) alive forever."""

    ID = "CIA902"
    AREA = 9
    TITLE = "Subscriber registered on an event bus and never unsubscribed"
    RATIONALE = (
        "An event bus holds strong references to the bound methods it is given, and a "
        "bound method holds its object. A controller, panel or dialog that subscribes and "
        "never unsubscribes stays alive after it is closed and keeps handling every event: "
        "memory grows with each reopened window and publish fan-out grows with it."
    )
    # How many subscribers pile up depends on how often the class is made, which the code
    # rarely says: no judged HIGH was ever real (main windows, controllers made once, a
    # rarely opened dialog). MEDIUM until measured.
    IMPACT = 3
    FREQUENCY = 4
    DIFFICULTY = 2
    RECOMMENDATION = (
        "Unsubscribe in the object's cleanup/close path (keep the (event, handler) pairs "
        "you subscribed and undo them in `cleanup()`), or make the bus hold "
        "`weakref.WeakMethod` references so dead subscribers drop out."
    )
    EXAMPLE_BEFORE = """\
def initialize(self):
    self._bus.subscribe(EventType.NODE_ADDED, self._on_node_added)
"""
    EXAMPLE_AFTER = """\
def initialize(self):
    self._bus.subscribe(EventType.NODE_ADDED, self._on_node_added)

def cleanup(self):
    self._bus.unsubscribe(EventType.NODE_ADDED, self._on_node_added)
"""
    TAGS = ("events", "leak", "memory")
    TRIGGERS = ("subscribe", "add_listener", "add_handler", ".on(")
    VALID = (
        Valid(
            """\
            class Panel:
                def setup(self):
                    self._bus.subscribe(EventType.SAVED, self._on_saved)

                def cleanup(self):
                    self._bus.unsubscribe(EventType.SAVED, self._on_saved)
            """
        ),
        Valid(
            """\
            class Panel:
                def setup(self):
                    self._bus.subscribe(EventType.SAVED, lambda e: None)
            """
        ),
        # Made once, in the application's set-up, which `main()` runs once: the one
        # subscription lives as long as the window, its natural lifetime.
        Valid(
            """\
            class PickerController:
                def initialize(self):
                    get_event_bus().subscribe(EventType.PICKED, self._on_picked)

                def _on_picked(self, event):
                    pass

            class Application:
                def __init__(self):
                    self._picker = PickerController()
                    self._picker.initialize()

            def main():
                Application().run()
            """
        ),
        # The client is the controller's own: it holds the handlers only as long as the
        # controller holds it.
        Valid(
            """\
            class RobotController:
                def initialize(self):
                    self._client = OrchestratorClient(self._config)
                    self._client.subscribe("robot_status", self._on_robot_status)

                def _on_robot_status(self, status):
                    pass
            """
        ),
        # Listeners on a page live as long as the page: no application-wide bus holds them.
        Valid(
            """\
            class Recorder:
                async def attach(self, page):
                    page.on("load", self._on_page_load)

                def _on_page_load(self):
                    pass
            """
        ),
        # The program's one main window, made by a launcher that takes the class: it lives
        # as long as the dispatcher it subscribes to.
        Valid(
            """\
            import asyncio

            def run_window(window_class):
                dispatcher = make_dispatcher()
                async def setup():
                    window = window_class(dispatcher)
                    window.show()
                asyncio.run(setup())

            class ManagerWindow:
                def __init__(self, dispatcher):
                    dispatcher.add_handler("domain-start", self.on_domain_start)

                def on_domain_start(self, event):
                    pass

            def main():
                run_window(ManagerWindow)
            """
        ),
    )
    INVALID = (
        # `Coordinator()` hands back the one shared instance (its `__new__` keeps it).
        Invalid(
            """\
            class Coordinator:
                _instance = None

                def __new__(cls):
                    if cls._instance is None:
                        cls._instance = super().__new__(cls)
                    return cls._instance

            class AutosaveController:
                def __init__(self):
                    self._coordinator = Coordinator()

                def initialize(self):
                    self._coordinator.subscribe("node-added", self._mark_dirty)

                def _mark_dirty(self, event):
                    pass
            """,
            line=14,
        ),
        # A dialog made anew by a menu action each time the user opens it: each one stays
        # subscribed, one more per opening (MEDIUM: at the pace of clicks).
        Invalid(
            """\
            from PySide6.QtCore import Slot
            from PySide6.QtWidgets import QDialog, QMainWindow

            class BackupDialog(QDialog):
                def __init__(self, dispatcher, parent=None):
                    super().__init__(parent)
                    dispatcher.add_handler("backup-progress", self.on_progress)

                def on_progress(self, event):
                    pass

            class MainWindow(QMainWindow):
                @Slot()
                def on_backup_triggered(self):
                    BackupDialog(self.dispatcher, parent=self).show()
            """,
            line=7,
            message_contains="pile up one per opening",
        ),
        Invalid(
            """\
            class AutosaveController:
                def initialize(self):
                    bus = get_event_bus()
                    bus.subscribe(EventType.WORKFLOW_MODIFIED, self._on_modified)
                    bus.subscribe(EventType.WORKFLOW_SAVED, self._on_saved)
            """,
            line=4,
            message_contains="2 subscriptions",
        ),
        Invalid(
            """\
            class SignalBridge:
                def __init__(self, bus):
                    self._bus = bus
                    self._bus.subscribe_all(self._on_event)

                def cleanup(self):
                    self._bus.unsubscribe_all(self._on_event)

                def __del__(self):
                    self.cleanup()
            """,
            line=4,
            message_contains="its `cleanup()` unsubscribes, but nothing in the tree calls it",
        ),
        # Made once, but initialize() runs again on every reload: each reload subscribes
        # once more and every event is handled one more time.
        Invalid(
            """\
            class PickerController:
                def initialize(self):
                    get_event_bus().subscribe(EventType.PICKED, self._on_picked)

                def _on_picked(self, event):
                    pass

            class Application:
                def __init__(self):
                    self._picker = PickerController()
                    self._picker.initialize()

                def reload(self):
                    self._picker.initialize()

            def main():
                Application().run()
            """,
            line=3,
            message_contains="1 subscription",
        ),
        # Made once by the window and once more by the application: two live instances,
        # each handling every event.
        Invalid(
            """\
            class RunController:
                def initialize(self):
                    get_event_bus().subscribe(EventType.NODE_DONE, self._on_done)

                def _on_done(self, event):
                    pass

            class Window:
                def __init__(self):
                    self._runs = RunController()
                    self._runs.initialize()

            class Application:
                def __init__(self):
                    self._window = Window()
                    self._runs = RunController()
                    self._runs.initialize()

            def main():
                Application().run()
            """,
            line=3,
            message_contains="is made in 2 places",
        ),
        # One instance per document: each opened document adds a subscriber for good.
        Invalid(
            """\
            class DocumentView:
                def __init__(self, doc):
                    get_event_bus().subscribe(EventType.SAVED, self._on_saved)

                def _on_saved(self, event):
                    pass

            class Editor:
                def open(self, doc):
                    self.views.append(DocumentView(doc))
            """,
            line=3,
            message_contains="1 subscription",
        ),
    )

    @classmethod
    def confirm(cls, finding: Finding, project: ProjectModel) -> Finding | None:
        """Dropped when the program makes one instance of the class and subscribes once on
        it (from `__init__`, or set-up only once-only code runs): a controller built once in
        the application's set-up keeps its subscriptions for the life of the window, which
        is their natural lifetime. A re-initialisation path or no known construction keeps
        the finding; several construction sites, each run once, turn it into "every event
        is handled once per instance" (a window and the application each building one)."""
        found = super().confirm(finding, project)
        marker = next((t for t in finding.tags if t.startswith(_OWNED)), "")
        if found is not None and marker:
            makers = marker[len(_OWNED) :].split(",")
            if not any(_shared_instance(project, m) for m in makers):
                return None  # subscribed only to emitters it made itself
            found = replace(found, tags=tuple(t for t in found.tags if t != marker))
        fn = project.function_at(finding.path, finding.line)
        if found is None or fn is None or not fn.cls:
            return found
        sites = made_at(project, fn.cls)
        if not sites:
            return _per_user_action(found, project, fn.cls)
        # The other subscriptions are the finding's related lines.
        lines = [finding.line, *(r.line for r in finding.related if r.path == finding.path)]
        subscribing = [project.function_at(finding.path, line) for line in lines]
        if not all(f is not None and runs_once_per_instance(project, f) for f in subscribing):
            return found
        if len(sites) == 1:
            return None
        # Several instances, each made once and kept for the program's life: nothing
        # accumulates, but every instance handles every event.
        name = fn.cls.rsplit(".", 1)[-1]
        handler = finding.message.partition("(first: `")[2].partition("`")[0]
        made = tuple(ChainStep(path, line, symbol, "made here") for path, line, symbol in sites)
        return replace(
            found,
            message=(
                f"{name} is made in {len(sites)} places, each instance kept for the life of "
                f"the program, and each one subscribes `{handler}` (and its other handlers) to "
                "the bus: every event is handled once per instance. Make one instance and "
                "share it, or unsubscribe the one that is not used."
            ),
            related=(*found.related, *(m for m in made if m.line)),
        )

    @classmethod
    def wants(cls, source: str) -> bool:
        return (
            super().wants(source)
            and re.search(r"\.(subscribe\w*|add_listener|add_handler|on)\([^)]*self\.", source)
            is not None
        )

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        methods = methods_of(node)
        subs: list[cst.Call] = []
        unsubscribing: set[str] = set()
        owned = _owned_attributes(methods)
        on_owned: list[cst.Call] = []
        for method_name, method in methods.items():
            for sub, _ in body_nodes(method):
                if not isinstance(sub, cst.Call):
                    continue
                name = call_name(sub)
                if name in _UNSUBSCRIBE:
                    unsubscribing.add(method_name)
                    continue
                if name not in _SUBSCRIBE or call_receiver(sub) in (None, "self", "super()"):
                    continue
                if name in _GENERIC_VERBS and not _BUS_LIKE.search(
                    (call_receiver(sub) or "").rsplit(".", 1)[-1]
                ):
                    continue  # `page.on("load", ...)`: lives as long as the page, no bus
                handler = arg(sub, 1) or arg(sub, 0)
                target = dotted(handler) or ""
                if target.startswith("self.") and target.count(".") == 1:
                    # An emitter the object made itself goes away with it (`confirm` checks
                    # that its class does not hand back a shared instance).
                    (on_owned if call_receiver(sub) in owned else subs).append(sub)
        makers = ""
        if not subs and on_owned:
            subs = on_owned
            makers = ",".join(sorted({owned[call_receiver(s) or ""] for s in on_owned}))
        # Each further subscription as a related line: `confirm` asks whether each one's
        # method runs once.
        related = tuple(
            self._loop_step(self.get_metadata(PositionProvider, sub).start.line, "subscription")
            for sub in subs[1:]
        )
        if not subs:
            return
        if unsubscribing:
            if not self._only_from_del(node, methods, unsubscribing):
                return
            helpers = sorted(unsubscribing - {"__del__"})
            how = (
                f"its `{helpers[0]}()` unsubscribes, but nothing in the tree calls it except "
                "`__del__`"
                if helpers
                else "it unsubscribes only from `__del__`"
            )
            self.report(
                subs[0],
                f"{node.name.value} subscribes bound methods (first: "
                f"`{dotted(arg(subs[0], 1) or arg(subs[0], 0))}`) and {how}, which never "
                "runs while the bus holds those bound methods: the object and everything it "
                "references live as long as the bus; have its owner call the cleanup.",
                related=related,
            )
            self._tag_owned(makers)
            return
        count = f"{len(subs)} subscriptions" if len(subs) > 1 else "1 subscription"
        cleanup = next(
            (m for m in ("cleanup", "close", "shutdown", "dispose", "closeEvent") if m in methods),
            None,
        )
        where = f"in {cleanup}()" if cleanup else "in its cleanup/close path"
        self.report(
            subs[0],
            f"{node.name.value} makes {count} with bound methods (first: "
            f"`{dotted(arg(subs[0], 1) or arg(subs[0], 0))}`) and never unsubscribes: the "
            f"bus keeps the object alive; unsubscribe {where}.",
            related=related,
        )
        self._tag_owned(makers)

    def _tag_owned(self, makers: str) -> None:
        if makers:
            found = self.findings[-1]
            self.findings[-1] = replace(found, tags=(*found.tags, _OWNED + makers))

    def _only_from_del(
        self, node: cst.ClassDef, methods: dict[str, cst.FunctionDef], unsubscribing: set[str]
    ) -> bool:
        """Every unsubscribing method runs only from `__del__` (not from other methods, and
        not called on instances of this class elsewhere in the project)."""
        if "__del__" not in methods:
            return False
        from_del = reachable_methods(methods, "__del__")
        if not unsubscribing <= set(from_del):
            return False
        for name, method in methods.items():
            if name in from_del:
                continue
            if self_method_calls(method) & unsubscribing:
                return False
        project = self.context.project
        if project is None:
            return True
        words = {w.lower() for w in re.findall(r"[A-Z][a-z]{3,}", node.name.value)}
        receivers = project.memo("CIA902.receivers_by_method", lambda: _receivers(project))
        for name in unsubscribing - {"__del__"}:
            for receiver in receivers.get(name, ()):
                last = receiver.rsplit(".", 1)[-1].lower()
                if any(w in last for w in words):
                    return False
        return True


def _owned_attributes(methods: dict[str, cst.FunctionDef]) -> dict[str, str]:
    """`self.<attr>` names the class binds only to objects it constructs itself
    (`self._client = OrchestratorClient(config)`): an emitter owned by the subscriber holds
    its handlers only as long as the subscriber holds it, so nothing is kept alive."""
    made: dict[str, str] = {}
    other: set[str] = set()
    for method in methods.values():
        for sub, _ in body_nodes(method):
            if not isinstance(sub, (cst.Assign, cst.AnnAssign)) or sub.value is None:
                continue
            targets = (
                [t.target for t in sub.targets] if isinstance(sub, cst.Assign) else [sub.target]
            )
            for target in targets:
                name = dotted(target)
                if not name or not name.startswith("self.") or name.count(".") != 1:
                    continue
                value = sub.value
                ctor = dotted(value.func) if isinstance(value, cst.Call) else None
                last = ctor.rsplit(".", 1)[-1] if ctor else ""
                # `EventBus()` is often the singleton itself (a `__new__` that returns the
                # one instance): a bus-named class is never taken for a private emitter.
                if last[:1].isupper() and not last.isupper() and not _BUS_LIKE.search(last):
                    made[name] = last
                elif not (isinstance(value, cst.Name) and value.value == "None"):
                    other.add(name)
    return {k: v for k, v in made.items() if k not in other}


def _shared_instance(project: ProjectModel | None, name: str) -> bool:
    """A project class of that name defines `__new__`: calling it may hand back one shared
    instance rather than make a new object."""
    if project is None:
        return False
    singletons = project.memo(
        "CIA902.classes_with_new",
        lambda: frozenset(
            q.rsplit(".", 1)[-1] for q, c in project.classes.items() if "__new__" in c.methods
        ),
    )
    return name in singletons


def _per_user_action(found: Finding, project: ProjectModel, cls: str) -> Finding:
    """MEDIUM when a new instance is made only each time the user opens it (a dialog made
    in a menu action's slot): the subscribers pile up one opening at a time, not per event."""
    slot = made_per_user_action(project, cls)
    if slot is None:
        return found
    name = cls.rsplit(".", 1)[-1]
    return replace(
        found,
        message=(
            f"{found.message} A new {name} is made each time the user triggers `{slot}`, "
            "so the subscribers pile up one per opening (at the pace of clicks, not events)."
        ),
        priority=replace(found.priority, impact=3, frequency=2),
    )


def _receivers(project: ProjectModel) -> dict[str, list[str]]:
    """Method name -> receivers it is called on anywhere (`self._bridge` for
    `self._bridge.cleanup()`), excluding plain `self.`/`cls.` calls."""
    out: dict[str, list[str]] = {}
    for fn in project.functions.values():
        for call in fn.calls:
            receiver, _, name = call.target.rpartition(".")
            if receiver and receiver not in ("self", "cls"):
                out.setdefault(name, []).append(receiver)
    return out
