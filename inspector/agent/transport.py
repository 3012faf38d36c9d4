"""The agent's side of the link: one outgoing loopback TCP connection, JSON lines.

The agent never listens: it connects out to the inspector's loopback server, proves itself
with the token it was handed at injection, then sends batches of records and receives
commands. Every message is one JSON object per line carrying the protocol version `v`.
"""

from __future__ import annotations

import ipaddress
import json
import os
import socket
import sys
import threading
from collections.abc import Callable
from typing import Any

PROTOCOL_VERSION = 1
MAX_LINE = 1 << 20  # a command longer than this is garbage


class TransportError(Exception):
    """The link could not be opened or has failed; the message is one line."""


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class Transport:
    """A connected, authenticated link to the inspector."""

    def __init__(self, host: str, port: int, token: str) -> None:
        if not is_loopback(host):
            raise TransportError(f"refusing non-loopback inspector address {host!r}")
        self.host = host
        self.port = int(port)
        self.token = token
        self._sock: socket.socket | None = None
        self._send_lock = threading.Lock()
        self._leftover = b""  # bytes after the welcome line: commands sent right behind it
        self.closed = threading.Event()

    def connect(self, hello: dict[str, Any], timeout: float = 5.0) -> dict[str, Any]:
        """Connect, send hello with the token, wait for the inspector's welcome."""
        try:
            # The host as bytes: getaddrinfo encodes a str host with the "idna" codec, which
            # the codec registry imports on first use - and while the target is still
            # importing on its main thread (the preload starts us during start-up), that
            # lookup from this thread can fail with "unknown encoding: idna".
            host = self.host.encode("ascii")
            sock = socket.create_connection((host, self.port), timeout=timeout)
        except (OSError, UnicodeError) as exc:
            where = f"{self.host}:{self.port}"
            raise TransportError(f"cannot reach the inspector at {where}: {exc}") from exc
        try:
            sock.sendall(encode({**hello, "type": "hello", "token": self.token}))
            reply, self._leftover = _read_line(sock)
        except OSError as exc:
            sock.close()
            raise TransportError(f"handshake failed: {exc}") from exc
        if reply is None or reply.get("type") != "welcome":
            sock.close()
            raise TransportError("the inspector did not accept this agent")
        sock.settimeout(None)
        self._sock = sock
        return reply

    def send(self, message: dict[str, Any]) -> None:
        self.send_encoded(encode(message))

    def send_encoded(self, data: bytes) -> None:
        """Send one message already made by `encode`."""
        sock = self._sock
        if sock is None:
            raise TransportError("not connected")
        with self._send_lock:
            try:
                sock.sendall(data)
            except OSError as exc:
                self.close()
                raise TransportError(f"send failed: {exc}") from exc

    def read_forever(self, on_message: Callable[[dict[str, Any]], None]) -> None:
        """Deliver each incoming message until the inspector closes the link."""
        sock = self._sock
        if sock is None:
            return
        buffer, self._leftover = self._leftover, b""
        try:
            while True:
                while b"\n" in buffer:
                    line, buffer = buffer.split(b"\n", 1)
                    try:
                        message = json.loads(line)
                    except ValueError:
                        continue
                    if isinstance(message, dict):
                        on_message(message)
                chunk = sock.recv(65536)
                if not chunk:
                    break
                buffer += chunk
                if len(buffer) > MAX_LINE and b"\n" not in buffer:
                    break  # not our protocol
        except OSError:
            pass
        finally:
            self.close()

    def close(self) -> None:
        sock, self._sock = self._sock, None
        if sock is not None:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            sock.close()
        self.closed.set()


def encode(message: dict[str, Any]) -> bytes:
    message.setdefault("v", PROTOCOL_VERSION)
    return (json.dumps(message, separators=(",", ":"), default=str) + "\n").encode("utf-8")


def _read_line(sock: socket.socket) -> tuple[dict[str, Any] | None, bytes]:
    """The first JSON line, and whatever arrived after it (the inspector may send a command
    right behind its welcome, in the same segment)."""
    data = b""
    while b"\n" not in data:
        chunk = sock.recv(4096)
        if not chunk:
            return None, b""
        data += chunk
        if len(data) > MAX_LINE:
            return None, b""
    line, rest = data.split(b"\n", 1)
    try:
        message = json.loads(line)
    except ValueError:
        return None, b""
    return (message if isinstance(message, dict) else None), rest


def hello_fields() -> dict[str, Any]:
    return {
        "pid": os.getpid(),
        "python": ".".join(map(str, sys.version_info[:3])),
        "executable": sys.executable,
        "argv": list(sys.argv)[:20],
        "cwd": os.getcwd(),
        "platform": sys.platform,
    }
