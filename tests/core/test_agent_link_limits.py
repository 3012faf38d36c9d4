"""Nobody in: the agent link's handshake is bounded in size, time, connections and agents.

The flood keeps the adversary's shape at a smaller scale: 8 parallel senders of 60 MB
without a newline, 50 slow senders of one byte per 0.8 s against a 1 s handshake deadline
(the adversary: one byte per 4 s against 5 s), while the real agent's transport streams.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import psutil

from inspector.agent.transport import Transport
from inspector.core.agent_link import AgentLink
from inspector.core.session import Session

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "flood-test-token"
DEADLINE_S = 1.0


def _big_sender(port: int, stop: threading.Event) -> None:
    chunk = b"x" * (1 << 20)
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
            for _ in range(60):
                if stop.is_set():
                    return
                sock.sendall(chunk)
    except OSError:
        pass  # dropped by the inspector: what we want


def _slow_sender(port: int, dropped_after: list[float]) -> None:
    began = time.monotonic()
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
            sock.settimeout(0.8)
            while time.monotonic() - began < 10:
                sock.sendall(b"{")
                try:
                    if sock.recv(1) == b"":
                        break
                except TimeoutError:
                    continue
    except OSError:
        pass
    dropped_after.append(time.monotonic() - began)


def test_a_flood_leaves_memory_flat_drops_slow_senders_and_spares_the_agent(tmp_path):
    server = subprocess.Popen(
        [
            sys.executable,
            str(ROOT / "tests" / "core" / "link_under_flood.py"),
            str(tmp_path / "flood.session"),
            str(DEADLINE_S),
            TOKEN,
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    try:
        assert server.stdout is not None and server.stdin is not None
        port = int(server.stdout.readline())
        proc = psutil.Process(server.pid)
        baseline = proc.memory_info().rss
        agent = Transport("127.0.0.1", port, TOKEN)
        agent.connect({"pid": os.getpid(), "argv": ["flood-test"]})
        stop = threading.Event()
        dropped_after: list[float] = []
        threads = [threading.Thread(target=_big_sender, args=(port, stop)) for _ in range(8)]
        threads += [
            threading.Thread(target=_slow_sender, args=(port, dropped_after)) for _ in range(50)
        ]
        for t in threads:
            t.start()
        peak, sent = baseline, 0
        while any(t.is_alive() for t in threads):
            batch = [{"t": time.time(), "kind": "bus", "n": sent + i} for i in range(10)]
            agent.send({"type": "records", "records": batch, "dropped": 0})
            sent += len(batch)
            peak = max(peak, proc.memory_info().rss)
            time.sleep(0.05)
        stop.set()
        for t in threads:
            t.join(15)
        time.sleep(0.3)
        agent.close()
        out, _ = server.communicate("", timeout=30)
    finally:
        if server.poll() is None:
            server.kill()
    received, rejected = map(int, out.split())
    assert (peak - baseline) < 50 * 1024 * 1024, f"grew {(peak - baseline) / 2**20:.0f} MB"
    assert len(dropped_after) == 50 and max(dropped_after) < DEADLINE_S + 1.0
    assert rejected == 58
    assert received == sent
    with Session.open(tmp_path / "flood.session", read_only=True) as session:
        assert [r["n"] for r in session.records("bus")] == list(range(sent))


def _welcomed(port: int, token: str, barrier: threading.Barrier, out: list[bool]) -> None:
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        hello = json.dumps({"v": 1, "type": "hello", "token": token}).encode() + b"\n"
        barrier.wait()
        sock.sendall(hello)
        sock.settimeout(3)
        try:
            out.append(sock.recv(100).startswith(b'{"v":1,"type":"welcome"}'))
        except OSError:
            out.append(False)


def test_two_clients_with_the_right_token_are_never_both_welcomed(tmp_path):
    session = Session.create(tmp_path / "race.session")
    both = 0
    for _ in range(200):
        link = AgentLink(session)
        _host, port = link.start()
        barrier = threading.Barrier(2)
        out: list[bool] = []
        racers = [
            threading.Thread(target=_welcomed, args=(port, link.token, barrier, out))
            for _ in range(2)
        ]
        for t in racers:
            t.start()
        for t in racers:
            t.join(10)
        both += out == [True, True]
        assert sorted(out) == [False, True]
        link.close()
    assert both == 0
    session.close()


def test_a_hello_longer_than_the_limit_is_dropped_without_waiting(tmp_path):
    link = AgentLink(Session.create(tmp_path / "long.session"))
    _host, port = link.start()
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        began = time.monotonic()
        try:
            sock.sendall(b"{" + b"x" * (64 * 1024))
            sock.settimeout(3)
            assert sock.recv(1) == b""
        except ConnectionResetError:
            pass
        assert time.monotonic() - began < 1.0
    assert link.rejected == 1 and not link.connected
    link.close()
