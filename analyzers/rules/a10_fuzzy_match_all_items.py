"""CIA1001: fuzzy/edit-distance scoring of every item per query, with no cutoff or cache."""

from __future__ import annotations

import re

import libcst as cst

from analyzers.rule import Invalid, Rule, Valid
from analyzers.rules._shapes import (
    arg,
    body_nodes,
    call_name,
    decorator_names,
    enclosing_loop,
    import_map,
)

_SCORERS_QUALIFIED = frozenset(
    {
        "difflib.SequenceMatcher",
        "difflib.get_close_matches",
        "Levenshtein.distance",
        "Levenshtein.ratio",
        "rapidfuzz.fuzz.ratio",
        "rapidfuzz.fuzz.partial_ratio",
        "thefuzz.fuzz.ratio",
        "fuzzywuzzy.fuzz.ratio",
        "jellyfish.levenshtein_distance",
    }
)
_SCORER_NAMES = re.compile(r"levenshtein|edit_distance|damerau|fuzzy_score|fuzzy_ratio", re.I)
_CACHE_NAMES = ("_cache", "cache", "lru_cache", "_index", "prefix")


class FuzzyMatchAllItems(Rule):
    """O(items x len^2) work on every keystroke of a search box."""

    ID = "CIA1001"
    AREA = 10
    TITLE = "Fuzzy match scores every item per query with no cutoff or cache"
    RATIONALE = (
        "Edit-distance scoring is O(len(a) * len(b)) per pair; running it over every node "
        "type or command on each keystroke makes typing latency grow with the catalogue, "
        "and without a cutoff every item pays the full cost even when it cannot rank."
    )
    IMPACT = 4
    FREQUENCY = 6
    DIFFICULTY = 3
    RECOMMENDATION = (
        "Prefilter cheaply (prefix/initials/substring index) before scoring, pass a "
        "`score_cutoff`/`cutoff`, cache results per query and narrow from the previous "
        "query's results while the user keeps typing; use rapidfuzz's `process.extract` "
        "with `limit` and `score_cutoff`."
    )
    EXAMPLE_BEFORE = """\
def search(self, query):
    scored = [(difflib.SequenceMatcher(None, query, n).ratio(), n) for n in self._names]
    return sorted(scored, reverse=True)[:10]
"""
    EXAMPLE_AFTER = """\
def search(self, query):
    return rapidfuzz.process.extract(query, self._names, limit=10, score_cutoff=60)
"""
    TAGS = ("algorithmic", "search", "latency", "per-call")
    TRIGGERS = (
        "difflib",
        "Levenshtein",
        "levenshtein",
        "fuzz",
        "jellyfish",
        "edit_distance",
        "damerau",
        "similarity",
    )
    VALID = (
        Valid(
            """\
            import difflib
            def suggest(word, names):
                return difflib.get_close_matches(word, names, n=3, cutoff=0.8)
            """
        ),
        Valid(
            """\
            import difflib
            def search(self, query):
                if query in self._cache:
                    return self._cache[query]
                return [difflib.SequenceMatcher(None, query, n).ratio() for n in self._names]
            """
        ),
    )
    INVALID = (
        Invalid(
            """\
            import difflib
            def search(self, query):
                scored = []
                for name in self._names:
                    scored.append((difflib.SequenceMatcher(None, query, name).ratio(), name))
                return sorted(scored)[:10]
            """,
            line=5,
        ),
        Invalid(
            """\
            def search(self, query):
                return [n for n in self._items if levenshtein(query, n) < 3]
            """,
            line=2,
            message_contains="levenshtein",
        ),
    )

    @classmethod
    def wants(cls, source: str) -> bool:
        return (
            super().wants(source)
            and re.search(
                r"difflib|Levenshtein|levenshtein|rapidfuzz|thefuzz|fuzzywuzzy|jellyfish|"
                r"edit_distance|damerau|fuzzy_score|fuzzy_ratio",
                source,
            )
            is not None
        )

    def visit_Module(self, node: cst.Module) -> None:
        self._imports = import_map(node)

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        if decorator_names(node) & {"lru_cache", "cache"} or _SCORER_NAMES.search(node.name.value):
            return
        walk = body_nodes(node)
        if any(
            isinstance(n, (cst.Name, cst.Attribute))
            and any(
                c in (n.value if isinstance(n, cst.Name) else n.attr.value) for c in _CACHE_NAMES
            )
            for n, _ in walk
        ):
            return
        for sub, ancestors in walk:
            if not isinstance(sub, cst.Call):
                continue
            qualified = self._imports.qualify(sub.func) or ""
            name = call_name(sub)
            if qualified == "difflib.get_close_matches":
                if arg(sub, 3, "cutoff") is None:
                    self.report(
                        sub,
                        "`get_close_matches` without `cutoff` scores every item: "
                        "pass a cutoff and cache per query.",
                    )
                    return
                continue
            if qualified not in _SCORERS_QUALIFIED and not _SCORER_NAMES.search(name):
                continue
            if enclosing_loop(sub, ancestors, comprehensions=True) is None:
                continue
            self.report(
                sub,
                f"`{name}` scores every item on each {node.name.value}() call with no cutoff "
                f"or cache: prefilter, pass a score cutoff, and cache per query.",
            )
            return
