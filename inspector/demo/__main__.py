"""`python -m inspector.demo [--duration S] [--no-workload] [--nodes N]`.

Prints `demo pid=<PID> ready` on stdout once the window is up and the loop runs; quits by
itself after `--duration` seconds (0 = run until the window is closed).
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m inspector.demo", description=__doc__)
    parser.add_argument("--duration", type=float, default=0.0, help="quit after S seconds")
    parser.add_argument("--no-workload", action="store_true", help="stay idle (loop still runs)")
    parser.add_argument("--nodes", type=int, default=12, help="nodes on the canvas at start")
    args = parser.parse_args(argv)
    if args.duration < 0 or args.nodes < 0:
        parser.error("--duration and --nodes must not be negative")
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")

    from inspector.demo.app import DemoApp, log_planted_faults, print_ready

    log_planted_faults()
    demo = DemoApp(nodes=args.nodes, workload=not args.no_workload)
    return demo.run(args.duration, on_ready=print_ready)


if __name__ == "__main__":
    sys.exit(main())
