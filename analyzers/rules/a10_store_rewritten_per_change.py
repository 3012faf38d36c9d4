"""CIA1006: a settings/cache store rewritten to disk on every single change."""

from __future__ import annotations

import re

import libcst as cst

from analyzers.rule import Invalid, Rule, Valid
from analyzers.rules._shapes import body_nodes, call_name, methods_of

_MUTATORS = re.compile(r"^_?(set|store|record|put|mark)(_\w+)?$")
# Durable record stores persist each change on purpose (the file is the database).
_DURABLE = re.compile(r"Storage|Service|Repository|Store$|Database|Dao", re.IGNORECASE)
_DUMPS = frozenset({"dump", "dumps", "write_text", "write_bytes", "write", "safe_dump"})


def _writes_file(method: cst.FunctionDef) -> bool:
    names = {call_name(c) for c, _ in body_nodes(method) if isinstance(c, cst.Call)}
    return ("open" in names and bool(names & _DUMPS)) or bool(names & {"write_text", "write_bytes"})


class StoreRewrittenPerChange(Rule):
    """N changes cost N full serializations and file writes, on the caller's thread."""

    ID = "CIA1006"
    AREA = 10
    TITLE = "Whole settings/store file rewritten on every change"
    RATIONALE = (
        "Each `set()`/`store()` serializes the entire store and rewrites the file "
        "synchronously. A preferences dialog applying 20 values, or selector capture "
        "storing fingerprints in a loop, does 20 full serializations and disk writes "
        "(with fsync-like latency on Windows and antivirus scans) on the GUI or event-loop "
        "thread."
    )
    IMPACT = 3
    FREQUENCY = 4
    DIFFICULTY = 2
    RECOMMENDATION = (
        "Mark the store dirty and save once: debounce with a single-shot timer (e.g. 500 ms) "
        "or save on close/explicit apply; offer a `batch()` context manager for bulk "
        "updates; write atomically (temp file + replace) off the GUI thread."
    )
    EXAMPLE_BEFORE = """\
def set(self, key, value):
    self.settings[key] = value
    self.save_settings()
"""
    EXAMPLE_AFTER = """\
def set(self, key, value):
    self.settings[key] = value
    self._dirty = True
    self._save_timer.start(500)  # single-shot; timeout -> save_settings()
"""
    TAGS = ("io", "configuration")
    TRIGGERS = ("open(", "write_text", "write_bytes")
    VALID = (
        Valid(
            """\
            class Settings:
                def set(self, key, value):
                    self.settings[key] = value
                    self._dirty = True

                def save(self):
                    with open(self.path, "w") as f:
                        json.dump(self.settings, f)
            """
        ),
    )
    INVALID = (
        Invalid(
            """\
            class Settings:
                def set(self, key, value):
                    self.settings[key] = value
                    self.save_settings()

                def save_settings(self):
                    with open(self.path, "w") as f:
                        json.dump(self.settings, f)
            """,
            line=4,
            message_contains="save_settings",
        ),
    )

    @classmethod
    def wants(cls, source: str) -> bool:
        return (
            super().wants(source)
            and re.search(r"def _?(set|store|record|put|mark)(_\w+)?\(self", source) is not None
            and re.search(r"\.dump\(|\.dumps\(|write_text|write_bytes|\.write\(", source)
            is not None
        )

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        if _DURABLE.search(node.name.value):
            return
        methods = methods_of(node)
        savers = {name for name, m in methods.items() if _writes_file(m)}
        if not savers:
            return
        for name, method in methods.items():
            if not _MUTATORS.match(name) or name in savers:
                continue
            for sub, _ in body_nodes(method):
                func = sub.func if isinstance(sub, cst.Call) else None
                if (
                    isinstance(func, cst.Attribute)
                    and isinstance(func.value, cst.Name)
                    and func.value.value == "self"
                    and func.attr.value in savers
                ):
                    self.report(
                        sub,
                        f"{name}() rewrites the whole file via self.{func.attr.value}() on "
                        f"every change: mark dirty and save once (debounced or on close).",
                    )
                    break
