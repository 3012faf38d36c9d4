"""CIA1003: a regular expression compiled inside a function on every call."""

from __future__ import annotations

import re

import libcst as cst

from analyzers.rule import Invalid, Rule, Valid
from analyzers.rules._shapes import arg, body_nodes, enclosing_loop, import_map, source_of

_RE_FUNCS = frozenset({"re.compile", "regex.compile"})
_RE_USES = frozenset(
    {
        "re.match",
        "re.search",
        "re.fullmatch",
        "re.sub",
        "re.subn",
        "re.findall",
        "re.finditer",
        "re.split",
    }
)
_VALIDATORS = re.compile(r"valid|check|verify|is_valid|parse_config", re.IGNORECASE)


class RegexCompiledPerCall(Rule):
    """Compile work (or a cache lookup and thrash) repeated on the hot path."""

    ID = "CIA1003"
    AREA = 10
    TITLE = "Regex compiled per call (or dynamic pattern used in a loop)"
    RATIONALE = (
        "`re.compile(...)` inside a function re-compiles (or at best looks up in `re`'s "
        "512-entry cache) on every call; with patterns built per call from changing text, "
        "the cache thrashes and each call pays a full compile. Inside a loop over items "
        "the cost multiplies per item."
    )
    IMPACT = 2
    FREQUENCY = 6
    DIFFICULTY = 1
    RECOMMENDATION = (
        "Compile constant patterns once at module level (`_PATTERN = re.compile(...)`); "
        "for patterns built from user text, compile once when the text changes (in the "
        "setter/constructor) or memoize with `functools.lru_cache` on the pattern string."
    )
    EXAMPLE_BEFORE = """\
def resolve(text):
    pattern = re.compile(r"\\{\\{\\s*(\\w+)\\s*\\}\\}")
    return pattern.sub(lookup, text)
"""
    EXAMPLE_AFTER = """\
_VARIABLE = re.compile(r"\\{\\{\\s*(\\w+)\\s*\\}\\}")

def resolve(text):
    return _VARIABLE.sub(lookup, text)
"""
    TAGS = ("cpu", "caching", "per-call")
    TRIGGERS = ("import re", "from re ", "import regex")
    VALID = (
        Valid(
            """\
            import re
            _P = re.compile(r"\\d+")
            def f(text):
                return _P.findall(text)
            """
        ),
        # Validating a user-supplied pattern once is not a hot path.
        Valid(
            """\
            import re
            def validate_config(self, pattern):
                try:
                    re.compile(pattern)
                except re.error:
                    return False
            """
        ),
        Valid(
            """\
            import re
            def f(lines):
                return [l for l in lines if re.match(r"^#", l)]
            """
        ),
    )
    INVALID = (
        Invalid(
            """\
            import re
            def resolve(text):
                pattern = re.compile(r"\\{\\{(\\w+)\\}\\}")
                return pattern.sub("", text)
            """,
            line=3,
        ),
        Invalid(
            """\
            import re as regex_mod
            def grep(lines, words):
                hits = []
                for word in words:
                    for line in lines:
                        if regex_mod.search(rf"\\b{word}\\b", line):
                            hits.append(line)
                return hits
            """,
            line=6,
            message_contains="loop",
        ),
    )

    @classmethod
    def wants(cls, source: str) -> bool:
        return super().wants(source) and (
            "compile(" in source
            or re.search(
                r"\.(search|match|fullmatch|sub|subn|findall|finditer|split)\(\s*(?:rf|fr|f)[\"']",
                source,
                re.IGNORECASE,
            )
            is not None
        )

    def visit_Module(self, node: cst.Module) -> None:
        self._imports = import_map(node)

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        if node.name.value == "__init__" or _VALIDATORS.search(node.name.value):
            return
        for sub, ancestors in body_nodes(node):
            if not isinstance(sub, cst.Call):
                continue
            qualified = self._imports.qualify(sub.func)
            pattern = arg(sub, 0)
            if qualified in _RE_FUNCS:
                if any(isinstance(a, cst.Try) for a in ancestors):
                    continue  # compile-to-validate
                self.report(
                    sub,
                    f"`{source_of(sub, 50)}` compiles on every {node.name.value}() call: "
                    f"compile once at module level or when the pattern text changes.",
                )
                return
            if (
                qualified in _RE_USES
                and isinstance(pattern, (cst.FormattedString, cst.BinaryOperation))
                and enclosing_loop(sub, ancestors, comprehensions=True) is not None
            ):
                self.report(
                    sub,
                    f"`{qualified}` with a pattern built per call runs inside a loop: compile "
                    f"the pattern once before the loop and reuse the compiled object.",
                )
                return
