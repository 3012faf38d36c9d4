"""The inspector's end of the agent link: a loopback TCP server that authenticates one agent.

The agent connects out to us (we listen on 127.0.0.1 only, on a port the OS picks), sends a
hello carrying the random token it was handed at injection, and from then on sends batches of
records as JSON lines. Each batch is appended to the Session in one commit, so whatever
arrived survives either side dying. A connection that sends garbage, the wrong token, or
nothing within the handshake timeout is closed and counted; it never reaches the session.

Limits, so that nobody who can reach the loopback port can hurt the inspector (README
"Reliability"): handshakes are read by one thread with a selector, never a thread per
connection; a hello is at most MAX_HELLO bytes and the whole handshake has one deadline
(HANDSHAKE_TIMEOUT_S, not per read); at most MAX_PENDING handshakes are held at once and the
oldest is dropped for a newcomer, so slow senders cannot keep the real agent out; the
authenticated agent's lines are buffered linearly; "one agent at a time" is decided under a
lock, so two clients with the right token are never both welcomed.

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
import selectors
import socket
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from inspector.core.session import Session

PROTOCOL_VERSION = 1
HANDSHAKE_TIMEOUT_S = 5.0  # for the whole handshake, however the bytes trickle in
MAX_HELLO = 32 * 1024  # the agent's hello is < 2 KB (argv is capped at 20 entries)
MAX_PENDING = 64  # handshakes in progress; a newcomer drops the oldest
MAX_LINE = 64 * 1024 * 1024  # one records batch from the authenticated agent
_RECV = 1 << 16


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
        self._agent_lock = threading.Lock()
        self._claimed = False
        self.bye_reason: str | None = None

    # -- life cycle --------------------------------------------------------------------------
    def start(self) -> tuple[str, int]:
        """Open the loopback server; returns (host, port) to hand to the agent."""
        try:
            server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            server.bind((self.host, 0))
            server.listen(MAX_PENDING)
            server.setblocking(False)
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
        """Accept connections and read their handshakes, all on this one thread."""
        server = self._server
        if server is None:
            return
        selector = selectors.DefaultSelector()
        try:
            selector.register(server, selectors.EVENT_READ, None)
        except (OSError, ValueError):  # closed before this thread got to run
            selector.close()
            return
        pending: OrderedDict[socket.socket, _Handshake] = OrderedDict()
        try:
            while not self._closing.is_set():
                now = time.monotonic()
                for conn in [c for c, h in pending.items() if h.deadline <= now]:
                    self._reject(selector, pending, conn)  # one deadline for the handshake
                wait = min((h.deadline for h in pending.values()), default=now + 0.5) - now
                try:
                    events = selector.select(max(0.0, min(wait, 0.5)))
                except (OSError, ValueError):
                    return  # the server socket was closed
                for key, _mask in events:
                    if key.data is None:
                        if not self._accept(server, selector, pending):
                            return
                    else:
                        self._read_handshake(key.fileobj, selector, pending)  # type: ignore[arg-type]
        finally:
            for conn in list(pending):
                self._reject(selector, pending, conn)
            selector.close()

    def _accept(
        self,
        server: socket.socket,
        selector: selectors.BaseSelector,
        pending: OrderedDict[socket.socket, _Handshake],
    ) -> bool:
        try:
            conn, _peer = server.accept()
        except BlockingIOError:
            return True
        except OSError:
            return not self._closing.is_set() and self._server is not None
        if len(pending) >= MAX_PENDING:
            # the oldest is the likeliest to be a slow sender: the real agent says hello at once
            self._reject(selector, pending, next(iter(pending)))
        conn.setblocking(False)
        pending[conn] = _Handshake(time.monotonic() + HANDSHAKE_TIMEOUT_S)
        selector.register(conn, selectors.EVENT_READ, True)
        return True

    def _reject(
        self,
        selector: selectors.BaseSelector,
        pending: OrderedDict[socket.socket, _Handshake],
        conn: socket.socket,
    ) -> None:
        pending.pop(conn, None)
        self.rejected += 1  # counted before the peer can see the close
        try:
            selector.unregister(conn)
        except (KeyError, ValueError):
            pass
        try:
            conn.close()
        except OSError:
            pass

    def _read_handshake(
        self,
        conn: socket.socket,
        selector: selectors.BaseSelector,
        pending: OrderedDict[socket.socket, _Handshake],
    ) -> None:
        shake = pending.get(conn)
        if shake is None:
            return
        try:
            chunk = conn.recv(MAX_HELLO + 1 - len(shake.buffer))
        except BlockingIOError:
            return
        except OSError:
            chunk = b""
        if not chunk:
            self._reject(selector, pending, conn)
            return
        shake.buffer += chunk
        end = shake.buffer.find(b"\n")
        if end < 0:
            if len(shake.buffer) > MAX_HELLO:
                self._reject(selector, pending, conn)  # no hello is this long
            return
        pending.pop(conn)
        selector.unregister(conn)
        hello = _parse(bytes(shake.buffer[:end]))
        if (
            hello is None
            or hello.get("type") != "hello"
            or not isinstance(hello.get("token"), str)
            or not hmac.compare_digest(hello["token"].encode(), self.token.encode())
            or not self._claim()
        ):
            pending[conn] = shake  # so that _reject counts and closes it in one place
            self._reject(selector, pending, conn)
            return
        try:
            conn.setblocking(True)
            conn.sendall(b'{"v":1,"type":"welcome"}\n')
        except OSError:
            self.rejected += 1
            conn.close()
            with self._agent_lock:
                self._claimed = False  # it never got in: the slot is free again
            return
        self.hello = {k: v for k, v in hello.items() if k != "token"}
        self._conn = conn
        self._connected.set()
        reader = _LineReader(conn, bytearray(shake.buffer[end + 1 :]))
        threading.Thread(
            target=self._serve, args=(conn, reader), name="agent-link-conn", daemon=True
        ).start()

    def _claim(self) -> bool:
        """Atomically take the one agent slot of this link; False if it is taken."""
        with self._agent_lock:
            if self._claimed:
                return False
            self._claimed = True
            return True

    def _serve(self, conn: socket.socket, reader: _LineReader) -> None:
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


class _Handshake:
    """A connection that has not said hello yet: its bytes so far and its one deadline."""

    __slots__ = ("buffer", "deadline")

    def __init__(self, deadline: float) -> None:
        self.deadline = deadline
        self.buffer = bytearray()


def _parse(line: bytes) -> dict[str, Any] | None:
    try:
        message = json.loads(line)
    except (ValueError, UnicodeDecodeError):
        return None
    return message if isinstance(message, dict) else None


class _LineReader:
    """Reads JSON lines from a socket; None at EOF, ValueError on anything that is not JSON.

    The buffer is a bytearray searched only where new bytes arrived, so a long line costs
    linear time, not the quadratic cost of concatenating and rescanning bytes.
    """

    def __init__(self, conn: socket.socket, buffer: bytearray | None = None) -> None:
        self.conn = conn
        self.buffer = buffer if buffer is not None else bytearray()
        self._scanned = 0

    def read_message(self) -> dict[str, Any] | None:
        while True:
            end = self.buffer.find(b"\n", self._scanned)
            if end >= 0:
                break
            self._scanned = len(self.buffer)
            if len(self.buffer) > MAX_LINE:
                raise ValueError("line too long")
            chunk = self.conn.recv(_RECV)
            if not chunk:
                return None
            self.buffer += chunk
        line = bytes(self.buffer[:end])
        del self.buffer[: end + 1]
        self._scanned = 0
        message = json.loads(line)
        if not isinstance(message, dict):
            raise ValueError("not a JSON object")
        return message
