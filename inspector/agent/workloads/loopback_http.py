"""A tiny HTTP/1.1 service on 127.0.0.1 for the pools workload, and a keep-alive client.

The service answers every request with a short body after `service_ms`, serving at most
`capacity` requests at a time: a backend with finite capacity, so a pool sweep shows where
more connections stop buying throughput. It binds to the loopback address only and runs on
the target's own asyncio loop. Standard library only.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

BODY = b"ok"
MAX_HEADER_LINES = 100


class LoopbackHttpServer:
    """`async start()` -> URL; `async close()`; counts the requests it served."""

    def __init__(self, service_ms: float = 5.0, capacity: int = 4) -> None:
        self.service_s = max(0.0, service_ms / 1000.0)
        self.capacity = max(1, capacity)
        self.requests = 0
        self._server: asyncio.base_events.Server | None = None
        self._slots: asyncio.Semaphore | None = None
        self._writers: set[asyncio.StreamWriter] = set()
        self.url = ""

    async def start(self) -> str:
        self._slots = asyncio.Semaphore(self.capacity)
        self._server = await asyncio.start_server(self._serve, host="127.0.0.1", port=0)
        host, port = self._server.sockets[0].getsockname()[:2]
        self.url = f"http://{host}:{port}/"
        return self.url

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
            for writer in list(self._writers):
                writer.close()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._server.wait_closed(), 2.0)
            self._server = None

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._writers.add(writer)
        try:
            while True:
                request_line = await reader.readline()
                if not request_line:
                    return
                length, keep_alive = 0, True
                for _ in range(MAX_HEADER_LINES):
                    line = await reader.readline()
                    if line in (b"\r\n", b"\n", b""):
                        break
                    name, _, value = line.decode("latin-1").partition(":")
                    if name.strip().lower() == "content-length":
                        length = int(value.strip() or 0)
                    elif name.strip().lower() == "connection" and "close" in value.lower():
                        keep_alive = False
                if length:
                    await reader.readexactly(length)
                assert self._slots is not None
                async with self._slots:
                    await asyncio.sleep(self.service_s)
                self.requests += 1
                writer.write(
                    b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n"
                    b"Content-Length: %d\r\nConnection: %s\r\n\r\n%s"
                    % (len(BODY), b"keep-alive" if keep_alive else b"close", BODY)
                )
                await writer.drain()
                if not keep_alive:
                    return
        except (ConnectionError, asyncio.IncompleteReadError, ValueError):
            return
        finally:
            self._writers.discard(writer)
            writer.close()


class LoopbackHttpConnection:
    """One keep-alive connection to the loopback service; `execute` does one GET."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._reader = reader
        self._writer = writer
        self.closed = False

    @classmethod
    async def open(cls, url: str) -> LoopbackHttpConnection:
        hostport = url.split("//", 1)[1].split("/", 1)[0]
        host, _, port = hostport.partition(":")
        reader, writer = await asyncio.open_connection(host, int(port))
        return cls(reader, writer)

    async def execute(self, query: str = "") -> bytes:
        self._writer.write(b"GET /q HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: keep-alive\r\n\r\n")
        await self._writer.drain()
        status = await self._reader.readline()
        if not status.startswith(b"HTTP/1.1 200"):
            raise ConnectionError(f"loopback service answered {status!r}")
        length = 0
        while True:
            line = await self._reader.readline()
            if line in (b"\r\n", b"\n", b""):
                break
            if line.lower().startswith(b"content-length:"):
                length = int(line.split(b":", 1)[1])
        return await self._reader.readexactly(length)

    async def ping(self) -> bool:
        return not self.closed

    async def close(self) -> Any:
        if not self.closed:
            self.closed = True
            self._writer.close()
