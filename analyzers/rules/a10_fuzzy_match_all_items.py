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
# A slot wired to each keystroke of a text box: the one evidence a static look has that the
# scoring runs hot (`edit.textChanged.connect(self.search)`).
_KEYSTROKE = re.compile(r"\.text(?:Changed|Edited)\.connect\(\s*self\.(\w+)\s*\)")


def _small_collection(expr: cst.BaseExpression, walk: list) -> bool:
    """A literal list/tuple/set, an enum's members (`Colour.__members__`, `list(Colour)`),
    or a local name assigned one of those: a handful of items by construction."""
    if isinstance(expr, (cst.List, cst.Tuple, cst.Set)):
        return all(isinstance(e.value, cst.SimpleString) for e in expr.elements)
    if isinstance(expr, cst.Attribute) and expr.attr.value == "__members__":
        return True
    if isinstance(expr, cst.Call) and call_name(expr) in ("list", "tuple", "sorted", "set"):
        first = arg(expr, 0)
        return first is not None and _small_collection(first, walk)
    if isinstance(expr, cst.Call) and call_name(expr) in ("keys", "values", "items"):
        return isinstance(expr.func, cst.Attribute) and _small_collection(expr.func.value, walk)
    if isinstance(expr, cst.Name):
        values = [
            n.value
            for n, _ in walk
            if isinstance(n, cst.Assign)
            and len(n.targets) == 1
            and isinstance(n.targets[0].target, cst.Name)
            and n.targets[0].target.value == expr.value
        ]
        return bool(values) and all(_small_collection(v, walk) for v in values)
    return False


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
        # A name scored against an enum's members: a handful of items, LOW.
        Invalid(
            """\
            def guess_mode(word):
                names = list(Mode.__members__.keys())
                scores = [edit_distance(word, n) for n in names]
                return names[scores.index(min(scores))]
            """,
            line=3,
            message_contains="a handful by construction",
        ),
        # A list passed in by callers nobody can size statically: MEDIUM, said as a guess.
        Invalid(
            """\
            def closest(value, options):
                scores = [levenshtein(o, value) for o in options]
                return options[scores.index(min(scores))]
            """,
            line=2,
            message_contains="not known statically",
        ),
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
        self._keystroke_slots = set(_KEYSTROKE.findall(node.code))

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
            loop = enclosing_loop(sub, ancestors, comprehensions=True)
            if loop is None:
                continue
            fn = node.name.value
            if isinstance(loop, (cst.For, cst.CompFor)):
                iters = [loop.iter]
            elif isinstance(getattr(loop, "for_in", None), cst.CompFor):
                iters = [loop.for_in.iter]
            else:
                iters = []
            if iters and all(_small_collection(it, walk) for it in iters):
                self.report(
                    sub,
                    f"`{name}` scores every item on each {fn}() call with no cutoff, but the "
                    "items are a literal list or an enum's members, a handful by "
                    "construction: microseconds per call.",
                    impact=1,
                    frequency=3,
                )
                return
            if fn in self._keystroke_slots:
                self.report(
                    sub,
                    f"`{name}` scores every item on each keystroke ({fn}() is connected to a "
                    "text change) with no cutoff or cache: prefilter, pass a score cutoff, "
                    "and cache per query.",
                )
                return
            # No evidence the list is long or the call hot: a static guess, not HIGH.
            self.report(
                sub,
                f"`{name}` scores every item on each {fn}() call with no cutoff or cache; how "
                "long the list gets and how often this runs are not known statically: if it "
                "serves a search box over a large catalogue, prefilter, pass a score cutoff, "
                "and cache per query.",
                impact=3,
                frequency=4,
            )
            return
