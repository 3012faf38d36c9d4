"""The inspector window: start page, live panels, findings with source, export.

One refresh QTimer drives every redraw. On each tick the window asks for a snapshot of the
visible panel (series + tables for the shared time range), computed on the thread pool from
`LiveMetrics`, which a `SessionFollower` thread fills from the session. The GUI thread only
hands finished arrays to pyqtgraph and rows to table models, so a flood of records cannot
freeze it. Long work (attach, audit, report, session I/O) runs through `run_in_background`.
"""

from __future__ import annotations

import shlex
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from PySide6.QtCore import QByteArray, Qt, QTimer, QUrl, Signal
from PySide6.QtGui import QAction, QCloseEvent, QDesktopServices, QKeySequence
from PySide6.QtWidgets import (
    QFileDialog,
    QInputDialog,
    QLabel,
    QMainWindow,
    QProgressBar,
    QPushButton,
    QSplitter,
    QStackedWidget,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from analyzers.findings import Finding
from inspector.core.editor_command import (
    PRESETS,
    EditorCommandError,
    build_argv,
    detect_editors,
    editor_candidates,
    environment_template,
)
from inspector.core.live_metrics import (
    PANEL_KINDS,
    LiveMetrics,
    SessionFollower,
    TimeRange,
    TimeRangeModel,
)
from inspector.core.report_location import default_report_path, ensure_report_folder
from inspector.core.session import Session, SessionError
from inspector.core.settings import RecentTarget, Settings, data_dir, load_settings, save_settings
from inspector.gui.background_task import run_in_background
from inspector.gui.cpu_snapshot import cpu_snapshot, sample_count
from inspector.gui.findings_table import FindingsTableView
from inspector.gui.loop_stretches import StretchCache, with_stacks
from inspector.gui.message_bar import MessageBarView
from inspector.gui.panels.base import LivePanelView
from inspector.gui.panels.cpu import CpuPanelView
from inspector.gui.panels.record_panels import (
    EventBusPanelView,
    EventLoopPanelView,
    MemoryPanelView,
    PoolsPanelView,
    RepaintPanelView,
)
from inspector.gui.source_viewer import SourceViewerView
from inspector.gui.start_page import LaunchDialog, StartPageView
from inspector.gui.target_connection import TargetConnection
from inspector.gui.workload_view import WorkloadDialog, WorkloadProgressView
from inspector.sampling.pipeline import analyze_session

SUMMARY_EVERY_S = 1.0
SERIES_EVERY_S = 1.0
STAGGER_MS = 30
CPU_EVERY_S = 2.0
EVIDENCE_EVERY_S = 20.0  # while live: correlate new samples with the findings this often


def _display_path(text: str, root: str) -> str:
    norm = text.replace("\\", "/")
    if root and norm.startswith(root + "/"):
        return norm[len(root) + 1 :]
    if norm.startswith("/") or (len(norm) > 2 and norm[1] == ":"):
        return "…/" + "/".join(norm.split("/")[-3:])  # outside the target: library code
    return text


def relative_rows(summary: dict[str, Any], root: str) -> dict[str, Any]:
    """Summary rows with files (and stack lines) shown relative to the source root."""
    root = root.replace("\\", "/").rstrip("/")
    out = dict(summary)
    for key, rows in summary.items():
        if not (isinstance(rows, list) and rows and isinstance(rows[0], dict)):
            continue
        fixed = []
        for row in rows:
            row = dict(row)
            if isinstance(row.get("file"), str) and key not in ("functions", "lines"):
                row["file"] = _display_path(row["file"], root)
            if isinstance(row.get("stack"), list | tuple):
                row["stack"] = [
                    (
                        f"{_display_path(s.split(':', 1)[0], root)}:{s.split(':', 1)[1]}"
                        if isinstance(s, str) and ":" in s
                        else s
                    )
                    for s in row["stack"]
                ]
            fixed.append(row)
        out[key] = fixed
    return out


def demo_source_root() -> Path:
    import inspector.demo

    return Path(inspector.demo.__file__).resolve().parent


class InspectorWindow(QMainWindow):
    """The main window; see the module docstring for how data flows into it."""

    session_opened = Signal(object)
    snapshot_applied = Signal(str)
    findings_loaded = Signal(int)
    report_written = Signal(list)
    attached = Signal(int)
    audit_finished = Signal(int)
    failed = Signal(str)
    evidence_refreshed = Signal(int)  # findings carrying measured evidence
    workload_started = Signal(object)  # inspector.live.events.WorkloadStarted
    workload_finished = Signal(object)  # inspector.live.events.WorkloadFinished
    target_ended = Signal(str)
    editor_opened = Signal(list)  # the argv started, or ["(desktop opener)", path]

    def __init__(self, settings: Settings | None = None, refresh_ms: int = 250) -> None:
        super().__init__()
        self.setWindowTitle("CasareRPA Audit Inspector")
        self.settings = settings if settings is not None else load_settings()
        self.session: Session | None = None
        self.metrics = LiveMetrics()
        self.follower: SessionFollower | None = None
        self.connection: TargetConnection | None = None
        self.time_range = TimeRangeModel()
        self.source_root: Path | None = None
        self.hot_by_file: dict[str, dict[int, float]] = {}
        self._busy_snapshot = False
        self._last_summary: dict[str, float] = {}
        self._last_series: dict[str, float] = {}
        self._range_dirty: set[str] = set()
        self._last_cpu_rows = -1
        self._findings_count = -1
        self._last_findings_poll = 0.0
        self._audit_running = False
        self._evidence_running = False
        self._evidence_rows = -1
        self._last_evidence = 0.0
        self._evidence_text = "evidence: not correlated yet"
        self._unreadable_shown = ""
        self._stretch_cache = StretchCache()
        self._finishing: set[int] = set()  # ids of sessions whose live engine is finishing
        self._closed = False  # set by shutdown(): late background results are dropped
        self.auto_audit = True  # run the static audit once a live target's source is known
        self.desktop_opener = QDesktopServices.openUrl  # the last "Open in editor" fallback
        self.evidence_every_s = EVIDENCE_EVERY_S  # while live; math.inf turns it off

        self.message_bar = MessageBarView()
        self.start_page = StartPageView()
        self.panels: list[LivePanelView] = [
            EventBusPanelView(),
            RepaintPanelView(),
            PoolsPanelView(),
            EventLoopPanelView(),
            CpuPanelView(),
            MemoryPanelView(),
        ]
        self.panel_by_name = {p.name: p for p in self.panels}
        self.findings_view = FindingsTableView()
        self.source_viewer = SourceViewerView()
        self.source_viewer.hot_lines_for = lambda rel: self.hot_by_file.get(rel, {})
        findings_page = QSplitter(Qt.Orientation.Vertical)
        findings_page.addWidget(self.findings_view)
        findings_page.addWidget(self.source_viewer)
        findings_page.setStretchFactor(0, 2)
        findings_page.setStretchFactor(1, 3)
        self.findings_page = findings_page

        self.tabs = QTabWidget()
        self.tabs.setDocumentMode(True)
        for panel in self.panels:
            self.tabs.addTab(panel, panel.title.split(" (")[0])
            panel.range_selected.connect(self._on_panel_range)
        self.tabs.addTab(findings_page, "Findings")
        self.tabs.currentChanged.connect(lambda _i: self._tick())

        self.pages = QStackedWidget()
        self.pages.addWidget(self.start_page)
        self.pages.addWidget(self.tabs)
        central = QWidget()
        layout = QVBoxLayout(central)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.message_bar)
        layout.addWidget(self.pages, 1)
        self.setCentralWidget(central)

        self._build_status_bar()
        self._build_menus()
        self._connect()
        self.time_range.subscribe(self._on_range_changed)
        self.start_page.set_recent(self.settings.recent)
        self._restore_layout()

        self.refresh_timer = QTimer(self)
        self.refresh_timer.setInterval(refresh_ms)
        self.refresh_timer.timeout.connect(self._tick)
        self.refresh_timer.start()

    # -- construction ---------------------------------------------------------------------
    def _build_status_bar(self) -> None:
        bar = self.statusBar()
        self.target_label = QLabel("No session")
        self.records_label = QLabel("")
        self.range_label = QLabel("Range: whole session")
        self.clear_range_button = QPushButton("Clear range")
        self.clear_range_button.setFlat(True)
        self.clear_range_button.clicked.connect(lambda: self.range_action.setChecked(False))
        self.clear_range_button.hide()
        self.progress = QProgressBar()
        self.progress.setMaximumWidth(220)
        self.progress.setTextVisible(True)
        self.progress.hide()
        self.progress_label = QLabel("")
        self.workload_progress = WorkloadProgressView()
        self.workload_progress.cancel_requested.connect(self.cancel_workload)
        bar.addWidget(self.target_label)
        bar.addWidget(self.records_label, 1)
        bar.addPermanentWidget(self.workload_progress)
        bar.addPermanentWidget(self.progress_label)
        bar.addPermanentWidget(self.progress)
        bar.addPermanentWidget(self.range_label)
        bar.addPermanentWidget(self.clear_range_button)

    def _action(self, menu: Any, text: str, slot: Any, shortcut: str | None = None) -> QAction:
        action = QAction(text, self)
        if shortcut:
            action.setShortcut(QKeySequence(shortcut))
        action.triggered.connect(slot)
        menu.addAction(action)
        return action

    def _build_menus(self) -> None:
        menus = self.menuBar()
        file_menu = menus.addMenu("&File")
        self._action(file_menu, "Start page", self.show_start_page, "Ctrl+Home")
        self._action(file_menu, "&Open session…", self.choose_session, "Ctrl+O")
        self.save_action = self._action(
            file_menu, "&Save session as…", self.choose_save_as, "Ctrl+S"
        )
        self.export_action = self._action(
            file_menu, "&Export report…", self.choose_export, "Ctrl+E"
        )
        file_menu.addSeparator()
        self._action(file_menu, "&Quit", self.close, "Ctrl+Q")
        target_menu = menus.addMenu("&Target")
        self._action(target_menu, "&Attach to a process…", self.show_start_page)
        self._action(target_menu, "&Launch…", self.choose_launch, "Ctrl+L")
        self._action(target_menu, "Launch the &demo target", self.launch_demo)
        self.detach_action = self._action(target_menu, "&Detach", self.detach)
        analysis = menus.addMenu("&Analysis")
        self._action(analysis, "Run &static audit", self.run_static_audit, "F5")
        self._action(analysis, "Refresh &evidence (no re-audit)", self.refresh_evidence, "Shift+F5")
        self._action(analysis, "Set &source root…", self.choose_source_root)
        self.workloads_menu = menus.addMenu("&Workloads")
        self.workloads_menu.aboutToShow.connect(self._fill_workloads_menu)
        view = menus.addMenu("&View")
        self.range_action = QAction("Select &time range", self)
        self.range_action.setCheckable(True)
        self.range_action.setShortcut(QKeySequence("Ctrl+R"))
        self.range_action.toggled.connect(self._toggle_range)
        view.addAction(self.range_action)
        for i, panel in enumerate(self.panels):
            self._action(view, panel.title, lambda _c=False, i=i: self._show_tab(i), f"Alt+{i + 1}")
        self._action(view, "Findings", lambda: self._show_tab(len(self.panels)), "Alt+7")
        settings = menus.addMenu("&Settings")
        self._action(settings, "&Editor command…", self.choose_editor_command)

    def _connect(self) -> None:
        self.start_page.attach_requested.connect(self.attach_pid)
        self.start_page.launch_requested.connect(self.choose_launch)
        self.start_page.open_session_requested.connect(self.choose_session)
        self.start_page.recent_requested.connect(self._open_recent)
        self.findings_view.finding_selected.connect(self.show_finding)
        self.findings_view.refresh_evidence_requested.connect(self.refresh_evidence)
        self.source_viewer.open_in_editor_requested.connect(self.open_in_editor)
        cpu = self.panel_by_name["cpu"]
        assert isinstance(cpu, CpuPanelView)
        cpu.frame_clicked.connect(self._open_frame)
        cpu.thread_changed.connect(self._cpu_thread_changed)

    def _show_tab(self, index: int) -> None:
        self.pages.setCurrentWidget(self.tabs)
        self.tabs.setCurrentIndex(index)

    def show_start_page(self) -> None:
        self.pages.setCurrentWidget(self.start_page)
        self.start_page.refresh()

    # -- errors and progress --------------------------------------------------------------
    def report_error(self, message: str, details: str = "") -> None:
        self.message_bar.error(message, details)
        self.failed.emit(message)

    def _progress(self, label: str, done: int = 0, total: int = 0) -> None:
        self.progress_label.setText(label)
        self.progress.setRange(0, total)  # total 0: busy indicator
        self.progress.setValue(done)
        self.progress.show()

    def _progress_done(self) -> None:
        self.progress.hide()
        self.progress_label.setText("")

    # -- sessions -------------------------------------------------------------------------
    def set_session(self, session: Session, live: bool = False) -> None:
        """Show `session`: live (being recorded) or reopened; both read through the follower."""
        self._stop_follower()
        old = self.session
        if old is not None and old is not session and id(old) not in self._finishing:
            old.close()  # (a session whose engine is finishing is closed once it has)
        self.session = session
        self.metrics = LiveMetrics()
        self.hot_by_file = {}
        self._last_cpu_rows = -1
        self._findings_count = -1
        self._evidence_rows = -1
        self._stretch_cache = StretchCache()
        self._evidence_text = "evidence: not correlated yet"
        self.findings_view.evidence_label.setText(self._evidence_text)
        self._last_summary.clear()
        self._last_series.clear()
        for panel in self.panels:
            panel.series_version = panel.summary_version = -1
        self.range_action.setChecked(False)
        self.time_range.clear()
        meta = session.meta
        root = meta.get("source_root") or self.settings.source_roots.get(str(session.path))
        self.source_root = Path(root) if root else None
        self.source_viewer.source_root = self.source_root
        self.follower = SessionFollower(session, self.metrics)
        self.follower.start()
        target = meta.get("target")
        what = (
            (target.get("command") or [f"PID {target.get('pid')}"])
            if isinstance(target, dict)
            else None
        )
        if what:
            what = [Path(str(what[0])).name, *what[1:]]  # the program, not where it lives
        label = " ".join(map(str, what)) if what else session.path.name
        self.target_label.setText(("● live: " if live else "Session: ") + label[:80])
        self.setWindowTitle(f"{label[:60]} — CasareRPA Audit Inspector")
        self.pages.setCurrentWidget(self.tabs)
        self.load_findings()
        self.refresh_hot_lines()
        self.session_opened.emit(session)

    def open_session(self, path: str | Path) -> None:
        """Open a session file off the GUI thread (a big file takes a moment to check)."""
        path = Path(path)
        self._progress(f"Opening {path.name}…")

        def done(opened: tuple[Session, str]) -> None:
            session, unreadable = opened
            self._progress_done()
            if not unreadable:  # a damaged file is shown (the tick's bar says what is
                # missing), but not offered again in Recent
                self.settings.add_recent(RecentTarget("session", str(path), path=str(path)))
                self.start_page.set_recent(self.settings.recent)
            self.set_session(session, live=False)

        def fail(message: str, details: str) -> None:
            self._progress_done()
            self.report_error(f"Cannot open the session: {message}", details)

        def opened(_progress: object) -> tuple[Session, str]:
            session = Session.open(path)
            return session, session.check()  # counts every unreadable row up front

        run_in_background(opened, done, fail)

    def choose_session(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self,
            "Open session",
            str(data_dir()),
            "Sessions (*.session *.sqlite *.db);;All files (*)",
        )
        if path:
            self.open_session(path)

    def save_session_as(self, path: str | Path) -> None:
        if self.session is None:
            self.report_error("No session to save: attach, launch or open one first.")
            return
        session = self.session
        self._progress("Saving session…")

        def done(out: Path) -> None:
            self._progress_done()
            self.message_bar.info(f"Session saved to {out}")

        def fail(message: str, details: str) -> None:
            self._progress_done()
            self.report_error(f"Cannot save the session: {message}", details)

        run_in_background(lambda _p: session.save_as(path), done, fail)

    def choose_save_as(self) -> None:
        if self.session is None:
            self.report_error("No session to save: attach, launch or open one first.")
            return
        path, _ = QFileDialog.getSaveFileName(
            self,
            "Save session as",
            str(data_dir() / self.session.path.name),
            "Sessions (*.session)",
        )
        if path:
            self.save_session_as(path)

    def _open_recent(self, target: RecentTarget) -> None:
        if target.kind == "session":
            self.open_session(target.path)
        elif target.kind == "launch":
            self.launch(
                target.command,
                target.cwd or None,
                target.profile or "generic",
                env=self.settings.env_for(target.command, target.cwd),
            )
        elif target.kind == "attach":
            self.show_start_page()

    def _new_live_session(self, label: str, profile: str) -> Session:
        stamp = time.strftime("%Y%m%d-%H%M%S")
        safe = "".join(c if c.isalnum() else "-" for c in label)[:40].strip("-") or "target"
        path = data_dir() / "sessions" / f"{stamp}-{safe}.session"
        return Session.create(path, profile=profile)

    # -- findings and source ----------------------------------------------------------------
    def load_findings(self) -> None:
        session = self.session
        if session is None:
            return

        def done(findings: list[Finding]) -> None:
            if session is not self.session:
                return
            self._findings_count = len(findings)
            self.findings_view.set_findings(findings)
            self.findings_loaded.emit(len(findings))

        run_in_background(
            lambda _p: session.findings(),
            done,
            lambda m, d: self.report_error(f"Cannot read findings: {m}", d),
        )

    def show_finding(self, finding: Finding) -> None:
        self.source_viewer.show_finding(finding)

    def open_in_editor(self, path: str, line: int) -> None:
        """Settings' editor, then $VISUAL/$EDITOR, then an installed editor, each at the
        line; the desktop's opener (no line) when none of them starts."""
        configured = self.settings.editor_command
        candidates = editor_candidates(configured)
        tried: list[str] = []
        if configured and configured not in candidates:
            tried.append(f"{configured}: program not found")
        for template in candidates:
            try:
                argv = build_argv(template, path, line)
            except EditorCommandError as exc:
                tried.append(str(exc))
                continue
            try:
                subprocess.Popen(
                    argv,
                    stdin=subprocess.DEVNULL,
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                    start_new_session=True,
                )
            except OSError as exc:
                tried.append(f"{argv[0]}: {exc.strerror or exc}")
                continue
            self.editor_opened.emit(argv)
            return
        if self.desktop_opener(QUrl.fromLocalFile(str(path))):
            self.editor_opened.emit(["(desktop opener)", str(path)])
            self.message_bar.info(
                f"Opened {Path(path).name} with the desktop's default application (it may not "
                f"jump to line {line}); choose an editor in Settings > Editor command."
            )
            return
        self.report_error(
            f"Cannot open {Path(path).name}: no editor found. "
            "Set one in Settings > Editor command.",
            "\n".join(tried),
        )

    def choose_editor_command(self) -> None:
        current = self.settings.editor_command or environment_template()
        found = detect_editors()
        items = [current] if current else []
        items += [t for t in found.values() if t not in items]
        items += [t for t in PRESETS.values() if t not in items]
        found_note = ", ".join(found) if found else "none of the common editors is on PATH"
        text, ok = QInputDialog.getItem(
            self,
            "Editor command",
            f"Installed: {found_note}.\n"
            "Command ({path} and {line} are replaced; no shell is used):",
            items,
            0,
            True,
        )
        if ok and text.strip():
            self.settings.editor_command = text.strip()
            save_settings(self.settings)

    def set_source_root(self, root: str | Path) -> None:
        self.source_root = Path(root)
        self.source_viewer.source_root = self.source_root
        if self.session is not None:
            self.session.set_meta(source_root=str(self.source_root))
            self.settings.source_roots[str(self.session.path)] = str(self.source_root)
        if self.source_viewer.finding is not None:
            self.source_viewer.show_finding(self.source_viewer.finding)

    def choose_source_root(self) -> None:
        folder = QFileDialog.getExistingDirectory(
            self, "Source root of the target", str(self.source_root or Path.home())
        )
        if folder:
            self.set_source_root(folder)

    def _open_frame(self, file: str, line: int, function: str) -> None:
        root = str(self.source_root or "").replace("\\", "/").rstrip("/")
        norm = file.replace("\\", "/")
        rel = norm[len(root) + 1 :] if root and norm.startswith(root + "/") else norm
        self._show_tab(len(self.panels))
        self.source_viewer.show_location(rel, line or 1)

    # -- static audit ---------------------------------------------------------------------
    def run_static_audit(self) -> None:
        if self.source_root is None:
            self.report_error("Set the target's source root first (Analysis > Set source root…).")
            return
        if self._audit_running:
            self.message_bar.info("The static audit is already running.")
            return
        if self._evidence_running:  # both write the findings: the audit goes right after
            QTimer.singleShot(300, self, self.run_static_audit)
            return
        if self.session is None:
            self.set_session(self._new_live_session(self.source_root.name, "generic"))
        session = self.session
        assert session is not None
        profile = session.meta.get("profile") or self.settings.last_profile or "generic"
        root = self.source_root
        self._progress("Static audit…")
        self._audit_running = True

        def work(progress: Any) -> tuple[int, list[str]]:
            # The same pipeline as `record`: audit, agent-derived findings, correlation.
            outcome = analyze_session(session, root, profile, progress=progress)
            return len(outcome.findings), outcome.notices

        def done(result: tuple[int, list[str]]) -> None:
            n, notices = result
            self._audit_running = False
            self._progress_done()
            self.message_bar.info(" ".join([f"Static audit done: {n} findings.", *notices]))
            self._last_evidence = time.monotonic()  # the audit correlated what was there
            self.load_findings()
            self.audit_finished.emit(n)

        def fail(message: str, details: str) -> None:
            self._audit_running = False
            self._progress_done()
            self.report_error(f"Static audit failed: {message}", details)

        run_in_background(work, done, fail, lambda d, t: self._progress("Static audit…", d, t))

    def refresh_evidence(self, automatic: bool = False) -> None:
        """Correlate the samples recorded so far with the findings, without re-auditing:
        runtime findings and measured evidence are redone, the static audit is kept."""
        session, root = self.session, self.source_root
        if session is None or root is None:
            if not automatic:
                self.report_error("Nothing to correlate yet: attach to a target or open a session.")
            return
        if self._audit_running or self._evidence_running:
            return
        profile = session.meta.get("profile") or self.settings.last_profile or "generic"
        last_rows = self._evidence_rows if automatic else -2
        self._evidence_running = True
        self._last_evidence = time.monotonic()
        self.findings_view.evidence_label.setText("evidence: correlating samples…")

        def work(_p: Any) -> tuple[int, list[Finding]] | None:
            rows = sample_count(session)
            if rows == last_rows:
                return None  # no new samples since the last refresh: nothing would change
            outcome = analyze_session(session, root, profile, static=False)
            return rows, outcome.findings

        def done(result: tuple[int, list[Finding]] | None) -> None:
            self._evidence_running = False
            if session is not self.session or self._closed:
                return
            if result is None:
                self.findings_view.evidence_label.setText(self._evidence_text)
                return
            rows, findings = result
            self._evidence_rows = rows
            measured = sum(1 for f in findings if f.evidence)
            self._evidence_text = (
                f"evidence: {measured} findings measured, {rows:,} samples "
                f"({time.strftime('%H:%M:%S')})"
            )
            self.findings_view.evidence_label.setText(self._evidence_text)
            self.load_findings()
            self.refresh_hot_lines()
            self.evidence_refreshed.emit(measured)

        def fail(message: str, details: str) -> None:
            self._evidence_running = False
            self.findings_view.evidence_label.setText("evidence: correlation failed")
            if not automatic:
                self.report_error(f"Cannot correlate the samples: {message}", details)

        run_in_background(work, done, fail)

    # -- export ---------------------------------------------------------------------------
    def default_report_path(self) -> Path:
        """The target repository's docs/performance/ report (see core.report_location)."""
        fallback = self.session.path.parent if self.session else data_dir()
        return default_report_path(self.source_root, fallback)

    def choose_export(self) -> None:
        target = self.default_report_path()
        try:
            ensure_report_folder(target)  # a missing folder makes Qt fall back to the cwd
        except OSError as exc:
            self.report_error(f"Cannot create {target.parent}: {exc.strerror or exc}")
            return
        path, _ = QFileDialog.getSaveFileName(
            self, "Export the audit report", str(target), "Markdown (*.md)"
        )
        if path:
            self.export_report(path)

    def export_report(
        self,
        out: str | Path | None = None,
        formats: tuple[str, ...] = ("md", "json", "sarif", "html"),
    ) -> None:
        if self.session is None:
            self.report_error("No session to report on: attach, launch or open one first.")
            return
        from inspector.report import write_report

        session = self.session
        target = Path(out) if out else self.default_report_path()
        self._progress("Writing report…")

        def done(paths: list[Path]) -> None:
            self._progress_done()
            self.message_bar.info("Report written: " + ", ".join(str(p) for p in paths))
            self.report_written.emit([Path(p) for p in paths])

        def fail(message: str, details: str) -> None:
            self._progress_done()
            self.report_error(f"Cannot write the report: {message}", details)

        root = self.source_root  # the one the window shows, even if the agent named another

        run_in_background(
            lambda _p: write_report(session, target, formats, source_root=root), done, fail
        )

    # -- targets --------------------------------------------------------------------------
    def attach_pid(self, pid: int, profile: str = "generic") -> None:
        self._start_target(
            f"PID {pid}",
            profile,
            lambda conn: conn.attach(pid),
            RecentTarget("attach", f"PID {pid}", profile=profile),
        )

    def launch(
        self,
        command: list[str],
        cwd: str | None,
        profile: str,
        source_root: Path | None = None,
        env: dict[str, str] | None = None,
    ) -> None:
        """Start `command` with the agent; `env` is added to the inspector's environment."""
        shown = " ".join([Path(command[0]).name, *command[1:]]) if command else ""

        def start(conn: TargetConnection) -> None:
            conn.launch(command, cwd, env=env or None)  # added to the inspector's environment

        self._start_target(
            shown,
            profile,
            start,
            RecentTarget("launch", shown, command=list(command), cwd=cwd or "", profile=profile),
            source_root,
        )

    def launch_demo(self) -> None:
        repo = demo_source_root().parents[1]
        self.launch([sys.executable, "-m", "inspector.demo"], str(repo), "demo", demo_source_root())

    def launch_dialog(self) -> LaunchDialog:
        """The Launch dialog filled from the last launch (and its remembered environment)."""
        last = next((r for r in self.settings.recent if r.kind == "launch"), None)
        command = shlex.join(last.command) if last else ""
        cwd = last.cwd if last else ""
        return LaunchDialog(
            self,
            command,
            cwd,
            last.profile if last else "",
            self.settings.env_for(last.command, cwd) if last else {},
            env_for=self.settings.env_for,
        )

    def choose_launch(self) -> None:
        dialog = self.launch_dialog()
        if dialog.exec():
            self.launch_from_dialog(dialog)

    def launch_from_dialog(self, dialog: LaunchDialog) -> None:
        argv, cwd, env = dialog.argv(), dialog.cwd_edit.text().strip(), dialog.env()
        self.settings.remember_env(argv, cwd, env)
        save_settings(self.settings)
        self.launch(
            argv, cwd or None, dialog.profile_box.currentText().strip() or "generic", env=env
        )

    def _start_target(
        self,
        label: str,
        profile: str,
        start: Any,
        recent: RecentTarget,
        source_root: Path | None = None,
    ) -> None:
        self.detach()
        try:
            session = self._new_live_session(label.split()[-1] if label else "target", profile)
        except SessionError as exc:
            self.report_error(str(exc))
            return
        if source_root is not None:
            session.set_meta(source_root=str(source_root))
        conn = TargetConnection(session, profile)
        conn.workload_started.connect(self._workload_started)
        conn.workload_progress.connect(self.workload_progress.progress)
        conn.workload_finished.connect(self._workload_finished)
        conn.notice.connect(self.message_bar.info)
        conn.ended.connect(lambda reason, c=conn: self._target_ended(c, reason))
        self._progress(f"Connecting to {label[:40]}…")

        def work(_progress: Any) -> tuple[TargetConnection, bool]:
            start(conn)
            ok = conn.wait_connected()
            conn.start_sampling()
            return conn, ok

        def done(result: tuple[TargetConnection, bool]) -> None:
            self._progress_done()
            self.connection, ok = result
            self.settings.add_recent(recent)
            self.settings.last_profile = profile
            self.start_page.set_recent(self.settings.recent)
            self.set_session(session, live=True)
            if source_root is not None:
                self.set_source_root(source_root)  # the user's choice wins over the agent's
            if self.auto_audit and self.source_root is not None:
                self.run_static_audit()
            if not ok:
                self.message_bar.warning(
                    "The target is running but its agent has not connected yet; panels fill "
                    "once it does. If nothing arrives, check the target's log."
                )
            elif conn.sampling_error:
                self.message_bar.warning(f"py-spy not running: {conn.sampling_error}")
            self.attached.emit(conn.pid or 0)

        def fail(message: str, details: str) -> None:
            self._progress_done()
            session.close()
            self.report_error(message, details)

        run_in_background(work, done, fail)

    def detach(self) -> None:
        conn, self.connection = self.connection, None
        if conn is not None:
            terminate = conn.process is not None
            # the engine still writes the session while it finishes: close it only after that
            self._finishing.add(id(conn.session))

            def finished(_r: Any = None, session: Session = conn.session) -> None:
                self._finishing.discard(id(session))
                if session is not self.session:
                    session.close()

            run_in_background(
                lambda _p: conn.close(terminate=terminate),
                finished,
                lambda m, d: (finished(), self.report_error(f"Detach: {m}", d)),
            )
            self.target_label.setText(self.target_label.text().replace("● live: ", "Session: "))

    def workload_infos(self) -> list[Any]:
        """The profile's workloads with their parameters (from the live engine when there is
        one, else from the session's profile, to show what attaching would offer)."""
        if self.connection is not None:
            return self.connection.workloads()
        from inspector.attach import load_profile_tables
        from inspector.live.workload_queue import profile_workloads

        profile = (self.session.meta.get("profile") if self.session else None) or "generic"
        _name, _probes, table = load_profile_tables(profile)
        return profile_workloads(table)

    def _fill_workloads_menu(self) -> None:
        self.workloads_menu.clear()
        profile = (self.session.meta.get("profile") if self.session else None) or "generic"
        try:
            infos = self.workload_infos()
        except Exception as exc:  # AttachError and friends: one line in the menu
            self.workloads_menu.addAction(f"Cannot read profile {profile}: {exc}").setEnabled(False)
            return
        live = self.connection is not None and self.connection.connected
        header = self.workloads_menu.addAction(
            f"Profile {profile}" + ("" if live else " (attach to a target to run these)")
        )
        header.setEnabled(False)
        for info in infos:
            action = self.workloads_menu.addAction(
                f"{info.name}…" if info.available else f"{info.name} ({info.reason})"
            )
            action.setToolTip(info.description)
            action.setStatusTip(info.description)
            action.setEnabled(live and info.available)
            action.triggered.connect(lambda _c=False, i=info: self.choose_workload(i))
        if live:
            self.workloads_menu.addSeparator()
            cancel = self.workloads_menu.addAction("Cancel the running workload")
            cancel.setEnabled(bool(self.workload_progress.run_id))
            cancel.triggered.connect(lambda: self.cancel_workload(self.workload_progress.run_id))

    def workload_dialog(self, info: Any) -> WorkloadDialog:
        return WorkloadDialog(info, self)

    def choose_workload(self, info: Any) -> None:
        dialog = self.workload_dialog(info)
        if dialog.exec():
            self.run_workload(info.name, dialog.params())

    def run_workload(self, name: str, params: dict[str, Any]) -> None:
        """Queue workload `name` with `params` on the live target (one runs at a time)."""
        if self.connection is None or not self.connection.connected:
            self.report_error("Attach to or launch a target before running a workload.")
            return
        try:
            ticket = self.connection.start_workload(name, params)
        except Exception as exc:  # TargetError: one line (bad parameter, target gone)
            self.report_error(f"Cannot start workload {name}: {exc}")
            return
        shown = ", ".join(f"{k}={v}" for k, v in params.items()) or "defaults"
        self.message_bar.info(
            f"Workload {name} ({shown}) queued, about {ticket.estimate_s:.0f} s; "
            "progress and Cancel are in the status bar."
        )

    def cancel_workload(self, run_id: str) -> None:
        if self.connection is not None and run_id:
            self.connection.cancel_workload(run_id)

    def _workload_started(self, event: Any) -> None:
        self.workload_progress.started(event.run_id, event.name, event.estimate_s)
        self.workload_started.emit(event)

    def _workload_finished(self, event: Any) -> None:
        self.workload_progress.finished(event.run_id)
        text = f"Workload {event.name}: {event.status} after {event.elapsed_s:.1f} s"
        if event.reason:
            text += f" ({event.reason})"
        if event.status in ("ok", "cancelled"):
            self.message_bar.info(text)
        else:
            self.message_bar.warning(text)
        self.workload_finished.emit(event)

    def _target_ended(self, conn: Any, reason: str) -> None:
        """The engine saw the target exit (or the agent leave): not live any more."""
        if conn is not self.connection:
            return
        self.workload_progress.finished(self.workload_progress.run_id)
        label = self.target_label.text().replace("● live: ", "")
        label = label.split(" (ended: ")[0].removeprefix("Session: ")
        self.target_label.setText(f"Session: {label} (ended: {reason})")
        self.message_bar.warning(f"The target's live session ended: {reason}.")
        self.target_ended.emit(reason)

    # -- time range -----------------------------------------------------------------------
    def _toggle_range(self, on: bool) -> None:
        if not on:
            self.time_range.clear()
            return
        lo, hi = self.metrics.t0, self.metrics.t_last
        if lo is None or hi is None:
            self.range_action.setChecked(False)
            self.message_bar.info("No data yet to select a time range in.")
            return
        span = max(hi - lo, 1.0)
        self.time_range.set_range(hi - span * 0.3, hi)

    def _on_panel_range(self, since: float, until: float) -> None:
        self.time_range.set_range(since, until)

    def _on_range_changed(self, tr: TimeRange) -> None:
        for panel in self.panels:
            if self.metrics.t0 is not None:
                panel.t0 = self.metrics.t0  # one time origin for every plot's region
            panel.show_range(tr.since, tr.until)
        self._range_dirty = {p.name for p in self.panels}
        self._last_cpu_rows = -1
        self.range_label.setText(f"Range: {tr.label(self.metrics.t0)}")
        self.clear_range_button.setVisible(not tr.is_all)
        if tr.is_all and self.range_action.isChecked():
            self.range_action.setChecked(False)

    # -- the one refresh tick ---------------------------------------------------------------
    def current_panel(self) -> LivePanelView | None:
        if self.pages.currentWidget() is not self.tabs:
            return None
        widget = self.tabs.currentWidget()
        return widget if isinstance(widget, LivePanelView) else None

    def _tick(self) -> None:
        session = self.session
        if session is None or self._closed:
            return
        self._follow_agent_events()
        total = sum(self.metrics.counts.values())
        live = self.connection is not None and self.connection.connected
        err = self.follower.error if self.follower else None
        behind = self.follower.backlog if self.follower else 0
        # rows the session could not decode are skipped and counted there: say so, once loudly
        unreadable = session.unreadable_summary()
        if unreadable and unreadable != self._unreadable_shown:
            self._unreadable_shown = unreadable
            self.message_bar.warning(f"Session {session.path.name}: {unreadable}")
        self.records_label.setText(
            f"{total:,} records"
            + (" · agent connected" if live else "")
            + (f" · catching up, {behind:,} records behind" if behind else "")
            + (f" · {err}" if err else "")
            + (f" · {unreadable}" if unreadable else "")
        )
        now = time.monotonic()
        if now - self._last_findings_poll > 3.0:
            self._last_findings_poll = now
            self._poll_findings()
        due = now - self._last_evidence >= self.evidence_every_s
        if live and self._findings_count > 0 and due:
            self.refresh_evidence(automatic=True)
        panel = self.current_panel()
        if panel is None or self._busy_snapshot:
            return
        if panel.name == "cpu":
            self._refresh_cpu(panel, now)
        else:
            self._refresh_records_panel(panel, now)

    def _follow_agent_events(self) -> None:
        """Pick up the agent's source root (finished workloads come as engine events)."""
        metrics = self.metrics
        if self.source_root is None:
            for event in list(metrics.agent_events):
                root = event.get("source_root")
                if root and Path(root).is_dir():
                    self.set_source_root(root)
                    if self.auto_audit and self.connection is not None:
                        self.run_static_audit()
                    break

    def _refresh_records_panel(self, panel: LivePanelView, now: float) -> None:
        metrics = self.metrics
        version = metrics.version
        range_dirty = panel.name in self._range_dirty
        summary_stale = panel.summary_version != version
        summary_due = range_dirty or (
            summary_stale and now - self._last_summary.get(panel.name, 0) >= SUMMARY_EVERY_S
        )
        # series are 1 s bins: redrawing them more often only repaints the same picture
        series_due = panel.series_version != version and (
            panel.series_version < 0 or now - self._last_series.get(panel.name, 0) >= SERIES_EVERY_S
        )
        if not series_due and not range_dirty and not summary_due:
            if version == 0 or metrics.kind_count(*PANEL_KINDS[panel.name]) == 0:
                panel.set_empty(metrics.empty_reason(panel.name) or "no data")
            return
        tr = self.time_range.range
        self._busy_snapshot = True
        self._range_dirty.discard(panel.name)

        session = self.session
        root = str(self.source_root or "")

        def work(_p: Any) -> tuple[Any, Any, str]:
            series = metrics.panel_series(panel.name) if series_due or range_dirty else None
            summary = metrics.summary(panel.name, tr) if summary_due else None
            if summary is not None and panel.name == "event_loop" and session is not None:
                # the agent's stretches take their where and stack from the py-spy samples
                summary, self._stretch_cache = with_stacks(
                    summary, session, root, self._stretch_cache, tr.since, tr.until
                )
            return series, summary, metrics.empty_reason(panel.name)

        def done(result: tuple[Any, Any, str]) -> None:
            self._busy_snapshot = False
            if metrics is not self.metrics or self._closed:
                return
            series, summary, reason = result
            panel.set_empty(reason)
            if series is not None:
                self._last_series[panel.name] = time.monotonic()
                panel.series_version = version
                # one plot per event-loop turn: a frame never carries every redraw at once
                for i, plot in enumerate(panel.plots):
                    data = next((d for spec, d in series if spec.family == plot.spec.family), {})
                    QTimer.singleShot(
                        STAGGER_MS * i,
                        panel,  # context: Qt drops the call if the panel is gone by then
                        lambda p=plot, d=data, t0=metrics.t0 or 0.0: self._set_plot(
                            panel, p, d, t0
                        ),
                    )
            if summary is not None:
                self._last_summary[panel.name] = time.monotonic()
                panel.summary_version = version
                QTimer.singleShot(
                    STAGGER_MS * len(panel.plots),
                    panel,
                    lambda s=summary: self._set_summary(panel, s),
                )
            else:
                self.snapshot_applied.emit(panel.name)

        def fail(message: str, details: str) -> None:
            self._busy_snapshot = False
            self.report_error(f"Panel {panel.title} failed to refresh: {message}", details)

        run_in_background(work, done, fail)

    def _cpu_thread_changed(self) -> None:
        self._range_dirty.add("cpu")
        self._last_cpu_rows = -1
        self._tick()

    def _set_plot(self, panel: LivePanelView, plot: Any, data: Any, t0: float) -> None:
        if panel.series_version < 0 or self._closed:
            return
        panel.t0 = t0
        plot.set_points(data, t0)
        tr = self.time_range.range
        if not tr.is_all:
            panel.show_range(tr.since, tr.until)

    def _set_summary(self, panel: LivePanelView, summary: dict[str, Any]) -> None:
        if self._closed:
            return
        panel.apply_summary(relative_rows(summary, str(self.source_root or "")))
        self.snapshot_applied.emit(panel.name)

    def _refresh_cpu(self, panel: LivePanelView, now: float) -> None:
        session = self.session
        assert session is not None
        if now - self._last_summary.get("cpu", 0) < CPU_EVERY_S and "cpu" not in self._range_dirty:
            return
        self._busy_snapshot = True
        self._range_dirty.discard("cpu")
        tr = self.time_range.range
        root = str(self.source_root or "")
        last_rows = self._last_cpu_rows
        sampling_error = self.connection.sampling_error if self.connection else None
        t0 = self.metrics.t0
        assert isinstance(panel, CpuPanelView)
        thread = panel.thread_choice

        def work(_p: Any) -> dict[str, Any] | None:
            rows = sample_count(session)
            if rows == last_rows and rows > 0:
                return None
            snap = cpu_snapshot(session, tr, root, thread=thread)
            snap["rows"] = rows
            return snap

        def done(snap: dict[str, Any] | None) -> None:
            self._busy_snapshot = False
            self._last_summary["cpu"] = time.monotonic()
            if snap is None or session is not self.session or self._closed:
                return
            self._last_cpu_rows = snap.get("rows", -1)
            reason = snap.get("reason", "")
            if reason and sampling_error:
                reason = f"py-spy not running: {sampling_error}"
            panel.set_empty(reason)
            if not reason:
                self.hot_by_file = snap["hot_by_file"]
                series = snap["series"]["busy threads"]
                base = t0 if t0 is not None else (series[0][0] if series[0] else 0.0)
                panel.apply_series([(panel.plots[0].spec, snap["series"])], base)
                panel.apply_summary(relative_rows(snap, root))
                panel.show_range(tr.since, tr.until)
            self.snapshot_applied.emit("cpu")

        def fail(message: str, details: str) -> None:
            self._busy_snapshot = False
            self._last_summary["cpu"] = time.monotonic()
            panel.set_empty(f"cannot read the samples: {message}")

        run_in_background(work, done, fail)

    def refresh_hot_lines(self) -> None:
        """Compute the hot lines for the source viewer's gutter (off the GUI thread)."""
        session = self.session
        if session is None:
            return
        root = str(self.source_root or "")

        def done(snap: dict[str, Any]) -> None:
            if session is self.session and "hot_by_file" in snap:
                self.hot_by_file = snap["hot_by_file"]
                if self.source_viewer.finding is not None:
                    self.source_viewer.show_finding(self.source_viewer.finding)

        run_in_background(
            lambda _p: cpu_snapshot(session, TimeRange(), root), done, lambda m, d: None
        )

    def _poll_findings(self) -> None:
        session = self.session
        if session is None:
            return

        def count(_p: Any) -> int:
            with session.lock:
                return int(session.conn.execute("SELECT COUNT(*) FROM findings").fetchone()[0])

        def done(n: int) -> None:
            if session is self.session and n != self._findings_count:
                self.load_findings()
                self.refresh_hot_lines()

        run_in_background(count, done, lambda m, d: None)

    # -- layout persistence and shutdown ----------------------------------------------------
    def _restore_layout(self) -> None:
        geo, state = self.settings.window_geometry, self.settings.window_state
        if geo:
            self.restoreGeometry(QByteArray.fromBase64(geo.encode()))
        else:
            self.resize(1400, 900)
        if state:
            self.restoreState(QByteArray.fromBase64(state.encode()))

    def _stop_follower(self) -> None:
        if self.follower is not None:
            self.follower.stop()
            self.follower = None

    def shutdown(self) -> None:
        """Stop background reading, detach, save settings; idempotent."""
        self._closed = True
        self.refresh_timer.stop()
        self._stop_follower()
        conn, self.connection = self.connection, None
        if conn is not None:
            conn.close(terminate=conn.process is not None)
        self.settings.window_geometry = bytes(self.saveGeometry().toBase64()).decode()
        self.settings.window_state = bytes(self.saveState().toBase64()).decode()
        save_settings(self.settings)

    def closeEvent(self, event: QCloseEvent) -> None:
        self.shutdown()
        super().closeEvent(event)
