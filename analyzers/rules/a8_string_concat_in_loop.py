"""CIA801: a string built with `+=` inside a loop."""

from __future__ import annotations

import re

import libcst as cst

from analyzers.rule import Invalid, Rule, Valid
from analyzers.rules._shapes import body_nodes, dotted, enclosing_loop, names_text


def _string_locals(func: cst.FunctionDef) -> set[str]:
    out: set[str] = set()
    for node, _ in body_nodes(func):
        if isinstance(node, cst.Assign) and isinstance(
            node.value, (cst.SimpleString, cst.FormattedString, cst.ConcatenatedString)
        ):
            for t in node.targets:
                if (name := dotted(t.target)) is not None:
                    out.add(name)
    return out


_DATA_WORDS = re.compile(
    r"rows|lines|records|data|chunks|messages|emails|results|entries|files|nodes|cells|"
    r"items|logs|events|attachments|content",
    re.IGNORECASE,
)


_STORING_CALLS = frozenset({"append", "extend", "add", "insert", "put", "put_nowait", "setdefault"})


def _kept_elsewhere(loop: cst.For, name: str) -> str | None:
    """Where the loop stores another reference to the string `name`, if it does: an
    assignment of the bare name to another target, or a container call taking it."""
    for node, _ in body_nodes(loop.body):
        if isinstance(node, cst.Assign) and isinstance(node.value, cst.Name):
            if node.value.value == name:
                return dotted(node.targets[0].target) or "another name"
        elif (
            isinstance(node, cst.Call)
            and isinstance(node.func, cst.Attribute)
            and node.func.attr.value in _STORING_CALLS
            and any(isinstance(a.value, cst.Name) and a.value.value == name for a in node.args)
        ):
            return dotted(node.func) or node.func.attr.value
    return None


def _fresh_each_pass(loop: cst.For, name: str) -> bool:
    """The loop body starts the string afresh on every pass, at its own level: it rebinds
    the string (`text = ""`) or the object that holds it (`card = Card(...)` before
    `card.text += ...`). The `+=` then grows one pass's string, not one across the loop."""
    owner = name.rsplit(".", 1)[0] if "." in name else ""
    body = loop.body.body if isinstance(loop.body, cst.IndentedBlock) else ()
    for stmt in body:
        if not isinstance(stmt, cst.SimpleStatementLine):
            continue
        for small in stmt.body:
            if isinstance(small, cst.Assign):
                bound = {dotted(t.target) for t in small.targets}
                if name in bound or (owner and owner in bound):
                    return True
    return False


class StringConcatInLoop(Rule):
    """Each `+=` copies the whole string built so far."""

    ID = "CIA801"
    AREA = 8
    TITLE = "String built by += in a loop"
    RATIONALE = (
        "Python strings are immutable: `text += piece` in a loop copies everything built so "
        "far on each step wherever CPython's in-place shortcut does not apply (an attribute, "
        "or a local the loop also stores elsewhere), so building output from many rows, "
        "lines or attachments is O(n^2) in time and churns memory. A plain local nothing "
        "else refers to is extended in place and is not reported."
    )
    IMPACT = 3
    FREQUENCY = 4
    DIFFICULTY = 1
    RECOMMENDATION = (
        "Collect the pieces in a list and join once: `parts.append(piece)` in the loop, "
        "`''.join(parts)` after it (or `io.StringIO` for streaming writes)."
    )
    EXAMPLE_BEFORE = """\
result = ""
for row in rows:
    result += f"{row['name']},{row['value']}\\n"
"""
    EXAMPLE_AFTER = """\
result = "".join(f"{row['name']},{row['value']}\\n" for row in rows)
"""
    TAGS = ("algorithmic", "memory", "per-call")
    TRIGGERS = ('= ""', "= ''", '= f"', "= f'")
    VALID = (
        Valid(
            """\
            def csv(rows):
                return "".join(f"{r}\\n" for r in rows)
            """
        ),
        # Numbers, not strings.
        Valid(
            """\
            def total(rows):
                total = 0
                for r in rows:
                    total += r.value
            """
        ),
        # A local nothing else refers to: CPython extends it in place (amortized linear).
        Valid(
            """\
            def to_text(rows):
                text = ""
                for row in rows:
                    text += str(row) + "\\n"
                    label.setText(text)
                return text
            """
        ),
        # A new card on each pass: its text gets one `+=`, nothing grows across the loop.
        Valid(
            """\
            class Feed:
                def cards(self, messages):
                    for msg in messages:
                        card = Card(msg.title)
                        card.text = f"{msg.author}"
                        card.text += f" at {msg.time}"
                        self.show(card)
            """
        ),
        # A few modifier keys: short whatever the method.
        Valid(
            """\
            def hotkey(keys):
                text = ""
                for key in keys:
                    text += "{" + key + "}"
            """
        ),
    )
    INVALID = (
        Invalid(
            """\
            def to_text(self, rows):
                text = ""
                for row in rows:
                    text += str(row) + "\\n"
                    self.preview = text
                return text
            """,
            line=4,
            message_contains="the loop also keeps it in `self.preview`",
        ),
        Invalid(
            """\
            class Log:
                def render(self, lines):
                    self.text = ""
                    for line in lines:
                        self.text += line
            """,
            line=5,
            message_contains="an attribute is never extended in place",
        ),
    )

    @classmethod
    def wants(cls, source: str) -> bool:
        # A name initialized to a string literal and later extended with `+=`.
        if not super().wants(source):
            return False
        # A local (no dot) is only reported when the loop also keeps it elsewhere: assigned
        # as a bare name to another target, or passed to a container call (`_kept_elsewhere`).
        # From the few `+=` back to their targets: a regex over the whole file per name, or
        # even one that tries every identifier, cost more than all other prefilters together.
        grown: set[str] = set()
        at = source.find("+=")
        while at != -1:
            target = re.search(r"(?<![\w.])([A-Za-z_][\w.]*)\s*$", source[max(0, at - 200) : at])
            if target:
                grown.add(target.group(1))
            at = source.find("+=", at + 2)
        for n in grown:
            name = re.escape(n)
            if not re.search(rf"^\s*{name}\s*=\s*[rRbBuUfF]{{0,2}}[\"']", source, re.M):
                continue
            if "." in n or re.search(rf"=[\s(]*{name}[ \t)]*(?:[;#\n]|$)", source):
                return True
            if re.search(
                rf"\.\s*(?:append|extend|add|insert|put|put_nowait|setdefault)\s*\("
                rf"[^;]{{0,300}}?(?<![\w.]){name}\b(?!\s*[.(\[])",
                source,
            ):
                return True
        return False

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        strings = _string_locals(node)
        if not strings:
            return
        reported: set[str] = set()
        for sub, ancestors in body_nodes(node):
            if not (isinstance(sub, cst.AugAssign) and isinstance(sub.operator, cst.AddAssign)):
                continue
            name = dotted(sub.target)
            if name is None or name not in strings or name in reported:
                continue
            loop = enclosing_loop(sub, ancestors)
            if not isinstance(loop, cst.For):
                continue
            # Only loops over data that grows with the input (rows, lines, records...): a
            # few modifier keys or table columns make a short string whatever the method.
            if not _DATA_WORDS.search(names_text(loop.iter)):
                continue
            if _fresh_each_pass(loop, name):
                continue  # a new string (or a new holder of it) on each pass
            if "." in name:
                why = "an attribute is never extended in place"
            else:
                # CPython extends a local string in place while it is the only reference:
                # the copy happens only when the loop stores the string somewhere else too.
                kept = _kept_elsewhere(loop, name)
                if kept is None:
                    continue
                why = f"the loop also keeps it in `{kept}`, so CPython cannot extend it in place"
            reported.add(name)
            self.report(
                sub,
                f"`{name} += ...` in a loop copies the whole string each time ({why}): "
                "append the pieces to a list and `''.join()` them once after the loop.",
            )
