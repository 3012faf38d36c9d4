"""CIA402: a signal connected in a method that runs more than once, never disconnected."""

from __future__ import annotations

import re

import libcst as cst

from analyzers.findings import Finding
from analyzers.project import ProjectModel
from analyzers.rule import Invalid, Rule, Valid
from analyzers.rules._shapes import body_nodes, call_name, dotted, methods_of

# Methods that by name run once per object: connecting there is the normal pattern.
_ONCE = re.compile(
    r"^(__init__|__post_init__|_?(setup|set_up|init|initialize|create|build|connect|wire|"
    r"install|construct|make|register|attach)\w*|showEvent|main)$",
    re.IGNORECASE,
)


def _assigned_self_attrs(func: cst.FunctionDef) -> set[str]:
    """`self.X` attributes (re)bound in the function: a fresh object has no old connections."""
    out: set[str] = set()
    for node, _ in body_nodes(func):
        targets: list[cst.BaseExpression] = []
        if isinstance(node, cst.Assign):
            targets = [t.target for t in node.targets]
        elif isinstance(node, (cst.AnnAssign, cst.AugAssign)):
            targets = [node.target]
        for t in targets:
            name = dotted(t)
            if name and name.startswith("self."):
                out.add(name.split(".")[1])
    return out


def _declared_signal(cls: cst.ClassDef, signal: str) -> bool:
    """Whether `self.<name>` is a `Signal(...)` declared in the class body."""
    name = signal.split(".")[-1]
    body = cls.body.body if isinstance(cls.body, cst.IndentedBlock) else ()
    for stmt in body:
        if isinstance(stmt, cst.SimpleStatementLine):
            for small in stmt.body:
                if (
                    isinstance(small, cst.Assign)
                    and isinstance(small.value, cst.Call)
                    and call_name(small.value) in ("Signal", "pyqtSignal")
                    and any(dotted(t.target) == name for t in small.targets)
                ):
                    return True
    return False


class ConnectWithoutDisconnect(Rule):
    """Connections pile up on a long-lived signal each time the method runs."""

    ID = "CIA402"
    AREA = 4
    TITLE = "Signal connected in a repeatedly called method and never disconnected"
    RATIONALE = (
        "Qt keeps every connection: connecting the same slot again on each call (each "
        "refresh, each selection, each load) makes the slot run N times per emit after N "
        "calls, and keeps the receiver alive. Nothing in the class ever disconnects, so the "
        "fan-out and the work per emit grow for the life of the window."
    )
    IMPACT = 5
    FREQUENCY = 4
    DIFFICULTY = 3
    RECOMMENDATION = (
        "Connect once, in `__init__`/setup, and let the slot read the current state; or "
        "disconnect the previous connection before reconnecting (keep the "
        "`QMetaObject.Connection` returned by `connect` and pass it to `disconnect`), or pass "
        "`Qt.ConnectionType.UniqueConnection` for slots that are bound methods."
    )
    EXAMPLE_BEFORE = """\
def set_graph(self, graph):
    self._graph = graph
    self._view.selection_changed.connect(self._on_selection)
"""
    EXAMPLE_AFTER = """\
def __init__(self, view):
    self._view = view
    self._view.selection_changed.connect(self._on_selection)

def set_graph(self, graph):
    self._graph = graph
"""
    TAGS = ("qt", "leak", "signals", "per-call")
    TRIGGERS = (".connect(",)
    VALID = (
        Valid(
            """\
            class Panel:
                def __init__(self, view):
                    self._view = view
                    self._view.changed.connect(self._on_changed)

                def _setup_signals(self):
                    self._view.moved.connect(self._on_moved)
            """
        ),
        # A fresh object each call: its connections die with it.
        Valid(
            """\
            class Panel:
                def show_menu(self):
                    self._menu = QMenu()
                    self._menu.triggered.connect(self._on_action)
                    button = QPushButton()
                    button.clicked.connect(self._on_click)
            """
        ),
        # The class disconnects somewhere: assume it manages its connections.
        Valid(
            """\
            class Panel:
                def set_model(self, model):
                    if self._model is not None:
                        self._model.changed.disconnect(self._refresh)
                    self._model = model
                    self._bus.changed.connect(self._refresh)
            """
        ),
        # A helper disconnects the old slots before each new connection.
        Valid(
            """\
            class Renderer:
                def show_songs(self, model):
                    disconnect_slots_if_has(self._app.magicbox.filter_changed)
                    self._app.magicbox.filter_changed.connect(model.filter_by_text)
            """
        ),
        # Another class (the container owning the shared tab bar) disconnects the signal
        # before the next renderer connects.
        Valid(
            """\
            class Renderer:
                def render(self):
                    self.tabbar.show_songs_needed.connect(self._show_songs)

            class Container:
                def set_renderer(self, renderer):
                    for signal in (self.tabbar.show_songs_needed, self.tabbar.show_albums_needed):
                        disconnect_slots_if_has(signal)
                    renderer.render()
            """
        ),
        # Each call connects a new receiver object, not the same slot again.
        Valid(
            """\
            class CollectionManager:
                def scan(self, paths):
                    for path in paths:
                        coll = Collection(path)
                        self._app.library.provider_added.connect(coll.on_provider_added)
                        yield coll
            """
        ),
        # A thread body runs once per thread.
        Valid(
            """\
            from PySide6.QtCore import QThread

            class Fetcher(QThread):
                def run(self):
                    self._client.progress.connect(self._on_progress)
                    self._client.fetch_all()
            """
        ),
        # `enable()` is only called at start-up (from __init__), so it runs once.
        Valid(
            """\
            class MprisService:
                def __init__(self, app):
                    self._app = app
                    self.enable()

                def enable(self):
                    self._app.player.seeked.connect(self.update_position)
            """
        ),
        # First-creation branch: the dialog and its connections are made once.
        Valid(
            """\
            class Window:
                def show_settings(self):
                    if self._settings is None:
                        self._settings = SettingsDialog()
                        self._bus.theme_changed.connect(self._settings.apply_theme)
                    self._settings.show()
            """
        ),
    )
    INVALID = (
        Invalid(
            """\
            class Inspector:
                def __init__(self, graph):
                    self._graph = graph

                def refresh(self):
                    self._graph.node_selected.connect(self._on_node_selected)
                    self._populate()
            """,
            line=6,
            message_contains="self._graph.node_selected",
        ),
    )

    @classmethod
    def confirm(cls, finding: Finding, project: ProjectModel) -> Finding | None:
        """Also dropped when another class disconnects the signal: a container that resets
        its shared tab bar's signals before each renderer connects again."""
        found = super().confirm(finding, project)
        signal = finding.message.partition("`")[2].partition(".connect(")[0]
        if found is not None and signal and project.disconnected(signal.rsplit(".", 1)[-1]):
            return None
        return found

    @classmethod
    def wants(cls, source: str) -> bool:
        # A file that disconnects anywhere almost always manages its connections; otherwise
        # look (by lines, cheaply) for `self.x.sig.connect(` inside a not-run-once method.
        if not super().wants(source) or ".disconnect(" in source:
            return False
        method = ""
        for line in source.splitlines():
            stripped = line.lstrip()
            if stripped.startswith(("def ", "async def ")):
                method = stripped.split("def ", 1)[1].split("(", 1)[0]
            elif ".connect(" in stripped and "self." in stripped and not _ONCE.match(method):
                return True
        return False

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        methods = methods_of(node)
        connects: list[tuple[cst.Call, str, str]] = []
        for name, method in methods.items():
            walk = body_nodes(method)
            # `sig.disconnect(...)`, or a helper such as `disconnect_slots_if_has(sig)`.
            if any(
                isinstance(sub, cst.Call) and "disconnect" in (call_name(sub) or "").lower()
                for sub, _ in walk
            ):
                return
            if _ONCE.match(name):
                continue
            fresh = _assigned_self_attrs(method)
            local_objects = {
                t.target.value
                for n, _ in walk
                if isinstance(n, cst.Assign) and isinstance(n.value, cst.Call)
                for t in n.targets
                if isinstance(t.target, cst.Name)
            }
            for sub, _ in walk:
                if not (isinstance(sub, cst.Call) and call_name(sub) == "connect"):
                    continue
                # A Qt connect takes the slot (and maybe a connection type); `db.connect()`
                # with no slot is something else.
                if not sub.args or len(sub.args) > 2:
                    continue
                signal = dotted(sub.func.value) if isinstance(sub.func, cst.Attribute) else None
                # Only long-lived senders: `self.<attr>.<signal>` or `self.<signal>`.
                if not signal or not signal.startswith("self.") or "()" in signal:
                    continue
                if len(signal.split(".")) < 3 and not _declared_signal(node, signal):
                    continue
                parts = signal.split(".")
                if len(parts) > 2 and parts[1] in fresh:
                    continue
                # `coll = Collection(path); sig.connect(coll.on_added)`: a new receiver each
                # call, never the same slot twice.
                slot = dotted(sub.args[0].value) or ""
                if "." in slot and slot.split(".", 1)[0] in local_objects:
                    continue
                connects.append((sub, signal, name))
        for call, signal, method in connects:
            self.report(
                call,
                f"`{signal}.connect(...)` runs on every call of {method}() and the class "
                f"never disconnects, so each call adds another connection: connect once in "
                f"__init__/setup, or disconnect the previous connection first.",
            )
