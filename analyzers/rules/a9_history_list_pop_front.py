"""CIA903: a bounded history kept in a list trimmed with pop(0) or slicing."""

from __future__ import annotations

import re

import libcst as cst

from analyzers.rule import Invalid, Rule, Valid
from analyzers.rules._shapes import (
    arg,
    body_nodes,
    call_name,
    call_receiver,
    dotted,
    int_value,
    methods_of,
    source_of,
)

# Shifting at most this many references per entry costs about as much as the append itself.
_SMALL_WINDOW = 100
# Up to this cap a front trim is a memmove of microseconds: reported LOW, saying so.
_MEMMOVE_WINDOW = 10_000
_FRESH_BUILDERS = (cst.List, cst.ListComp, cst.Tuple)
_EMPTY_MODULE = cst.Module(body=[])
# Prefilter text (a necessary condition, however the code is spaced or wrapped): a `len(`
# call, and one of the trims `_trim` knows: `x.pop(0)`, `x = x[...:]` (the same name on both
# sides, nothing after the colon), `del x[0]` or `del x[:...]`.
_LEN_CALL = re.compile(r"\blen\s*\(")
_TRIM_TEXT = re.compile(
    r"\.\s*pop\s*\([\s(]*0\b"
    r"|(?<![\w.])([A-Za-z_][\w.]*)[ \t]*=(?!=)[\s\\(]*\1\s*\[[^=]*?:[\s:]*\]"
    r"|\bdel[\s(]+[\w.]+\s*\[\s*(?:\(*\s*0\b|:)"
)


def _length_guard(ancestors: tuple[cst.CSTNode, ...]) -> tuple[bool, cst.BaseExpression | None]:
    """(guarded by a `len()` test, the cap in `len(x) > cap` / `len(x) >= cap` if it has one)."""
    for anc in reversed(ancestors):
        if not isinstance(anc, (cst.If, cst.While)):
            continue
        test = anc.test
        if (
            isinstance(test, cst.Comparison)
            and isinstance(test.left, cst.Call)
            and call_name(test.left) == "len"
            and len(test.comparisons) == 1
            and isinstance(test.comparisons[0].operator, (cst.GreaterThan, cst.GreaterThanEqual))
        ):
            return True, test.comparisons[0].comparator
        # A size compared with something (`if len(x) > self.cap and ...`, `cap < len(x)`);
        # `while len(segments) and ...` only asks whether the list is empty: no cap at all.
        for node in (test, *(n for n, _ in body_nodes(test))):
            if not _compares_length(node):
                continue
            first = node.comparisons[0]  # type: ignore[attr-defined]
            if (
                isinstance(node.left, cst.Call)  # type: ignore[attr-defined]
                and len(node.comparisons) == 1  # type: ignore[attr-defined]
                and isinstance(first.operator, (cst.GreaterThan, cst.GreaterThanEqual))
            ):
                return True, first.comparator  # `len(x) > cap and ...`
            return True, None
    return False, None


_ORDER = (cst.GreaterThan, cst.GreaterThanEqual, cst.LessThan, cst.LessThanEqual)


def _local_ints(func: cst.FunctionDef) -> dict[str, int]:
    """Locals the function sets only to integer literals (`n = 5`, `n = 0 if q else 1`),
    with the largest value each can hold."""
    out: dict[str, int] = {}
    other: set[str] = set()
    for sub, _ in body_nodes(func):
        if not isinstance(sub, (cst.Assign, cst.AugAssign, cst.AnnAssign)):
            continue
        targets = [t.target for t in sub.targets] if isinstance(sub, cst.Assign) else [sub.target]
        value = sub.value
        options = [value.body, value.orelse] if isinstance(value, cst.IfExp) else [value]
        numbers = [int_value(o) for o in options]
        for target in targets:
            if not isinstance(target, cst.Name):
                continue
            if isinstance(sub, cst.AugAssign) or None in numbers:
                other.add(target.value)
            else:
                out[target.value] = max(out.get(target.value, 0), *numbers)  # type: ignore[arg-type]
    return {k: v for k, v in out.items() if k not in other}


def _compares_length(node: cst.CSTNode) -> bool:
    if not isinstance(node, cst.Comparison):
        return False
    if not any(isinstance(c.operator, _ORDER) for c in node.comparisons):
        return False
    operands = (node.left, *(c.comparator for c in node.comparisons))
    return any(isinstance(o, cst.Call) and call_name(o) == "len" for o in operands)


def _code(node: cst.CSTNode) -> str:
    return "".join(_EMPTY_MODULE.code_for_node(node).split())


def _same(a: cst.BaseExpression | None, b: cst.BaseExpression | None) -> bool:
    """The same expression, however it is spaced (`self._max` in the test and the slice)."""
    return a is not None and b is not None and _code(a) == _code(b)


def _is_len_minus(expr: cst.BaseExpression | None, cap: cst.BaseExpression | None) -> bool:
    """`len(x) - cap`: the number of entries over the cap."""
    return (
        isinstance(expr, cst.BinaryOperation)
        and isinstance(expr.operator, cst.Subtract)
        and isinstance(expr.left, cst.Call)
        and call_name(expr.left) == "len"
        and _same(expr.right, cap)
    )


def _slice_of(expr: cst.BaseExpression) -> cst.Slice | None:
    if isinstance(expr, cst.Subscript) and len(expr.slice) == 1:
        inner = expr.slice[0].slice
        if isinstance(inner, cst.Slice) and inner.step is None:
            return inner
    return None


def _negated(expr: cst.BaseExpression | None) -> cst.BaseExpression | None:
    if isinstance(expr, cst.UnaryOperation) and isinstance(expr.operator, cst.Minus):
        return expr.expression
    return None


def _trims_one_per_entry(
    dropped: cst.BaseExpression | None,
    kept: cst.BaseExpression | None,
    cap: cst.BaseExpression | None,
) -> bool:
    """A slice trim that drops just the excess over the guard's cap: one entry per append.

    `x = x[-cap:]`, `x = x[len(x) - cap:]`, `x = x[1:]`, `del x[:len(x) - cap]`. Keeping
    fewer than the cap (`x[-cap // 2:]`, `x[cap // 5:]`) or trimming only past a
    high-water mark drops a chunk per trim: amortised O(1) per entry.
    """
    if kept is not None:
        return _same(kept, cap)
    if isinstance(dropped, cst.Integer):
        return dropped.value == "1"
    return _is_len_minus(dropped, cap)


class HistoryListPopFront(Rule):
    """Every append past the cap shifts the whole history."""

    ID = "CIA903"
    AREA = 9
    TITLE = "Bounded event/log history kept in a list trimmed from the front"
    RATIONALE = (
        "Once the history is full, each new event does `list.pop(0)` (or re-slices the "
        "list down to the cap), which moves every remaining element: O(max_size) work on "
        "every publish, log line or metric sample, on the hot path of the bus or "
        "collector. Trimming a chunk proportional to the size (a fifth, down to half) is "
        "amortised O(1) per entry and is not reported; nor is a window of 100 or fewer."
    )
    IMPACT = 2
    FREQUENCY = 6
    DIFFICULTY = 1
    RECOMMENDATION = (
        "Use `collections.deque(maxlen=max_size)`: `append()` drops the oldest entry in "
        "O(1) with no length check; convert with `list(history)[-n:]` only when reading."
    )
    EXAMPLE_BEFORE = """\
self._event_history.append(event)
if len(self._event_history) > self._max_history_size:
    self._event_history.pop(0)
"""
    EXAMPLE_AFTER = """\
self._event_history = deque(maxlen=self._max_history_size)  # in __init__
self._event_history.append(event)
"""
    TAGS = ("events", "algorithmic")
    TRIGGERS = ("pop(0)", ":]", "del ")
    VALID = (
        Valid(
            """\
            def add(self, event):
                self._history.append(event)
            """
        ),
        Valid(
            """\
            def first(self):
                return self._pending.pop(0)
            """
        ),
        # Dropping a fifth of the list when it is full is one O(n) copy per n/5 entries:
        # amortised O(1) per entry.
        Valid(
            """\
            def remember(self, event):
                self._events.append(event)
                if len(self._events) > self._max_events:
                    drop = self._max_events // 5
                    self._events = self._events[drop:]
            """
        ),
        # Trimming back to half only past a high-water mark is amortised too.
        Valid(
            """\
            def log(self, line):
                self._lines.append(line)
                if len(self._lines) > 2 * self._keep:
                    del self._lines[: -self._keep]
            """
        ),
        # A window of a hundred entries: shifting it costs about as much as the append.
        Valid(
            """\
            class Rolling:
                def __init__(self, window: int = 100):
                    self.window = window
                    self._values = []
                def add(self, value):
                    self._values.append(value)
                    if len(self._values) > self.window:
                        self._values = self._values[-self.window :]
            """
        ),
        # Grown by a batch per call: one trim per batch, amortised over the batch.
        Valid(
            """\
            def add_samples(self, samples):
                self._values.extend(samples)
                if len(self._values) > self.max_samples:
                    self._values = self._values[-self.max_samples :]
            """
        ),
        # A list built in the call and trimmed once is a clean-up, not a history per entry.
        Valid(
            """\
            def prune(self, folder):
                shots = sorted(folder.glob("*.png"), key=lambda p: p.stat().st_mtime)
                while len(shots) > self.max_shots:
                    shots.pop(0).unlink()
            """
        ),
        # Stripping a common prefix off a list of path segments: the `len()` only asks
        # whether it is empty; no history, no cap.
        Valid(
            """\
            def relative(base, iri):
                base = base.split("/")
                iri = iri.split("/")
                last = 1
                while len(base) and len(iri) > last and base[0] == iri[0]:
                    base.pop(0)
                    iri.pop(0)
                return "/".join(iri)
            """
        ),
        # Setting a new cap trims the list down to it once, when the cap changes.
        Valid(
            """\
            class LogStore:
                def set_max_entries(self, value):
                    self._max_entries = max(1, int(value))
                    if len(self._entries) > self._max_entries:
                        del self._entries[: len(self._entries) - self._max_entries]
            """
        ),
    )
    INVALID = (
        # The cap is `max(1, int(max_entries))` with a default of 500: LOW, saying so.
        Invalid(
            """\
            class LogStore:
                def __init__(self, max_entries: int = 500):
                    self._max_entries = max(1, int(max_entries))
                    self._entries = []
                def append(self, entry):
                    self._entries.append(entry)
                    if len(self._entries) > self._max_entries:
                        del self._entries[: len(self._entries) - self._max_entries]
            """,
            line=8,
            message_contains="at most 500 entries",
        ),
        # One sample per tick of a sleeping loop: LOW, saying so.
        Invalid(
            """\
            import asyncio
            class Monitor:
                async def sample_loop(self):
                    while self._running:
                        self._samples.append(self._sample())
                        if len(self._samples) > self._max_samples:
                            self._samples.pop(0)
                        await asyncio.sleep(self.interval)
            """,
            line=7,
            message_contains="once per tick",
        ),
        # The trimmed row is a widget torn down at once: LOW, saying so.
        Invalid(
            """\
            class LogView:
                def add_row(self, row):
                    self._rows.append(row)
                    if len(self._rows) > self._max_rows:
                        oldest = self._rows.pop(0)
                        self.layout.removeWidget(oldest)
                        oldest.deleteLater()
            """,
            line=5,
            message_contains="torn down on the spot",
        ),
        Invalid(
            """\
            def publish(self, event):
                self._event_history.append(event)
                if len(self._event_history) > self._max_history_size:
                    self._event_history.pop(0)
            """,
            line=4,
            message_contains="self._event_history",
        ),
        Invalid(
            """\
            def log(self, line):
                self._lines.append(line)
                if len(self._lines) > 500:
                    self._lines = self._lines[-500:]
            """,
            line=4,
            message_contains="at most 500 entries",  # LOW: a memmove of 500 pointers
        ),
        Invalid(
            """\
            class Records:
                def __init__(self, max_records: int = 10000):
                    self._max = max_records
                    self._records = []
                def add(self, record):
                    self._records.append(record)
                    if len(self._records) > self._max:
                        del self._records[: len(self._records) - self._max]
            """,
            line=8,
            message_contains="self._records",
        ),
        Invalid(
            """\
            def buffer(self, robot_id, entry):
                pending = self._buffers[robot_id]
                if len(pending) >= self._size:
                    pending.pop(0)
                pending.append(entry)
            """,
            line=4,
        ),
    )

    @classmethod
    def wants(cls, source: str) -> bool:
        # Every report needs a `len()` guard and one of the three trims; "any slice" let
        # a third of CasareRPA's files through to a libcst parse for nothing.
        return (
            super().wants(source)
            and _LEN_CALL.search(source) is not None
            and _TRIM_TEXT.search(source) is not None
        )

    def visit_Module(self, node: cst.Module) -> None:
        self._module_ints = _int_assignments(node.body)
        self._class_caps: list[dict[str, int]] = []

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        self._class_caps.append(_attribute_caps(node, self._module_ints))

    def leave_ClassDef(self, original_node: cst.ClassDef) -> None:
        self._class_caps.pop()

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        fresh = _fresh_locals(node)
        batched = _grown_by_batches(node)
        grown = _grown(node)
        for sub, ancestors in body_nodes(node):
            found = self._trim(sub, ancestors)
            if found is None:
                continue
            name, cap = found
            if "." not in name and name in fresh:
                continue  # built in this call: trimmed once, not per entry
            size = self._cap_value(cap)
            if size is None and isinstance(cap, cst.Name):
                size = _local_ints(node).get(cap.value)  # `last = 0 if query else 1`
            if size is not None and size <= _SMALL_WINDOW:
                continue
            if name in batched:
                continue  # grown by whole batches: one trim per batch, not per entry
            if name not in grown and _assigns(node, cap):
                continue  # sets a new cap and trims down to it once: not per entry
            rare = _why_rare(sub, ancestors)
            if rare:
                self.report(
                    sub,
                    f"`{name}` is a list trimmed from the front one entry at a time "
                    f"(`{source_of(sub, 40)}`), but {rare}: the memmove is not the cost; "
                    "`collections.deque(maxlen=...)` says the same more plainly.",
                    impact=1,
                    frequency=3,
                )
                return
            if size is not None and size <= _MEMMOVE_WINDOW:
                # Judged trivial every time: a memmove of at most `size` pointers (8 KB
                # for 1,000) is about a microsecond, whatever the rate of entries.
                self.report(
                    sub,
                    f"`{name}` is a list trimmed from the front one entry at a time "
                    f"(`{source_of(sub, 40)}`), but it holds at most {size:,} entries: each "
                    "trim moves that many pointers, microseconds; `collections.deque("
                    "maxlen=...)` says the same more plainly.",
                    impact=1,
                    frequency=3,
                )
                return
            self.report(
                sub,
                f"`{name}` is a list trimmed from the front one entry at a time "
                f"(`{source_of(sub, 40)}`), O(n) per entry once full: make it "
                "`collections.deque(maxlen=...)`.",
            )
            return

    def _trim(
        self, sub: cst.CSTNode, ancestors: tuple[cst.CSTNode, ...]
    ) -> tuple[str, cst.BaseExpression | None] | None:
        """(list name, cap) when `sub` drops the oldest entry of a length-capped list."""
        # The shape first (a pop, an assignment of a slice, a del): the guard search up the
        # ancestors is the expensive part and most nodes are none of these.
        if not (
            (isinstance(sub, cst.Call) and call_name(sub) == "pop")
            or (isinstance(sub, cst.Assign) and isinstance(sub.value, cst.Subscript))
            or (isinstance(sub, cst.Del) and isinstance(sub.target, cst.Subscript))
        ):
            return None
        guarded, cap = _length_guard(ancestors)
        if not guarded:
            return None
        if isinstance(sub, cst.Call) and call_name(sub) == "pop":
            index = arg(sub, 0)
            if isinstance(index, cst.Integer) and index.value == "0":
                name = call_receiver(sub)
                return (name, cap) if name else None
            return None
        if isinstance(sub, cst.Assign) and len(sub.targets) == 1:
            name = dotted(sub.targets[0].target)
            cut = _slice_of(sub.value)
            if name and cut is not None and cut.upper is None and dotted(sub.value.value) == name:
                kept = _negated(cut.lower)
                if _trims_one_per_entry(cut.lower, kept, cap):
                    return name, kept or cap
            return None
        if isinstance(sub, cst.Del) and isinstance(sub.target, cst.Subscript):
            name = dotted(sub.target.value)
            index = sub.target.slice[0].slice if len(sub.target.slice) == 1 else None
            if isinstance(index, cst.Index) and isinstance(index.value, cst.Integer):
                return (name, cap) if name and index.value.value == "0" else None
            cut = _slice_of(sub.target)
            if name and cut is not None and cut.lower is None:
                kept = _negated(cut.upper)
                if _trims_one_per_entry(cut.upper, kept, cap):
                    return name, kept or cap
        return None

    def _cap_value(self, cap: cst.BaseExpression | None) -> int | None:
        """The cap as a number when the file says it: literal, constant, `__init__` default."""
        if isinstance(cap, cst.Integer):
            return int(cap.evaluated_value)
        if isinstance(cap, cst.Name):
            return self._module_ints.get(cap.value)
        if (
            isinstance(cap, cst.Attribute)
            and isinstance(cap.value, cst.Name)
            and cap.value.value in ("self", "cls")
            and self._class_caps
        ):
            return self._class_caps[-1].get(cap.attr.value)
        return None


def _int_assignments(body: object) -> dict[str, int]:
    """`NAME = 1000` statements (module level or class body)."""
    out: dict[str, int] = {}
    for stmt in body if isinstance(body, (list, tuple)) else ():
        if not isinstance(stmt, cst.SimpleStatementLine):
            continue
        for small in stmt.body:
            if isinstance(small, cst.Assign) and isinstance(small.value, cst.Integer):
                for target in small.targets:
                    if isinstance(target.target, cst.Name):
                        out[target.target.value] = int(small.value.evaluated_value)
            elif (
                isinstance(small, cst.AnnAssign)
                and isinstance(small.target, cst.Name)
                and isinstance(small.value, cst.Integer)
            ):
                out[small.target.value] = int(small.value.evaluated_value)
    return out


def _attribute_caps(cls: cst.ClassDef, module_ints: dict[str, int]) -> dict[str, int]:
    """Class attributes set to a number: in the class body, or in `__init__` from a literal,
    a module constant or a parameter's default (`def __init__(self, window: int = 100)`)."""
    body = cls.body.body if isinstance(cls.body, cst.IndentedBlock) else ()
    out = _int_assignments(body)
    init = methods_of(cls).get("__init__")
    if init is None:
        return out
    defaults: dict[str, int] = {}
    for param in (*init.params.params, *init.params.kwonly_params):
        if isinstance(param.default, cst.Integer):
            defaults[param.name.value] = int(param.default.evaluated_value)
        elif isinstance(param.default, cst.Name) and param.default.value in module_ints:
            defaults[param.name.value] = module_ints[param.default.value]
    for sub, _ in body_nodes(init):
        if not (isinstance(sub, (cst.Assign, cst.AnnAssign)) and sub.value is not None):
            continue
        targets = [t.target for t in sub.targets] if isinstance(sub, cst.Assign) else [sub.target]
        value = sub.value
        number = _number(value, defaults, module_ints)
        for target in targets:
            name = dotted(target)
            if number is not None and name and name.startswith("self.") and name.count(".") == 1:
                out[name[5:]] = number
    return out


def _number(
    value: cst.BaseExpression, defaults: dict[str, int], module_ints: dict[str, int]
) -> int | None:
    """The number a cap expression holds: a literal, a parameter's default, a module
    constant, or those through `int()`, `max()` and `min()` (`max(1, int(max_entries))`)."""
    if isinstance(value, cst.Integer):
        return int(value.evaluated_value)
    if isinstance(value, cst.Name):
        return defaults.get(value.value, module_ints.get(value.value))
    if isinstance(value, cst.Call) and isinstance(value.func, cst.Name) and value.args:
        how = value.func.value
        if how not in ("int", "max", "min") or (how == "int" and len(value.args) != 1):
            return None
        numbers = [_number(a.value, defaults, module_ints) for a in value.args]
        if None in numbers:
            return None
        known = [n for n in numbers if n is not None]
        return min(known) if how == "min" else max(known)
    return None


def _fresh_locals(func: cst.FunctionDef) -> set[str]:
    """Locals bound to a list built in this call (`sorted(...)`, `[...]`, `list(...)`)."""
    out: set[str] = set()
    for sub, _ in body_nodes(func):
        if not (isinstance(sub, cst.Assign) and len(sub.targets) == 1):
            continue
        target = sub.targets[0].target
        value = sub.value
        if isinstance(target, cst.Name) and (
            isinstance(value, _FRESH_BUILDERS)
            or (isinstance(value, cst.Call) and isinstance(value.func, cst.Name))
        ):
            out.add(target.value)
    return out


def _grown(func: cst.FunctionDef) -> set[str]:
    """Lists the function adds to (`append`, `insert`, `extend`, `+=`)."""
    out: set[str] = set()
    for sub, _ in body_nodes(func):
        if isinstance(sub, cst.Call) and call_name(sub) in ("append", "insert", "extend"):
            name = call_receiver(sub)
            if name:
                out.add(name)
        elif isinstance(sub, cst.AugAssign) and isinstance(sub.operator, cst.AddAssign):
            name = dotted(sub.target)
            if name:
                out.add(name)
    return out


def _assigns(func: cst.FunctionDef, cap: cst.BaseExpression | None) -> bool:
    """The function sets the cap itself (`self._max = value` before trimming to it): a
    setter that trims once when the cap changes."""
    name = dotted(cap) if cap is not None else None
    if not name:
        return False
    for sub, _ in body_nodes(func):
        if isinstance(sub, (cst.Assign, cst.AnnAssign)):
            targets = (
                [t.target for t in sub.targets] if isinstance(sub, cst.Assign) else [sub.target]
            )
            if any(dotted(t) == name for t in targets):
                return True
    return False


_SLEEPS = frozenset({"sleep", "wait", "wait_for"})


def _why_rare(sub: cst.CSTNode, ancestors: tuple[cst.CSTNode, ...]) -> str:
    """Why one trim per entry costs nothing next to what goes with it ("" when unknown): each
    entry is a sample of a loop that sleeps between samples, or the trimmed entry is torn
    down on the spot (`oldest = items.pop(0)`; `oldest.deleteLater()`)."""
    for anc in reversed(ancestors):
        if isinstance(anc, cst.While) and any(
            isinstance(n, cst.Call) and call_name(n) in _SLEEPS for n, _ in body_nodes(anc)
        ):
            return "it runs once per tick of a loop that sleeps between samples"
    parent = ancestors[-1] if ancestors else None
    if not (isinstance(parent, cst.Assign) and parent.value is sub and len(parent.targets) == 1):
        return ""
    kept = parent.targets[0].target
    block = next((a for a in reversed(ancestors) if isinstance(a, cst.IndentedBlock)), None)
    if not isinstance(kept, cst.Name) or block is None:
        return ""
    for node, _ in body_nodes(block):
        if isinstance(node, cst.Call) and node is not sub:
            receiver = call_receiver(node)
            passed = any(
                isinstance(a.value, cst.Name) and a.value.value == kept.value for a in node.args
            )
            if receiver == kept.value or passed:
                return (
                    f"each trimmed entry is torn down on the spot (`{source_of(node, 40)}`), "
                    "which costs far more than shifting the list"
                )
    return ""


def _grown_by_batches(func: cst.FunctionDef) -> set[str]:
    """Lists the function grows with `extend()` / `+=` and never with `append()`."""
    appended: set[str] = set()
    extended: set[str] = set()
    for sub, _ in body_nodes(func):
        if isinstance(sub, cst.Call) and call_name(sub) in ("append", "insert", "extend"):
            name = call_receiver(sub)
            if name:
                (extended if call_name(sub) == "extend" else appended).add(name)
        elif isinstance(sub, cst.AugAssign) and isinstance(sub.operator, cst.AddAssign):
            name = dotted(sub.target)
            if name:
                extended.add(name)
    return extended - appended
