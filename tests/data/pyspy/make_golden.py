"""Regenerate the golden py-spy files from real py-spy runs (run by hand, not by tests).

    python tests/data/pyspy/make_golden.py

Samples blocking_loop_target.py with `py-spy record --format chrometrace --threads --idle
--nonblocking --full-filenames` and rewrites machine paths so the files are portable: the
target's directory becomes /project and the interpreter's stdlib directory /stdlib.
"""

from __future__ import annotations

import json
import subprocess
import sys
import sysconfig
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
PY_SPY = Path(sys.executable).with_name("py-spy")


def _record(name: str, seconds: int, extra: list[str]) -> None:
    target = subprocess.Popen(
        [sys.executable, str(HERE / "blocking_loop_target.py"), str(seconds + 3)],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert target.stdout is not None
    target.stdout.readline()
    time.sleep(0.3)
    out = HERE / name
    subprocess.run(
        [
            str(PY_SPY),
            "record",
            "--pid",
            str(target.pid),
            "--format",
            "chrometrace",
            "--output",
            str(out),
            "--duration",
            str(seconds),
            "--rate",
            "100",
            "--threads",
            "--idle",
            "--nonblocking",
            "--full-filenames",
            *extra,
        ],
        check=True,
        capture_output=True,
    )
    target.kill()
    target.wait()
    events = json.loads(out.read_text())
    stdlib = sysconfig.get_paths()["stdlib"]
    for event in events:
        filename = event["args"]["filename"]
        filename = filename.replace(str(HERE), "/project").replace(stdlib, "/stdlib")
        event["args"]["filename"] = filename
        event["name"] = (
            event["name"].replace(str(HERE), "/project").replace(sys.executable, "python")
        )
    out.write_text(json.dumps(events, indent=None) + "\n")


if __name__ == "__main__":
    _record("blocking_loop.chrometrace.json", 2, [])
    _record("subprocesses.chrometrace.json", 1, ["--subprocesses"])
