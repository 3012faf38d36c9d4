"""Run an AgentLink in its own process for the flood test: prints its port, then waits.

argv: SESSION HANDSHAKE_TIMEOUT_S TOKEN. On stdin EOF it prints "received rejected" and exits.
"""

from __future__ import annotations

import sys

import inspector.core.agent_link as agent_link
from inspector.core.session import Session


def main() -> None:
    agent_link.HANDSHAKE_TIMEOUT_S = float(sys.argv[2])
    session = Session.create(sys.argv[1])
    link = agent_link.AgentLink(session, token=sys.argv[3])
    _host, port = link.start()
    print(port, flush=True)
    sys.stdin.read()
    print(link.received, link.rejected, flush=True)


if __name__ == "__main__":
    main()
