"""The cyclic garbage collector runs on the GUI thread only, never on a worker thread.

A cycle holding a Qt widget collected on a worker thread runs the widget's C++ destructor
there: it takes Qt's connection lock and then waits for the GIL, while the GUI thread holds
the GIL and waits for that lock. The window froze for good in a test run that way.
"""

from __future__ import annotations

import gc
import threading


def test_collections_run_on_the_gui_thread_only(qtbot) -> None:
    from inspector.gui import app as gui_app

    gui_app.make_app()
    threads: list[str] = []

    def record(phase: str, info: dict) -> None:
        if phase == "start":
            threads.append(threading.current_thread().name)

    def allocate() -> None:  # container churn that triggers collections where gc is on
        for _ in range(20):
            _ = [[] for _ in range(20_000)]

    gc.callbacks.append(record)
    try:
        worker = threading.Thread(target=allocate, name="worker")
        worker.start()
        worker.join()
        assert "worker" not in threads
        assert gui_app._collector is not None and gui_app._collector.timer.isActive()
        pending = [[] for _ in range(gui_app._collector.threshold[0] + 100)]  # due for gen 0
        gui_app._collector.check()  # what its timer runs on the GUI thread
        del pending
        assert threads and set(threads) == {threading.main_thread().name}
    finally:
        gc.callbacks.remove(record)
