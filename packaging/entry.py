"""Bundle entry point: the same CLI as `casare-inspector`.

A frozen executable cannot be run with `-m inspector.demo`, and the interpreter it embeds
does not import the agent's `sitecustomize` preload. So the bundle has one hidden first
argument: `casare-inspector _demo [demo args]` runs the demo target, starting the agent
first when a launcher left its config in the environment (what the preload does for a
plain Python). `inspector.live.engine.demo_command` uses it when frozen.
"""

import os
import sys

DEMO_ARG = "_demo"


def _run_demo(argv: list[str]) -> int:
    if os.environ.get("CASARE_INSPECTOR_AGENT_CONFIG"):
        try:
            from inspector.agent import bootstrap

            bootstrap.start_from_env()
        except Exception as exc:
            print(f"casare-inspector agent: not started: {exc}", file=sys.stderr)
    from inspector.demo.__main__ import main as demo_main

    return demo_main(argv)


if __name__ == "__main__":
    if sys.argv[1:2] == [DEMO_ARG]:
        sys.exit(_run_demo(sys.argv[2:]))
    from inspector.cli import main

    sys.exit(main())
