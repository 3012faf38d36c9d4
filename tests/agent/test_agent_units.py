"""The agent's pieces in-process: handler wrapping, patching, late imports, transport rules."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from inspector.agent.hooks import ClassWatcher, Patcher, describe_callable
from inspector.agent.probes.bus import BusStats, TimedHandler
from inspector.agent.stats import MAX_DURATIONS, DurationSample
from inspector.agent.transport import Transport, TransportError, is_loopback
from inspector.attach import AttachError, attach_pid, inspect_target
from inspector.attach.agent_config import load_profile_tables
from inspector.core.agent_link import AgentLink


def handler(event: object) -> None:
    if event == "bad":
        raise ValueError("bad event")


def test_timed_handler_counts_raises_and_behaves_like_the_handler() -> None:
    stats = BusStats("b", {})
    stats.current = "tick"
    wrapped = TimedHandler(handler, stats)
    handlers = [wrapped]
    assert handler in handlers and wrapped == handler and hash(wrapped) == hash(handler)
    wrapped("ok")
    with pytest.raises(ValueError, match="bad event"):
        wrapped("bad")
    sample = wrapped.by_type["tick"]
    assert sample.count == 2 and sample.errors == 1 and len(sample.samples) == 2
    handlers.remove(handler)  # what a bus's unsubscribe does
    assert handlers == []
    assert describe_callable(wrapped)[0].endswith("test_agent_units.handler")


def test_duration_sample_stays_bounded() -> None:
    sample = DurationSample()
    for i in range(100_000):
        sample.add(float(i))
    assert sample.count == 100_000 and len(sample.samples) == MAX_DURATIONS
    assert sample.max_ms == 99_999.0 and max(sample.samples) > 90_000  # spread to the end


def test_patcher_restores_own_and_inherited_attributes() -> None:
    class Base:
        def run(self) -> str:
            return "base"

    class Child(Base):
        def own(self) -> str:
            return "own"

    patcher = Patcher()
    patcher.patch(Child, "run", lambda self: "patched")
    patcher.patch(Child, "own", lambda self: "patched")
    assert Child().run() == Child().own() == "patched"
    assert patcher.restore_all() == []
    assert Child().run() == "base" and Child().own() == "own"
    assert "run" not in Child.__dict__  # inherited again, not copied down


def test_class_imported_after_the_watch_is_hooked(tmp_path: Path) -> None:
    (tmp_path / "late_module_for_agent_test.py").write_text(
        "class LateBus:\n    def publish(self, e):\n        return e\n", encoding="utf-8"
    )
    seen: list[type] = []
    watcher = ClassWatcher()
    sys.path.insert(0, str(tmp_path))
    try:
        assert not watcher.watch("late_module_for_agent_test:LateBus", seen.append)
        assert seen == []
        import late_module_for_agent_test  # noqa: F401  (the import under test)

        assert [c.__name__ for c in seen] == ["LateBus"]
    finally:
        watcher.close()
        sys.path.remove(str(tmp_path))
        sys.modules.pop("late_module_for_agent_test", None)
    assert not any(type(f).__name__ == "_WatchFinder" for f in sys.meta_path)


def test_transport_refuses_non_loopback_addresses() -> None:
    assert is_loopback("127.0.0.1") and is_loopback("::1") and is_loopback("localhost")
    assert not is_loopback("0.0.0.0") and not is_loopback("192.168.1.10")
    with pytest.raises(TransportError, match="non-loopback"):
        Transport("10.0.0.1", 1234, "token")


def test_agent_link_listens_on_loopback_only() -> None:
    link = AgentLink(None)
    host, port = link.start()
    try:
        assert host == "127.0.0.1" and port > 0
    finally:
        link.close()


def test_profiles_declare_probes() -> None:
    name, probes, _ = load_profile_tables("casare_rpa")
    assert name == "casare_rpa"
    buses = {b["class"] for b in probes["bus"]}
    assert "casare_rpa.domain.events:EventBus" in buses and len(probes["pool"]) == 3
    with pytest.raises(AttachError, match="no profile"):
        load_profile_tables("no-such-profile")


def test_attach_errors_are_one_clear_line() -> None:
    link = AgentLink(None)
    link.start()
    try:
        with pytest.raises(AttachError, match="no such process"):
            attach_pid(2**22 + 12345, "generic", link)
        sleeper = subprocess.Popen(["sleep", "30"])
        try:
            with pytest.raises(AttachError, match="not a Python process"):
                inspect_target(sleeper.pid)
        finally:
            sleeper.kill()
            sleeper.wait()
    finally:
        link.close()


def _gdb_can_call_functions() -> bool:
    """gdb's inferior calls fail on some kernels/CPUs (extended register state)."""
    import shutil

    if shutil.which("gdb") is None or not sys.platform.startswith("linux"):
        return False
    probe = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(20)"])
    try:
        out = subprocess.run(
            ["gdb", "-nx", "-batch", "-p", str(probe.pid), "-ex", "call (int)getpid()"],
            capture_output=True,
            text=True,
            timeout=30,
        )
        return f"= {probe.pid}" in out.stdout
    finally:
        probe.kill()
        probe.wait()


@pytest.mark.skipif(not _gdb_can_call_functions(), reason="gdb cannot call into processes here")
def test_gdb_injection_runs_the_bootstrap(tmp_path: Path) -> None:
    from inspector.attach.inject import _inject_gdb

    marker = tmp_path / "marker.txt"
    script = tmp_path / "bootstrap.py"
    script.write_text(f"open({str(marker)!r}, 'w').write('ran')\n", encoding="utf-8")
    target = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        _inject_gdb(inspect_target(target.pid), script)
        assert marker.read_text() == "ran"
        assert target.poll() is None
    finally:
        target.kill()
        target.wait()


def test_bootstrap_runner_is_one_line_of_valid_python(tmp_path: Path) -> None:
    from inspector.attach.inject import bootstrap_runner, gdb_commands

    script = tmp_path / 'we\'ird "name".py'
    line = bootstrap_runner(script)
    compile(line, "<runner>", "exec")
    assert "\n" not in line
    call = next(c for c in gdb_commands(script) if "PyRun_SimpleStringFlags" in c)
    assert call.endswith(", 0)") and textwrap.dedent(call) == call


def test_new_instances_are_found_and_construction_is_restored_exactly() -> None:
    from inspector.agent.runtime import Agent

    class WithInit:
        def __init__(self, x: int) -> None:
            self.x = x

    class OnlyNew:
        def __new__(cls, x: int) -> OnlyNew:
            return super().__new__(cls)

    original_init = WithInit.__init__
    agent = Agent({"probes": {}})
    seen: list[object] = []
    agent.find_instances(WithInit, seen.append)
    agent.find_instances(OnlyNew, seen.append)
    made = WithInit(1)
    OnlyNew(2)  # still accepts its argument: object.__init__ was left alone
    assert seen == [made] and made.x == 1
    assert agent.patcher.restore_all() == []
    assert WithInit.__init__ is original_init


class _LeakyPool:
    async def acquire(self) -> object:
        return object()

    async def release(self, conn: object) -> None:
        pass


def test_a_pooled_object_held_too_long_is_a_leak_suspect_with_its_stack(tmp_path: Path) -> None:
    import asyncio
    import time

    from inspector.agent.runtime import Agent
    from inspector.core.session import Session

    session = Session.create(tmp_path / "leak.session")
    link = AgentLink(session)
    host, port = link.start()
    agent = Agent(
        {
            "host": host,
            "port": port,
            "token": link.token,
            "mode": "attach",
            "probes": {
                "pool": [{"class": f"{__name__}:_LeakyPool", "stats": ""}],
                "leak_s": 0.3,
                "repaint": {"enabled": False},
            },
        }
    )
    agent.start()
    assert link.wait_connected(5)
    held: list[object] = []

    async def forgetful_caller() -> None:
        held.append(await _LeakyPool().acquire())

    deadline = time.monotonic() + 5
    while not _LeakyPool.acquire.__dict__.get("__wrapped__") and time.monotonic() < deadline:
        time.sleep(0.05)
    asyncio.run(forgetful_caller())
    deadline = time.monotonic() + 5
    while not session.records("pool_leak") and time.monotonic() < deadline:
        time.sleep(0.05)
    agent.detach()
    assert agent.wait_detached(5)
    link.close()
    leak = session.records("pool_leak")[0]
    assert leak["held_s"] >= 0.3 and "forgetful_caller" in leak["stack"][-1]
    assert not hasattr(_LeakyPool.acquire, "__wrapped__")  # restored on detach


def test_a_command_right_behind_the_welcome_is_not_lost() -> None:
    import socket
    import threading

    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)

    def inspector() -> None:
        conn, _ = server.accept()
        conn.recv(65536)  # the hello
        conn.sendall(b'{"v":1,"type":"welcome"}\n{"v":1,"type":"detach","id":1}\n')
        conn.close()

    threading.Thread(target=inspector, daemon=True).start()
    transport = Transport("127.0.0.1", server.getsockname()[1], "token")
    assert transport.connect({"pid": 1})["type"] == "welcome"
    received: list[dict] = []
    transport.read_forever(received.append)
    server.close()
    assert received == [{"v": 1, "type": "detach", "id": 1}]


def test_agent_thread_work_never_starts_a_collection() -> None:
    """Its bursts of allocation hold automatic collection off; the target's state is kept."""
    import gc
    import threading

    from inspector.agent.runtime import collections_elsewhere

    started: list[str] = []

    def record(phase: str, info: dict) -> None:
        if phase == "start":
            started.append(threading.current_thread().name)

    def agent_like_work() -> None:
        # like Agent.flush: build a burst of records, encode them, drop them in the block
        with collections_elsewhere():
            for _ in range(20):
                records = [{"kind": "bus", "n": [i]} for i in range(5_000)]
                encoded = repr(records).encode()
                del records
            del encoded

    was_enabled = gc.isenabled()
    gc.enable()
    gc.callbacks.append(record)
    try:
        worker = threading.Thread(target=agent_like_work, name="agent-like")
        worker.start()
        worker.join()
        assert "agent-like" not in started
        assert gc.isenabled()  # restored for the target
        gc.disable()  # a target that turned collection off keeps it off
        worker = threading.Thread(target=agent_like_work)
        worker.start()
        worker.join()
        assert not gc.isenabled()
    finally:
        gc.callbacks.remove(record)
        (gc.enable if was_enabled else gc.disable)()


class _LateHookedBus:
    def __init__(self) -> None:
        self._handlers: dict[str, list] = {}

    def subscribe(self, event_type: str, handler: object) -> None:
        self._handlers.setdefault(event_type, []).append(handler)

    def publish(self, event: object) -> None:
        for h in list(self._handlers.get("tick", [])):
            h(event)


def test_a_bus_built_before_its_class_was_hooked_is_adopted_on_first_publish() -> None:
    """Launch mode can hook a bus class after the app built its bus in a local, where no
    module-global scan finds it: its first publish must still time the handlers it holds."""
    from inspector.agent.probes.bus import BusProbe
    from inspector.agent.runtime import Agent

    def on_tick(event: object) -> None:
        pass

    bus = _LateHookedBus()  # held only here, like `bus = Bus()` inside the app's main()
    bus.subscribe("tick", on_tick)
    agent = Agent({"probes": {"bus": [{"class": f"{__name__}:_LateHookedBus"}]}})
    probe = agent.probe("bus")
    assert isinstance(probe, BusProbe)
    probe.install()  # resolves now, after the bus exists, outside attach mode's gc pass
    try:
        assert not isinstance(bus._handlers["tick"][0], TimedHandler)
        bus.publish("e")
        assert isinstance(bus._handlers["tick"][0], TimedHandler)
        assert [h.handler for h in probe.buses[0].touched] == [on_tick]
        assert bus in probe.buses[0].instances
    finally:
        probe.uninstall()
        agent.patcher.restore_all()
    assert bus._handlers["tick"] == [on_tick]


def test_instance_set_forgets_the_dead_so_a_reused_address_is_new() -> None:
    import gc

    from inspector.agent.probes import InstanceSet

    class Thing:
        pass

    seen = InstanceSet()
    first = Thing()
    seen.add(first)
    assert first in seen and len(seen) == 1
    del first
    gc.collect()
    assert len(seen) == 0 and list(seen) == []
    later = Thing()
    seen.add(later)
    assert later in seen and list(seen) == [later]
