"""CIA1002: configuration read from disk each time a value is asked for."""

from __future__ import annotations

import re

import libcst as cst

from analyzers.rule import Invalid, Rule, Valid
from analyzers.rules._shapes import (
    body_nodes,
    call_name,
    decorator_names,
    import_map,
    names_text,
    source_of,
)

_READERS = frozenset(
    {
        "json.load",
        "yaml.safe_load",
        "yaml.load",
        "tomllib.load",
        "toml.load",
        "tomli.load",
        "configparser.ConfigParser",
        "dotenv.load_dotenv",
        "dotenv.dotenv_values",
    }
)
# A config-looking read on one line: `json.load(f)` near "config", `settings_path.read_text()`.
_READ_LINE = re.compile(
    r"(?i)^.*(config|settings|prefs|preferences|hotkey|\.ini|\.toml|\.ya?ml).*"
    r"(json\.load|yaml\.\w*load|toml\w*\.load|read_text|read_bytes|open\().*$"
    r"|^.*(json\.load|yaml\.\w*load|toml\w*\.load|read_text|read_bytes|open\().*"
    r"(config|settings|prefs|preferences|hotkey|\.ini|\.toml|\.ya?ml).*$",
    re.MULTILINE,
)
_PATH_READS = frozenset({"read_text", "read_bytes"})
_CONFIG_WORDS = re.compile(r"config|settings|prefs|preferences|hotkey|\.ini|\.toml|\.ya?ml", re.I)
# Functions whose job is to (re)load: reading there is expected.
_LOADERS = re.compile(
    r"^_?(__init__|load|read|reload|import|parse|restore|open|migrate|from_|refresh)", re.I
)


class ConfigReadPerCall(Rule):
    """A getter that parses a file turns a dict lookup into disk I/O."""

    ID = "CIA1002"
    AREA = 10
    TITLE = "Configuration file read and parsed on every call"
    RATIONALE = (
        "A getter that opens and parses the config file each time it is called does disk "
        "I/O and parsing for what should be a dictionary lookup; called per node, per "
        "keystroke or per tick it adds milliseconds each time (more on Windows with "
        "antivirus) and blocks the calling thread, often the GUI or event loop."
    )
    # A parse costs milliseconds; how often the function runs the code rarely says (a dialog
    # opened by hand, or once per node): MEDIUM unless a hot path or a profile says more.
    IMPACT = 3
    FREQUENCY = 4
    DIFFICULTY = 2
    RECOMMENDATION = (
        "Load once and keep the parsed result (module-level cache, `functools.lru_cache`, "
        "or an attribute set in `__init__`); reload explicitly when the file changes "
        "(mtime check or a file watcher), never per lookup."
    )
    EXAMPLE_BEFORE = """\
def get_timeout(self):
    with open(self.config_path) as f:
        return json.load(f)["timeout"]
"""
    EXAMPLE_AFTER = """\
@functools.cached_property
def _config(self):
    with open(self.config_path) as f:
        return json.load(f)

def get_timeout(self):
    return self._config["timeout"]
"""
    TAGS = ("io", "configuration", "caching", "per-call")
    TRIGGERS = ("json", "yaml", "toml", "configparser", "dotenv", "read_text", "read_bytes")
    VALID = (
        Valid(
            """\
            import json
            def load_config(path):
                with open(path) as f:
                    return json.load(f)
            """
        ),
        Valid(
            """\
            import functools, json
            @functools.lru_cache
            def get_config():
                with open("config.json") as f:
                    return json.load(f)
            """
        ),
    )
    INVALID = (
        Invalid(
            """\
            import json
            def get_timeout(self):
                with open(self.config_path) as f:
                    return json.load(f)["timeout"]
            """,
            line=4,
            message_contains="self.config_path",
        ),
    )

    @classmethod
    def wants(cls, source: str) -> bool:
        # The same test as `_READ_LINE` (a config word on a line that reads a file), line by
        # line from each read: the one regex backtracked over every line of every file.
        if not super().wants(source):
            return False
        reads = r"(?i)json\.load|yaml\.\w*load|toml\w*\.load|read_text|read_bytes|open\("
        for read in re.finditer(reads, source):
            start = source.rfind("\n", 0, read.start()) + 1
            end = source.find("\n", read.end())
            if _CONFIG_WORDS.search(source, start, len(source) if end == -1 else end):
                return True
        return False

    def visit_Module(self, node: cst.Module) -> None:
        self._imports = import_map(node)

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        if _LOADERS.match(node.name.value):
            return
        if decorator_names(node) & {"lru_cache", "cache", "cached_property", "cached"}:
            return
        walk = body_nodes(node)
        opened = [
            c.args[0].value
            for c, _ in walk
            if isinstance(c, cst.Call) and call_name(c) == "open" and c.args
        ]
        for sub, _ in walk:
            if not isinstance(sub, cst.Call):
                continue
            qualified = self._imports.qualify(sub.func) or ""
            if qualified in _READERS:
                source = opened[0] if opened else sub
            elif call_name(sub) in _PATH_READS and isinstance(sub.func, cst.Attribute):
                source = sub.func.value
            else:
                continue
            if not _CONFIG_WORDS.search(names_text(source)):
                continue
            self.report(
                sub,
                f"{node.name.value}() reads and parses `{source_of(source, 80)}` from disk on "
                f"every call: load it once and cache the parsed result; reload only when it "
                f"changes.",
            )
            return
