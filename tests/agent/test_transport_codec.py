"""The agent connects even when the "idna" codec cannot be looked up from its thread.

Seen in a launched demo under load: the preload starts the agent during the target's
start-up, and `socket.getaddrinfo` with a str host asks the codec registry for "idna",
which raised `LookupError: unknown encoding: idna` on the agent's thread; the agent never
connected. Here a fresh interpreter makes that lookup fail for good (`encodings.idna`
blocked before first use) and the transport must still connect and read the welcome.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

SCRIPT = textwrap.dedent(
    """
    import sys
    sys.modules["encodings.idna"] = None  # the codec lookup now fails as it did
    import socket, threading
    from inspector.agent.transport import Transport

    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)

    def welcome():
        conn, _ = server.accept()
        conn.recv(65536)
        conn.sendall(b'{"type": "welcome"}\\n')

    threading.Thread(target=welcome, daemon=True).start()
    try:
        "x".encode("idna")
    except LookupError:
        print("idna unavailable")
    reply = Transport("127.0.0.1", server.getsockname()[1], "t").connect({})
    print("connected", reply["type"])
    """
)


def test_the_transport_connects_without_the_idna_codec() -> None:
    proc = subprocess.run(
        [sys.executable, "-c", SCRIPT], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.split("\n")[:2] == ["idna unavailable", "connected welcome"]
