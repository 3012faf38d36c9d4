"""The agent: owns the probes, the record buffer and the link, and detaches cleanly.

Everything the agent does after start-up runs on its own daemon threads ("flush" and
"reader"), so the target's threads only ever pay for the hooks themselves. Records are
collected from the probes and sent at most every `flush_ms` (250 ms by default), through a
bounded buffer whose overflow is counted, never allowed to grow.
"""

from __future__ import annotations

import atexit
import contextlib
import gc
import importlib
import os
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from typing import Any

from inspector.agent import provenance
from inspector.agent.hooks import ClassWatcher, Patcher
from inspector.agent.probes import Probe
from inspector.agent.probes.bus import BusProbe
from inspector.agent.probes.exceptions import ExceptionProbe
from inspector.agent.probes.loop import LoopProbe
from inspector.agent.probes.memory import MemoryProbe
from inspector.agent.probes.pool import PoolProbe
from inspector.agent.probes.queue import QueueProbe
from inspector.agent.probes.repaint import RepaintProbe
from inspector.agent.transport import Transport, TransportError, encode, hello_fields

AGENT_VERSION = "0.1.0"
MAX_BUFFER = 2000  # records waiting to be sent; past it, records are dropped and counted
MAX_BATCH = 1000
STATE_KEY = "_casare_inspector_agent"  # on the sys module (survives a re-import of us)
POLL_S = 1.0


@contextlib.contextmanager
def collections_elsewhere() -> Iterator[None]:
    """No cyclic garbage collection starts on the agent's thread inside this block.

    Python collects in whichever thread allocates past the threshold. A collection on our
    thread could free the target's cyclic garbage there, Qt widgets included, and a widget
    destroyed off the GUI thread can crash Qt or deadlock it (its destructor takes Qt's
    connection lock, then waits for the GIL the GUI thread holds while waiting for that
    lock; this froze our own window once). The agent's allocations happen in short bursts,
    so automatic collection is held off around them and the next collection runs in one of
    the target's threads. Never around blocking I/O, and a target that has turned
    collection off itself (pyqtgraph's GarbageCollector does) is left as it is.
    """
    enabled = gc.isenabled()
    if enabled:
        gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


class Agent:
    """One attachment to the inspector. Create with the bootstrap config, then `start()`."""

    def __init__(self, config: dict[str, Any]) -> None:
        self.config = config
        probes_cfg: dict[str, Any] = dict(config.get("probes") or {})
        self.probes_cfg = probes_cfg
        self.workloads_cfg: dict[str, Any] = dict(config.get("workloads") or {})
        self.flush_s = max(0.05, min(0.25, float(probes_cfg.get("flush_ms", 250)) / 1000.0))
        self.attached_late = config.get("mode", "attach") == "attach"
        self.patcher = Patcher()
        self.watcher = ClassWatcher()
        self.hooks: list[str] = []
        self.buffer: deque[dict[str, Any]] = deque()
        self.dropped = 0
        self._reported_dropped = 0
        self._scan_requests: list[tuple[type, Callable[[Any], None]]] = []
        self._instance_callbacks: dict[type, list[Callable[[Any], None]]] = {}
        self._installing = False
        self._scan_lock = threading.Lock()
        self._stop = threading.Event()
        self._stopped = threading.Event()
        self._detach_reason = ""
        self._thread: threading.Thread | None = None
        self.transport: Transport | None = None
        self.probes: list[Probe] = [
            LoopProbe(self, probes_cfg),
            BusProbe(self, probes_cfg.get("bus", [])),
            PoolProbe(self, probes_cfg.get("pool", []), float(probes_cfg.get("leak_s", 30.0))),
            QueueProbe(self, probes_cfg.get("queue", [])),
            MemoryProbe(self, probes_cfg),
            RepaintProbe(self, probes_cfg),
            ExceptionProbe(self, probes_cfg),
        ]
        disabled = set(probes_cfg.get("disabled", []))  # e.g. disabled = ["repaint"]
        self.probes = [p for p in self.probes if p.name not in disabled]
        self._last_flush = time.time()
        self._source = ""  # set while a flush collects: the interval's provenance

    # -- life cycle --------------------------------------------------------------------------
    def start(self) -> None:
        self._thread = threading.Thread(
            target=self._main, name="casare-inspector-agent", daemon=True
        )
        self._thread.start()

    def detach(self, reason: str = "requested") -> None:
        """Ask the agent to restore everything and disconnect (returns at once)."""
        if not self._detach_reason:
            self._detach_reason = reason
        self._stop.set()

    def wait_detached(self, timeout: float = 5.0) -> bool:
        return self._stopped.wait(timeout)

    @property
    def running(self) -> bool:
        return self._thread is not None and not self._stopped.is_set()

    def _main(self) -> None:
        try:
            self.transport = Transport(
                str(self.config.get("host", "127.0.0.1")),
                int(self.config["port"]),
                str(self.config["token"]),
            )
            self.transport.connect({**hello_fields(), "agent": AGENT_VERSION})
        except Exception as exc:  # one line in the target's log, never a traceback
            detail = str(exc) if isinstance(exc, TransportError) else f"{type(exc).__name__}: {exc}"
            print(f"casare-inspector agent: not attached: {detail}", file=sys.stderr)
            self._stopped.set()
            return
        reader = threading.Thread(
            target=self._read, name="casare-inspector-agent-reader", daemon=True
        )
        reader.start()
        atexit.register(self._at_exit)
        try:
            with collections_elsewhere():
                self._install()
            self._flush_loop()
        finally:
            self._cleanup()

    def _install(self) -> None:
        self._installing = True  # classes resolved now get one batched gc pass
        for probe in self.probes:
            try:
                probe.install()
            except Exception as exc:
                self.report_error(f"{probe.name} probe not installed: {exc}")
        self._installing = False
        self._run_scans()
        self.emit(
            {
                "kind": "agent",
                "event": "hello",
                "detail": f"attached ({self.config.get('mode', 'attach')})",
                "python": ".".join(map(str, sys.version_info[:3])),
                "hooks": list(self.hooks),
                "dropped": 0,
                "source_root": self.source_root(),
                "pending": self.watcher.pending_targets(),
            }
        )

    def _flush_loop(self) -> None:
        last_poll = 0.0
        hooks_sent = len(self.hooks)
        while not self._stop.wait(self.flush_s):
            now = time.monotonic()
            if now - last_poll >= POLL_S:
                last_poll = now
                with collections_elsewhere():
                    for probe in self.probes:
                        try:
                            probe.poll()
                        except Exception as exc:
                            self.report_error(f"{probe.name} poll failed: {exc}")
                    self.watcher.retry()
                if len(self.hooks) != hooks_sent:
                    hooks_sent = len(self.hooks)
                    self.emit(
                        {
                            "kind": "agent",
                            "event": "hooked",
                            "detail": "",
                            "python": None,
                            "hooks": list(self.hooks),
                            "dropped": 0,
                            "source_root": self.source_root(),
                            "pending": self.watcher.pending_targets(),
                        }
                    )
            if not self.flush():
                self.detach("the inspector went away")

    def flush(self) -> bool:
        """Collect every probe's interval and send what is buffered; False if the link died."""
        wall = time.time()
        interval = wall - self._last_flush
        self._last_flush = wall
        transport = self.transport
        # Records are built, batched and encoded with collection held off, and dropped before
        # it is allowed again, so the count is back where it was; only sending waits outside.
        with collections_elsewhere():
            # Every interval record says whether a workload drove the target meanwhile.
            self._source = provenance.interval_source()
            try:
                for probe in self.probes:
                    try:
                        for record in probe.collect(wall, interval):
                            self.emit(record)
                    except Exception as exc:
                        self.report_error(f"{probe.name} collect failed: {exc}")
            finally:
                self._source = ""
            if self.dropped != self._reported_dropped:
                self._reported_dropped = self.dropped
                self.buffer.append(
                    {
                        "t": wall,
                        "kind": "agent",
                        "event": "dropped",
                        "detail": "",
                        "python": None,
                        "hooks": [],
                        "dropped": self.dropped,
                    }
                )
            payloads = []
            while self.buffer and transport is not None:
                batch = []
                while self.buffer and len(batch) < MAX_BATCH:
                    batch.append(self.buffer.popleft())
                payloads.append(
                    encode({"type": "records", "records": batch, "dropped": self.dropped})
                )
                del batch
        if transport is None:
            return False
        for payload in payloads:
            try:
                transport.send_encoded(payload)
            except TransportError:
                return False
        return not transport.closed.is_set()

    def _cleanup(self) -> None:
        reason = self._detach_reason or "stopped"
        workloads = sys.modules.get(f"{__package__}.workloads")
        if workloads is not None:  # a workload must not outlive the inspector that started it
            try:
                workloads.stop_all(f"the inspector detached ({reason})")
            except Exception as exc:
                self.report_error(f"stopping workloads failed: {exc}")
        for probe in reversed(self.probes):
            try:
                probe.uninstall()
            except Exception as exc:
                self.report_error(f"{probe.name} uninstall failed: {exc}")
        failures = self.patcher.restore_all()
        self.watcher.close()
        for failure in failures:
            self.report_error(f"not restored: {failure}")
        self.emit(
            {
                "kind": "agent",
                "event": "detached",
                "detail": reason,
                "python": None,
                "hooks": [],
                "dropped": self.dropped,
            }
        )
        try:
            self.flush()
        except Exception:
            pass
        if self.transport is not None:
            try:
                self.transport.send({"type": "bye", "reason": reason})
            except TransportError:
                pass
            self.transport.close()
        try:
            atexit.unregister(self._at_exit)
        except Exception:
            pass
        provenance.reset()
        # Nothing of this attachment stays reachable from the target: the bootstrap's
        # handle on us (a detached agent holds its buffer and probes) goes too.
        if getattr(sys, STATE_KEY, None) is self:
            try:
                delattr(sys, STATE_KEY)
            except AttributeError:
                pass
        self._stopped.set()

    def _at_exit(self) -> None:
        """The target is exiting: send what was gathered since the last flush."""
        if self._stopped.is_set():
            return
        try:
            self.flush()
        except Exception:
            pass

    # -- commands from the inspector ---------------------------------------------------------
    def _read(self) -> None:
        transport = self.transport
        if transport is not None:
            transport.read_forever(self._on_message)
        self.detach("the inspector closed the link")

    def _on_message(self, message: dict[str, Any]) -> None:
        kind = message.get("type")
        if kind == "detach":
            self.detach("detach requested by the inspector")
        elif kind == "tracemalloc":
            memory = self.probe("memory")
            action = message.get("action")
            if isinstance(memory, MemoryProbe) and action == "start":
                detail = memory.tracemalloc_start()
            elif isinstance(memory, MemoryProbe) and action == "snapshot":
                detail = memory.tracemalloc_snapshot()
            else:
                detail = f"unknown tracemalloc action {action!r}"
            self._reply(message.get("id"), True, detail)
        elif kind == "command" and message.get("cmd") == "workload":
            self._start_workload(message)
        elif kind == "command" and message.get("cmd") == "workload_cancel":
            workloads = sys.modules.get(f"{__package__}.workloads")
            run_id = str(message.get("run_id") or "")
            cancelled = workloads is not None and workloads.cancel(run_id)
            self._reply(message.get("id"), True, "cancelled" if cancelled else "not running")
        else:
            self._reply(message.get("id"), False, f"unknown command {kind!r}")

    def _start_workload(self, message: dict[str, Any]) -> None:
        name = str(message.get("name", ""))
        params = message.get("params") or {}
        try:
            module = importlib.import_module(f"{__package__}.workloads")
            run_workload = module.run_workload
        except (ImportError, AttributeError) as exc:
            self.emit(
                {
                    "kind": "workload",
                    "name": name,
                    "params": params,
                    "status": "unsupported",
                    "reason": f"no workloads module: {exc}",
                    "results": {},
                }
            )
            self._reply(message.get("id"), False, "workloads are not available")
            return
        try:
            run_workload(name, params, self.workloads_cfg, self.emit)
            self._reply(message.get("id"), True, f"workload {name} started")
        except Exception as exc:
            self.emit(
                {
                    "kind": "workload",
                    "name": name,
                    "params": params,
                    "status": "failed",
                    "reason": f"{type(exc).__name__}: {exc}",
                    "results": {},
                }
            )
            self._reply(message.get("id"), False, str(exc))

    def _reply(self, command_id: Any, ok: bool, detail: str) -> None:
        transport = self.transport
        if transport is None:
            return
        try:
            transport.send({"type": "reply", "id": command_id, "ok": ok, "detail": detail})
        except TransportError:
            self.detach("the inspector went away")

    # -- services for probes -----------------------------------------------------------------
    def emit(self, record: dict[str, Any]) -> None:
        """Queue one record (any thread); past the bound it is dropped and counted."""
        if len(self.buffer) >= MAX_BUFFER:
            self.dropped += 1
            return
        record.setdefault("t", time.time())
        record.setdefault("source", self._source or provenance.peek_source())
        self.buffer.append(record)

    def report_error(self, detail: str) -> None:
        self.emit(
            {
                "kind": "agent",
                "event": "error",
                "detail": detail[:500],
                "python": None,
                "hooks": [],
                "dropped": self.dropped,
            }
        )

    def note_hook(self, description: str) -> None:
        if description not in self.hooks:
            self.hooks.append(description)

    def probe(self, name: str) -> Any:
        for probe in self.probes:
            if probe.name == name:
                return probe
        return None

    def watch_class(self, qualified: str, callback: Callable[[Any], None]) -> None:
        def guarded(obj: Any) -> None:
            if self._stop.is_set():
                return
            try:
                callback(obj)
            except Exception as exc:
                self.report_error(f"hooking {qualified} failed: {exc}")

        self.watcher.watch(qualified, guarded)

    def find_instances(self, cls: type, callback: Callable[[Any], None]) -> None:
        """Call `callback` for every live instance of `cls`, now and from now on.

        New instances are caught by wrapping `cls.__init__` (restored on detach). Existing
        ones: while installing (attach mode) one batched gc pass finds them; for a class
        whose module was imported later, its module's globals and class attributes are
        looked at (module-level singletons), which costs nothing like a gc pass. An instance
        held elsewhere (a local, another object) is missed here: probes whose hooks see the
        instance (bus publish, pool acquire, queue put) adopt it on its first use instead.
        """
        callbacks = self._instance_callbacks.setdefault(cls, [])
        callbacks.append(callback)
        if len(callbacks) == 1:
            self._wrap_init(cls, callbacks)
        if self._installing:
            with self._scan_lock:
                self._scan_requests.append((cls, callback))
            return
        module = sys.modules.get(cls.__module__)
        candidates = list(vars(module).values()) if module is not None else []
        candidates += list(vars(cls).values())
        for obj in candidates:
            try:
                if isinstance(obj, cls):
                    callback(obj)
            except Exception:
                pass

    def _wrap_init(self, cls: type, callbacks: list[Callable[[Any], None]]) -> None:
        original = cls.__init__
        if original is object.__init__:
            # Wrapping object.__init__ would change how Python checks constructor arguments
            # (a class with only __new__ would start rejecting them): such classes are found
            # through their other hooks only.
            return

        def __init__(obj: Any, *args: Any, **kwargs: Any) -> None:
            original(obj, *args, **kwargs)
            for callback in callbacks:
                try:
                    callback(obj)
                except Exception:
                    pass

        __init__.__wrapped__ = original  # type: ignore[attr-defined]
        try:
            self.patcher.patch(cls, "__init__", __init__)
        except Exception as exc:
            self.report_error(f"cannot watch new {cls.__qualname__} objects: {exc}")

    def _run_scans(self) -> None:
        """One gc pass over the heap for every class hooked while installing."""
        with self._scan_lock:
            due, self._scan_requests = self._scan_requests, []
        if not due:
            return
        by_type: dict[type, list[int]] = {}
        try:
            for obj in gc.get_objects():
                kind = type(obj)
                hits = by_type.get(kind)
                if hits is None:
                    hits = []
                    for i, (cls, _) in enumerate(due):
                        try:
                            if issubclass(kind, cls):
                                hits.append(i)
                        except TypeError:
                            pass
                    by_type[kind] = hits
                for i in hits:
                    try:
                        due[i][1](obj)
                    except Exception:
                        pass
        except Exception as exc:
            self.report_error(f"instance scan failed: {exc}")

    def source_root(self) -> str | None:
        """Folder of the profile's `source_package` in this process, once it is imported."""
        package = self.probes_cfg.get("source_package")
        module = sys.modules.get(package) if isinstance(package, str) else None
        path = getattr(module, "__file__", None)
        if not path:
            return None
        return os.path.dirname(os.path.abspath(path))

    def approx_bytes(self) -> int:
        """A rough figure for the agent's own aggregates (the benchmark measures RSS)."""
        total = sys.getsizeof(self.buffer) + 600 * len(self.buffer)
        for probe in self.probes:
            for attr in ("stats", "buses", "pools", "queues", "lags", "slow"):
                value = getattr(probe, attr, None)
                if value is not None:
                    total += sys.getsizeof(value)
        return total
