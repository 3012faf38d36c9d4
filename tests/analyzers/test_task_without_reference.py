"""CIA202: which discarded tasks are reported, and how severe each is."""

from __future__ import annotations

import textwrap

from analyzers.context import FileContext
from analyzers.engine import analyze_source
from analyzers.project import summarize_source
from analyzers.rules.a2_task_without_reference import TaskWithoutReference


def _found(code: str) -> list[tuple[int, str, int]]:
    findings = analyze_source(
        textwrap.dedent(code), FileContext(relpath="tasks.py"), [TaskWithoutReference]
    )
    return [(f.line, f.severity.value, f.priority.score) for f in findings]


def test_a_task_per_event_whose_errors_escape_is_medium():
    assert _found(
        """\
        import asyncio
        class Scheduler:
            def release_dependents(self, job_id):
                for schedule in self._dependents[job_id]:
                    asyncio.create_task(self._run(schedule))
            async def _run(self, schedule):
                await schedule.execute()
        """
    ) == [(5, "MEDIUM", 41)]


def test_a_hook_handed_out_per_node_is_medium_but_a_helper_called_inline_is_not():
    code = """\
        import asyncio
        class Runner:
            def install(self, engine):
                def after_node(node_id):
                    asyncio.create_task(self._save(node_id))
                engine.hooks.append(after_node)
            def show(self, page):
                def render(page):
                    asyncio.create_task(self._save(page))
                render(page)
            async def _save(self, key):
                await self.store.write(key)
        """
    assert _found(code) == [(5, "MEDIUM", 41), (9, "LOW", 26)]


def test_one_off_tasks_and_self_logging_coroutines_are_low():
    assert _found(
        """\
        import asyncio
        class Dialog:
            def start_login(self):
                asyncio.create_task(self.login())
            def on_message(self, msg):
                asyncio.create_task(self._deliver(msg))
            async def login(self):
                await self.client.login()
            async def _deliver(self, msg):
                logger.debug("delivering")
                try:
                    await self.peer.send(msg)
                except Exception:
                    logger.exception("delivery failed")
        """
    ) == [(4, "LOW", 26), (6, "LOW", 26)]


def test_a_qt_slot_is_once_per_user_action():
    assert _found(
        """\
        import asyncio
        from PySide6.QtWidgets import QDialog
        class Picker(QDialog):
            def __init__(self):
                self.button.clicked.connect(self._on_pick)
            def _on_pick(self):
                asyncio.ensure_future(self.pick())
            async def pick(self):
                await self.page.pick()
        class Coordinator:
            @Slot()
            def on_run(self):
                asyncio.create_task(self.runner.run())
        """
    ) == [(7, "LOW", 26), (13, "LOW", 26)]


def test_tasks_owned_by_a_group_are_not_reported():
    assert (
        _found(
            """\
            import asyncio
            class Link:
                async def __aenter__(self):
                    asyncio.create_task(self.main_loop())
                async def main_loop(self):
                    try:
                        async with self.taskgroup as group:
                            await group.spawn(self.read())
                    except Exception:
                        self.logger.exception("died")
                async def stop(self):
                    await self.taskgroup.cancel_remaining()
            async def refresh(feeds):
                async with asyncio.TaskGroup() as tg:
                    for feed in feeds:
                        tg.create_task(feed.refresh())
            """
        )
        == []
    )


def test_a_logging_coroutine_without_a_cancelling_owner_is_still_reported():
    # Same coroutine shape, but nothing cancels the group: the task can still outlive stop().
    assert _found(
        """\
        import asyncio
        class Link:
            async def __aenter__(self):
                asyncio.create_task(self.main_loop())
            async def main_loop(self):
                try:
                    async with self.taskgroup as group:
                        await group.spawn(self.read())
                except Exception:
                    self.logger.exception("died")
        """
    ) == [(4, "LOW", 26)]


def test_the_summary_records_how_a_function_handles_its_own_exceptions():
    summary = summarize_source(
        textwrap.dedent(
            """\
            @log_exceptions
            async def decorated():
                await work()
            async def supervised():
                log.info("start")
                while True:
                    try:
                        await work()
                    except Exception:
                        log.exception("retry")
            async def narrow():
                try:
                    await work()
                except ValueError:
                    pass
            async def reraises():
                try:
                    await work()
                except Exception:
                    log.exception("x")
                    raise
            async def outside():
                await prepare()
                try:
                    await work()
                except:
                    pass
            """
        ),
        "m.py",
    )
    assert {f.name: f.catches_all for f in summary.functions} == {
        "decorated": "`@log_exceptions`",
        "supervised": "a broad `except`",
        "narrow": "",
        "reraises": "",
        "outside": "",
    }


def test_a_shutdown_task_from_a_callback_is_low():
    code = """\
        import asyncio
        def install(window):
            def on_close(event):
                asyncio.create_task(perform_graceful_shutdown(window))
            window.closeEvent = on_close
        """
    assert _found(code) == [(4, "LOW", 26)]
    assert _found(code.replace("perform_graceful_shutdown", "save_layout")) == [(4, "MEDIUM", 41)]
