"""CIA506: a connection, page or process opened in a function, closed only on success."""

from __future__ import annotations

import re

import libcst as cst

from analyzers.rule import Invalid, Rule, Valid
from analyzers.rules._shapes import Ancestors, body_nodes, call_name

# Calls that open something holding a socket, a browser process or an OS handle.
_OPENERS = frozenset(
    {
        "new_page",
        "new_context",
        "launch",
        "launch_persistent_context",
        "connect_over_cdp",
        "open_connection",
        "create_connection",
        "ClientSession",
        "SMTP",
        "SMTP_SSL",
        "IMAP4",
        "IMAP4_SSL",
        "POP3",
        "POP3_SSL",
        "FTP",
        "FTP_TLS",
        "SSHClient",
        "Chrome",
        "Firefox",
        "Edge",
        "create_pool",
    }
)
_OPEN_LINE = re.compile(
    r"^[ \t]*\w+[ \t]*=[ \t]*(?:await[ \t]+)?[\w.]*\b(?:" + "|".join(sorted(_OPENERS)) + r")\(",
    re.M,
)
_CLOSERS = frozenset(
    {"close", "quit", "logout", "disconnect", "terminate", "kill", "shutdown", "release"}
)


def _opened_name(node: cst.CSTNode) -> tuple[str, str] | None:
    """(`mail`, `IMAP4_SSL`) for `mail = imaplib.IMAP4_SSL(host)` (or `= await ...`)."""
    if not isinstance(node, cst.Assign) or len(node.targets) != 1:
        return None
    target = node.targets[0].target
    if not isinstance(target, cst.Name):
        return None
    value = node.value
    if isinstance(value, cst.Await):
        value = value.expression
    if not isinstance(value, cst.Call) or call_name(value) not in _OPENERS:
        return None
    return target.value, call_name(value)


def _protected(node: cst.CSTNode, ancestors: Ancestors) -> bool:
    """Inside a `finally:` or an `except` block: runs on the error path too."""
    chain = (*ancestors, node)
    for i in range(len(chain) - 1):
        anc, child = chain[i], chain[i + 1]
        if isinstance(anc, cst.Try) and child is anc.finalbody:
            return True
        if isinstance(anc, (cst.ExceptHandler, cst.Finally)):
            return True
    return False


class ClosedOnlyOnSuccess(Rule):
    """`mail = IMAP4_SSL(...); mail.login(...); ...; mail.logout()`: a failed login leaks it."""

    ID = "CIA506"
    AREA = 5
    TITLE = "Resource closed only on the success path"
    RATIONALE = (
        "The connection, page or process is opened into a local and closed by a plain call "
        "at the end. Any exception in between (a failed login, a timeout, a selector that is "
        "not found) skips the close, so the socket or browser page stays open until garbage "
        "collection - or for the life of the process when the traceback is kept. Under "
        "retries and failing workflows these pile up."
    )
    IMPACT = 3
    FREQUENCY = 4
    DIFFICULTY = 1
    RECOMMENDATION = (
        "Open it in a `with`/`async with` block, or close it in `finally:` "
        "(`try: ... finally: mail.logout()`)."
    )
    EXAMPLE_BEFORE = "mail = imaplib.IMAP4_SSL(host)\nmail.login(user, pw)\n...\nmail.logout()"
    EXAMPLE_AFTER = (
        "mail = imaplib.IMAP4_SSL(host)\ntry:\n    mail.login(user, pw)\n    ...\n"
        "finally:\n    mail.logout()"
    )
    TAGS = ("resources", "leak")
    TRIGGERS = tuple(sorted(_OPENERS))
    VALID = (
        Valid(
            """\
            import imaplib
            def count(host, user, pw):
                mail = imaplib.IMAP4_SSL(host)
                try:
                    mail.login(user, pw)
                    return mail.select()[1]
                finally:
                    mail.logout()
            """
        ),
        Valid(
            """\
            async def open_tab(browser):
                page = await browser.new_page()
                await page.goto("about:blank")
                return page
            """
        ),
        Valid(
            """\
            async def shot(browser):
                async with await browser.new_context() as ctx:
                    page = await ctx.new_page()
                    try:
                        await page.screenshot()
                    except Exception:
                        await page.close()
                        raise
                    await page.close()
            """
        ),
    )
    INVALID = (
        Invalid(
            """\
            import imaplib
            class MarkEmailNode:
                async def execute(self, host, user, pw, uid):
                    mail = imaplib.IMAP4_SSL(host)
                    mail.login(user, pw)
                    mail.store(uid, "+FLAGS", "\\\\Seen")
                    mail.logout()
            """,
            line=7,
            message_contains="`mail`",
        ),
        Invalid(
            """\
            async def title_of(browser, url):
                page = await browser.new_page()
                await page.goto(url)
                title = await page.title()
                await page.close()
                return title
            """,
            line=5,
        ),
    )

    @classmethod
    def wants(cls, source: str) -> bool:
        # Cheap line scan: a local assigned from an opener call.
        return super().wants(source) and _OPEN_LINE.search(source) is not None

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        walk = body_nodes(node)
        opened: dict[str, str] = {}
        for sub, _ancestors in walk:
            found = _opened_name(sub)
            if found is not None:
                opened.setdefault(*found)
        if not opened:
            return
        escaped = self._escaped(walk, opened)
        closes: dict[str, list[tuple[cst.Call, bool]]] = {}
        for sub, ancestors in walk:
            if not isinstance(sub, cst.Call) or call_name(sub) not in _CLOSERS:
                continue
            func = sub.func
            if not (isinstance(func, cst.Attribute) and isinstance(func.value, cst.Name)):
                continue
            name = func.value.value
            if name in opened and name not in escaped:
                closes.setdefault(name, []).append((sub, _protected(sub, ancestors)))
        for name, calls in closes.items():
            if any(protected for _call, protected in calls):
                continue
            first = calls[0][0]
            self.report(
                first,
                f"`{name}` (from `{opened[name]}()`) is closed by `{call_name(first)}()` only "
                "when every statement before it succeeds; an exception in between leaves it "
                "open. Close it in `finally:` or use `with`.",
            )

    @staticmethod
    def _escaped(walk: list[tuple[cst.CSTNode, Ancestors]], opened: dict[str, str]) -> set[str]:
        """Names handed out (returned, stored on an object, yielded): the owner closes those."""
        out: set[str] = set()
        for sub, _ancestors in walk:
            value: cst.BaseExpression | None = None
            stored = isinstance(sub, cst.Assign) and not isinstance(sub.targets[0].target, cst.Name)
            if isinstance(sub, (cst.Return, cst.Yield)) or stored:
                value = sub.value  # type: ignore[union-attr]
            if isinstance(value, cst.Name) and value.value in opened:
                out.add(value.value)
            elif isinstance(value, (cst.Tuple, cst.List)):
                out |= {
                    e.value.value
                    for e in value.elements
                    if isinstance(e.value, cst.Name) and e.value.value in opened
                }
        return out
