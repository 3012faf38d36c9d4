"""run_in_background: answers on the GUI thread, and nothing kept once an answer is delivered."""

from __future__ import annotations

import gc
import threading
import weakref

from PySide6.QtCore import QThreadPool

from inspector.gui.background_task import BackgroundTask, run_in_background

TIMEOUT = 10_000


class _Answer:
    """Stands for a panel snapshot: something a finished task must not keep alive."""


def test_answer_and_progress_arrive_on_the_gui_thread(qtbot) -> None:
    gui_thread = threading.get_ident()
    seen: dict[str, object] = {}
    progress: list[tuple[int, int, bool]] = []

    def work(report) -> int:
        seen["worker"] = threading.get_ident()
        report(1, 2)
        report(2, 2)
        return 42

    run_in_background(
        work,
        lambda result: seen.update(result=result, done_on=threading.get_ident()),
        lambda message, details: seen.update(error=message),
        lambda done, total: progress.append((done, total, threading.get_ident() == gui_thread)),
    )
    qtbot.waitUntil(lambda: "result" in seen, timeout=TIMEOUT)
    assert seen["result"] == 42
    assert seen["worker"] != gui_thread
    assert seen["done_on"] == gui_thread
    assert progress == [(1, 2, True), (2, 2, True)]


def test_failure_is_one_line_with_the_traceback_as_details(qtbot) -> None:
    errors: list[tuple[str, str]] = []

    def work(_report) -> None:
        raise ValueError("session file is locked\nsecond line")

    run_in_background(work, lambda _r: None, lambda m, d: errors.append((m, d)))
    qtbot.waitUntil(lambda: bool(errors), timeout=TIMEOUT)
    message, details = errors[0]
    assert message == "session file is locked"
    assert "Traceback" in details and "ValueError" in details


def test_delivered_tasks_keep_neither_themselves_nor_their_answers(qtbot) -> None:
    # The window starts a task a second while it follows a live session; each used to stay
    # alive for good with its answer (a cycle through a Qt signal connection the collector
    # cannot see), which grew the inspector by 15 MB a minute under a heavy stream.
    answers: list[weakref.ref[_Answer]] = []
    tasks: list[weakref.ref[BackgroundTask]] = []
    delivered: list[int] = []

    def work(_report) -> _Answer:
        answer = _Answer()
        answers.append(weakref.ref(answer))
        return answer

    for _ in range(20):
        task = run_in_background(work, lambda _a: delivered.append(1), lambda m, d: None)
        tasks.append(weakref.ref(task))
    del task
    qtbot.waitUntil(lambda: len(delivered) == 20, timeout=TIMEOUT)
    QThreadPool.globalInstance().waitForDone(TIMEOUT)  # workers have let go of their tasks
    gc.collect()
    assert not BackgroundTask.running
    assert [t for t in tasks if t() is not None] == []
    assert len(answers) == 20
    assert [a for a in answers if a() is not None] == []
