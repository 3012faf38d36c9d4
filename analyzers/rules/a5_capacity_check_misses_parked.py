"""CIA505: a pool decides whether it may create another item by counting only one of its
two collections (in use, or parked idle), so it can grow past its maximum."""

from __future__ import annotations

import re

import libcst as cst

from analyzers.rule import Invalid, Rule, Valid
from analyzers.rules._shapes import POOL_ACQUIRE_NAME, body_nodes, dotted, methods_of

_IDLE = re.compile(r"^_*(available|idle|free|parked|ready|pool|pooled|spare)\w*$")
_BUSY = re.compile(r"^_*(in_use|busy|active|checked_out|leased|used|borrowed)\w*$")
_MAX = re.compile(r"max", re.I)
_CREATE = re.compile(r"(create|new|connect|launch|spawn|open|make|build)", re.I)


def _counted_attr(expr: cst.BaseExpression, aliases: dict[str, str]) -> str | None:
    """`_in_use` for `len(self._in_use)` or for `self.in_use_count` (a property returning it)."""
    if isinstance(expr, cst.Call) and dotted(expr.func) == "len" and len(expr.args) == 1:
        name = dotted(expr.args[0].value)
        if name and name.startswith("self.") and name.count(".") == 1:
            return name[5:]
    name = dotted(expr)
    if name and name.startswith("self.") and name.count(".") == 1:
        return aliases.get(name[5:])
    return None


def _property_aliases(methods: dict[str, cst.FunctionDef]) -> dict[str, str]:
    """Property name -> the collection it returns the length of (`available_count`)."""
    out: dict[str, str] = {}
    for name, func in methods.items():
        body = list(func.body.body) if isinstance(func.body, cst.IndentedBlock) else []
        stmts = body[1:] if func.get_docstring() is not None else body
        if len(stmts) != 1 or not isinstance(stmts[0], cst.SimpleStatementLine):
            continue
        small = stmts[0].body[0] if stmts[0].body else None
        if isinstance(small, cst.Return) and small.value is not None:
            counted = _counted_attr(small.value, {})
            if counted:
                out[name] = counted
    return out


class CapacityCheckMissesParked(Rule):
    """The maximum bounds one list of a pool that keeps its items in two."""

    ID = "CIA505"
    AREA = 5
    TITLE = "Pool capacity check counts only in-use (or only idle) items"
    RATIONALE = (
        "A pool that parks idle items in one collection (`_available`) and lends them from "
        "another (`_in_use`) is only bounded if its 'may I create one more?' check counts "
        "both. Counting only the in-use items ignores everything parked: the pool keeps "
        "`max_size` connections busy plus every idle one, browser contexts and database "
        "connections pile up past the limit the user configured, and the server's own "
        "connection limit is hit first."
    )
    IMPACT = 6
    FREQUENCY = 4
    DIFFICULTY = 2
    RECOMMENDATION = (
        "Compare the total (idle + in use, plus any creations in flight) with the maximum, "
        "in one place, e.g. a `total_count` property used by every capacity check."
    )
    EXAMPLE_BEFORE = """\
if len(self._in_use) < self._max_size:
    conn = await self._create_connection()
"""
    EXAMPLE_AFTER = """\
@property
def total_count(self) -> int:
    return len(self._available) + len(self._in_use) + self._creating

if self.total_count < self._max_size:
    conn = await self._create_connection()
"""
    TAGS = ("pooling", "leak")
    TRIGGERS = ("max",)

    @classmethod
    def wants(cls, source: str) -> bool:
        # Cheap text test for what a report needs: `self.` attributes named as an in-use and
        # an idle collection, a `<`/`>=` comparison with a "max" name, and a method named
        # as acquiring or creating. Words alone ("active", "free") let in a fifth of files.
        flags = re.I
        return (
            re.search(r"(?:<(?![<=])|>=)[\s(]*[\w.()]*max", source, flags) is not None
            and re.search(
                r"\bself\s*\.\s*_*(?:in_use|busy|active|checked_out|leased|used|borrowed)",
                source,
            )
            is not None
            and re.search(
                r"\bself\s*\.\s*_*(?:available|idle|free|parked|ready|pool|spare)", source
            )
            is not None
            and re.search(
                r"\bdef\s+\w*(?:create|new|connect|launch|spawn|open|make|build|acquire|"
                r"checkout|borrow|get_connection|get_session|get_context)",
                source,
                flags,
            )
            is not None
        )

    VALID = (
        Valid(
            """\
            class Pool:
                async def acquire(self):
                    if len(self._available) + len(self._in_use) < self._max_size:
                        return await self._create_connection()
            """
        ),
        Valid(
            """\
            class Pool:
                @property
                def total_count(self):
                    return len(self._available) + len(self._in_use)
                async def acquire(self):
                    if self.total_count < self._max_size:
                        return await self._create()
            """
        ),
        Valid(  # idle items are handed out first: when it creates, none is parked
            """\
            class Pool:
                async def acquire(self):
                    if self._available:
                        ctx = self._available.popleft()
                        self._in_use.add(ctx)
                        return ctx
                    if len(self._in_use) < self._max_size:
                        return await self._browser.new_context()
            """
        ),
        Valid(  # one collection only: nothing is parked elsewhere
            """\
            class Limiter:
                async def acquire(self):
                    if len(self._active) < self._max_size:
                        return await self._open()
            """
        ),
    )
    INVALID = (
        Invalid(
            """\
            class Pool:
                def __init__(self):
                    self._available = []
                    self._in_use = set()
                async def acquire(self):
                    if len(self._in_use) < self._max_size:
                        conn = await self._create_connection()
                        self._in_use.add(conn)
                        return conn
                    while not self._available:
                        await self._released.wait()
                    return self._available.pop()
            """,
            line=6,
            message_contains="_available",
        ),
        Invalid(
            """\
            class Pool:
                @property
                def in_use_count(self):
                    return len(self._in_use)
                def release(self, conn):
                    self._in_use.discard(conn)
                    self._idle.append(conn)
                async def get_connection(self):
                    if self.in_use_count >= self._max_size:
                        raise RuntimeError("pool exhausted")
                    return await self._open()
            """,
            line=9,
            message_contains="_idle",
        ),
    )

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        methods = methods_of(node)
        idle: set[str] = set()
        busy: set[str] = set()
        for func in methods.values():
            for sub, _ in body_nodes(func):
                name = dotted(sub) if isinstance(sub, cst.Attribute) else None
                if name and name.startswith("self.") and name.count(".") == 1:
                    attr = name[5:]
                    if _IDLE.match(attr):
                        idle.add(attr)
                    elif _BUSY.match(attr):
                        busy.add(attr)
        if not idle or not busy:
            return  # one collection: whatever it counts is everything
        aliases = _property_aliases(methods)
        for name, func in methods.items():
            if not POOL_ACQUIRE_NAME.match(name) and not _CREATE.search(name):
                continue
            self._check(func, idle, busy, aliases)

    def _check(
        self, func: cst.FunctionDef, idle: set[str], busy: set[str], aliases: dict[str, str]
    ) -> None:
        idle_taken_first = False
        for sub, _ in body_nodes(func):
            # `if self._available: return self._available.pop()` before the check: by the
            # time it counts, nothing is parked, so in-use is the total (the common idiom).
            if isinstance(sub, (cst.If, cst.While)) and any(
                (dotted(n) or "").removeprefix("self.") in idle
                for n, _ in [(sub.test, ()), *body_nodes(sub.test)]
            ):
                idle_taken_first = True
            if idle_taken_first:
                return
            if not isinstance(sub, cst.Comparison) or len(sub.comparisons) != 1:
                continue
            right = sub.comparisons[0].comparator
            if not isinstance(sub.comparisons[0].operator, (cst.LessThan, cst.GreaterThanEqual)):
                continue
            if not _MAX.search(dotted(right) or ""):
                continue
            counted = _counted_attr(sub.left, aliases)
            if counted not in busy:
                continue  # an idle-only check decides about parking, not about creating
            missing = ", ".join(f"`self.{a}`" for a in sorted(idle))
            self.report(
                sub,
                f"`{func.name.value}` bounds the pool by `self.{counted}` alone: the items "
                f"parked in {missing} are not counted, so the pool can hold "
                f"`{dotted(right)}` in use plus every idle one; compare the total with the "
                "maximum.",
            )
