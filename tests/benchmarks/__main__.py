"""`python -m tests.benchmarks [NAME ...]` (or `./run bench`): run benchmarks on demand."""

from __future__ import annotations

import importlib
import pkgutil
import sys
import traceback

from tests.benchmarks import harness


def main(names: list[str]) -> int:
    import tests.benchmarks as pkg

    modules = [m.name for m in pkgutil.iter_modules(pkg.__path__) if m.name.startswith("bench_")]
    chosen = [m for m in modules if not names or any(n in m for n in names)]
    if not chosen:
        print(f"no benchmark matches {names}; have: {', '.join(modules)}")
        return 2
    failed = 0
    for name in chosen:
        print(f"== {name}", flush=True)
        report = harness.Report(name.removeprefix("bench_"))
        try:
            importlib.import_module(f"tests.benchmarks.{name}").run(report)
        except Exception:
            traceback.print_exc()
            failed += 1
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
