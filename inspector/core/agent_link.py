"""The inspector's end of the agent link: a loopback TCP server that authenticates one agent.

The agent connects out to us (we listen on 127.0.0.1 only, on a port the OS picks), sends a
hello carrying the random token it was handed at injection, and from then on sends batches of
records as JSON lines. Each batch is appended to the Session in one commit, so whatever
arrived survives either side dying. A connection that sends garbage, the wrong token, or
nothing within the handshake timeout is closed and counted; it never reaches the session.

Protocol version 1, one JSON object per line, every message with "v" and "type":
  agent -> inspector  hello {token, pid, python, executable, argv, cwd, platform, agent}
                      records {records: [...], dropped}   reply {id, ok, detail}   bye {reason}
  inspector -> agent  welcome   detach   tracemalloc {action: start|snapshot}
                      command {id, cmd: "workload", name, params}
"""

from __future__ import annotations

import hmac
import itertools
import json
import secrets
import socket
import threading
from collections.abc import Callable
from typing import Any

from inspector.core.session import Session

PROTOCOL_VERSION = 1
HANDSHAKE_TIMEOUT_S = 5.0
MAX_LINE = 64 * 1024 * 1024  # one records batch; anything longer is not our agent


class AgentLinkError(Exception):
    """The link could not be set up; the message is one line."""


class AgentLink:
    """Listens on loopback for one authenticated agent and records what it sends."""

    def __init__(
        self,
        session: Session | None,
        token: str | None = None,
        on_records: Callable[[list[dict[str, Any]]], None] | None = None,
    ) -> None:
        self.session = session
        self.token = token or secrets.token_urlsafe(32)
        self.on_records = on_records
        self.host = "127.0.0.1"
        self.port = 0
        self.hello: dict[str, Any] | None = None
        self.rejected = 0
        self.received = 0
        self.dropped_by_agent = 0
        self.replies: dict[Any, dict[str, Any]] = {}
        self._server: socket.socket | None = None
        self._conn: socket.socket | None = None
        self._send_lock = threading.Lock()
        self._connected = threading.Event()
        self._disconnected = threading.Event()
        self._closing = threading.Event()
        self._ids = itertools.count(1)
        self._reply_cond = threading.Condition()
        self.bye_reason: str | None = None

    # -- life cycle --------------------------------------------------------------------------
    def start(self) -> tuple[str, int]:
        """Open the loopback server; returns (host, port) to hand to the agent."""
        try:
            server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            server.bind((self.host, 0))
            server.listen(4)
        except OSError as exc:
            raise AgentLinkError(f"cannot open a loopback port for the agent: {exc}") from exc
        self._server = server
        self.port = server.getsockname()[1]
        threading.Thread(target=self._accept_loop, name="agent-link-accept", daemon=True).start()
        return self.host, self.port

    @property
    def connected(self) -> bool:
        return self._connected.is_set() and not self._disconnected.is_set()

    @property
    def disconnected(self) -> bool:
        """True once an agent had connected and its link has since closed."""
        return self._disconnected.is_set()

    def wait_connected(self, timeout: float) -> bool:
        return self._connected.wait(timeout)

    def wait_disconnected(self, timeout: float | None = None) -> bool:
        return self._disconnected.wait(timeout)

    def close(self) -> None:
        """Stop listening and drop the agent's link (the agent then detaches by itself)."""
        self._closing.set()
        for sock in (self._server, self._conn):
            if sock is not None:
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
                sock.close()
        self._server = None

    # -- commands ----------------------------------------------------------------------------
    def send_command(self, command: dict[str, Any]) -> int:
        """Send one command to the agent; returns its id (replies land in `replies`)."""
        conn = self._conn
        if conn is None or not self.connected:
            raise AgentLinkError("no agent is connected")
        message = dict(command)
        message.setdefault("id", next(self._ids))
        message.setdefault("v", PROTOCOL_VERSION)
        data = (json.dumps(message) + "\n").encode("utf-8")
        with self._send_lock:
            try:
                conn.sendall(data)
            except OSError as exc:
                raise AgentLinkError(f"cannot reach the agent: {exc}") from exc
        return int(message["id"])

    def detach(self) -> None:
        """Ask the agent to unhook and disconnect."""
        if self.connected:
            try:
                self.send_command({"type": "detach"})
            except AgentLinkError:
                pass

    # -- server side -------------------------------------------------------------------------
    def _accept_loop(self) -> None:
        server = self._server
        while server is not None and not self._closing.is_set():
            try:
                conn, _peer = server.accept()
            except OSError:
                return
            threading.Thread(
                target=self._serve, args=(conn,), name="agent-link-conn", daemon=True
            ).start()

    def _serve(self, conn: socket.socket) -> None:
        reader = _LineReader(conn)
        try:
            conn.settimeout(HANDSHAKE_TIMEOUT_S)
            hello = reader.read_message()
            if (
                hello is None
                or hello.get("type") != "hello"
                or not isinstance(hello.get("token"), str)
                or not hmac.compare_digest(hello["token"].encode(), self.token.encode())
                or self._connected.is_set()  # one agent per link
            ):
                self.rejected += 1
                conn.close()
                return
            conn.settimeout(None)
            conn.sendall(b'{"v":1,"type":"welcome"}\n')
        except (OSError, ValueError):
            self.rejected += 1
            conn.close()
            return
        hello = {k: v for k, v in hello.items() if k != "token"}
        self.hello = hello
        self._conn = conn
        self._connected.set()
        try:
            while True:
                message = reader.read_message()
                if message is None:
                    break
                self._dispatch(message)
        except (OSError, ValueError):
            pass
        finally:
            self._disconnected.set()
            with self._reply_cond:
                self._reply_cond.notify_all()
            try:
                conn.close()
            except OSError:
                pass

    def _dispatch(self, message: dict[str, Any]) -> None:
        kind = message.get("type")
        if kind == "records":
            records = [r for r in message.get("records", []) if isinstance(r, dict)]
            self.dropped_by_agent = int(message.get("dropped", 0) or 0)
            self.received += len(records)
            if self.session is not None and records:
                self.session.append(records)
            if self.on_records is not None and records:
                try:
                    self.on_records(records)
                except Exception:
                    pass  # a live view failing never loses the recording
        elif kind == "reply":
            with self._reply_cond:
                self.replies[message.get("id")] = message
                self._reply_cond.notify_all()
        elif kind == "bye":
            self.bye_reason = str(message.get("reason", ""))


class _LineReader:
    """Reads JSON lines from a socket; None at EOF, ValueError on anything that is not JSON."""

    def __init__(self, conn: socket.socket) -> None:
        self.conn = conn
        self.buffer = b""

    def read_message(self) -> dict[str, Any] | None:
        while b"\n" not in self.buffer:
            chunk = self.conn.recv(1 << 16)
            if not chunk:
                return None
            self.buffer += chunk
            if len(self.buffer) > MAX_LINE:
                raise ValueError("line too long")
        line, self.buffer = self.buffer.split(b"\n", 1)
        message = json.loads(line)
        if not isinstance(message, dict):
            raise ValueError("not a JSON object")
        return message
