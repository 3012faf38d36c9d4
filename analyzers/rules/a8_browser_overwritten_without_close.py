"""CIA804: a browser/context/page reference replaced without closing the previous one."""

from __future__ import annotations

import re

import libcst as cst

from analyzers.rule import Invalid, Rule, Valid
from analyzers.rules._shapes import body_nodes, call_name, dotted, source_of

_RESOURCE_ATTR = re.compile(r"^_?(browser|browser_context|playwright|driver)$")


class BrowserOverwrittenWithoutClose(Rule):
    """The old Chromium process keeps running, unreachable, until the app exits."""

    ID = "CIA804"
    AREA = 8
    TITLE = "Browser or context reference overwritten without closing the old one"
    RATIONALE = (
        "Assigning a new browser to `context.browser` (or a manager's `self.browser`) drops "
        "the only reference to the previous one without `close()`: its Chromium/Firefox "
        "process, contexts and pages keep running and holding memory (100+ MB each) until "
        "the process exits. A workflow that launches twice, or a loop around a launch "
        "node, leaks one browser per pass."
    )
    IMPACT = 7
    FREQUENCY = 4
    DIFFICULTY = 2
    RECOMMENDATION = (
        "Before replacing, close the previous instance (`if ctx.browser is not None: await "
        "ctx.browser.close()`), or reuse it when it is still connected "
        "(`browser.is_connected()`); in a setter, refuse or close on overwrite."
    )
    EXAMPLE_BEFORE = """\
browser = await playwright.chromium.launch(**options)
context.browser = browser
"""
    EXAMPLE_AFTER = """\
if context.browser is not None and context.browser.is_connected():
    await context.browser.close()
context.browser = await playwright.chromium.launch(**options)
"""
    TAGS = ("leak", "browser")
    TRIGGERS = ("browser", "playwright", "driver")
    VALID = (
        Valid(
            """\
            async def launch(self, context):
                if context.browser is not None:
                    await context.browser.close()
                context.browser = await self._pw.chromium.launch()
            """
        ),
        Valid(
            """\
            async def cleanup(self):
                await self.browser.close()
                self.browser = None
            """
        ),
        Valid(
            """\
            def __init__(self):
                self.browser = None
            """
        ),
        # A plain setter: the caller owns the browser and may still use the old one.
        Valid(
            """\
            class Resources:
                def set_browser(self, browser):
                    self.browser = browser
            """
        ),
        # A fresh holder object has no previous browser to leak.
        Valid(
            """\
            async def acquire_for_job(self, job_id):
                resources = JobResources(job_id=job_id)
                context = await self.browser_pool.acquire(job_id)
                resources.browser_context = context
                return resources
            """
        ),
    )
    INVALID = (
        Invalid(
            """\
            async def execute(self, context):
                browser = await playwright.chromium.launch(headless=True)
                context.browser = browser
            """,
            line=3,
            message_contains="context.browser",
        ),
        Invalid(
            """\
            class Session:
                async def restart(self):
                    self.browser = await self._pw.chromium.launch()
            """,
            line=3,
        ),
    )

    @classmethod
    def wants(cls, source: str) -> bool:
        return (
            super().wants(source)
            and re.search(r"\.(_?browser|_?browser_context|_?playwright|_?driver) = ", source)
            is not None
        )

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        # Lifecycle methods guard against re-entry with a flag (`if self._initialized`).
        if node.name.value in ("__init__", "initialize", "start", "setup", "_setup"):
            return
        walk = body_nodes(node)
        params = {p.name.value for p in (*node.params.posonly_params, *node.params.params)}
        params |= {p.name.value for p in node.params.kwonly_params}
        params.discard("self")
        # Objects created in this call (`resources = JobResources(...)`) hold nothing yet.
        fresh = {
            dotted(t.target)
            for sub, _ in walk
            if isinstance(sub, cst.Assign) and isinstance(sub.value, cst.Call)
            for t in sub.targets
        }
        for sub, _ in walk:
            if not isinstance(sub, cst.Assign) or len(sub.targets) != 1:
                continue
            target = sub.targets[0].target
            name = dotted(target)
            if not isinstance(target, cst.Attribute) or not name:
                continue
            # A setter stores what the caller owns; closing the old object would break
            # the caller that still uses it.
            if isinstance(sub.value, cst.Name) and sub.value.value in params:
                continue
            if dotted(target.value) in fresh:
                continue
            if not _RESOURCE_ATTR.match(target.attr.value):
                continue
            if isinstance(sub.value, cst.Name) and sub.value.value == "None":
                continue
            # Closed or checked before replacing: `x.browser.close()`, `if x.browser ...`.
            checked = any(
                (
                    isinstance(n, cst.Call)
                    and call_name(n) in ("close", "stop", "quit")
                    and (dotted(n.func) or "").startswith(name + ".")
                )
                or (
                    isinstance(n, cst.If)
                    and (
                        dotted(n.test) == name
                        or any(dotted(t) == name for t, _ in body_nodes(n.test))
                    )
                )
                for n, _ in walk
            )
            if checked:
                continue
            self.report(
                sub,
                f"`{name} = {source_of(sub.value, 40)}` replaces any previous instance "
                f"without closing it: close (or reuse) the old one before assigning.",
            )
            return
