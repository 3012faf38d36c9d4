"""CIA1007: a search index built over all items to answer one query, then thrown away."""

from __future__ import annotations

import re

from analyzers.findings import ChainStep
from analyzers.project import FunctionInfo
from analyzers.project_rule import ProjectRule
from analyzers.rule import Invalid, Valid

# Classes whose construction pre-computes over every item so that queries are cheap.
_INDEX_CLASS = re.compile(r"(Index|Trie|Matcher|Searcher|Automaton|Lookup)$")
_QUERY_METHODS = frozenset({"search", "query", "find", "match", "lookup", "get_matches"})


class IndexBuiltPerQuery(ProjectRule):
    """`index = SearchIndex(items); return index.search(q)` on every keystroke."""

    ID = "CIA1007"
    AREA = 10
    TITLE = "Search index rebuilt for every query"
    RATIONALE = (
        "The index exists to make queries cheap by doing the per-item work (lower-casing, "
        "splitting words, initials) once. Building it inside the query function repeats that "
        "work over every item for every query - per keystroke in a search box - and then "
        "discards it, so the index costs more than a plain scan."
    )
    IMPACT = 4
    FREQUENCY = 6
    DIFFICULTY = 2
    RECOMMENDATION = (
        "Build the index once when the items change (keep it on the widget or cache it keyed "
        "by the item list's version) and only call `search()` per query."
    )
    EXAMPLE_BEFORE = (
        "def fuzzy_search(query, items):\n    index = SearchIndex(items)\n"
        "    return index.search(query)"
    )
    EXAMPLE_AFTER = (
        "def set_items(self, items):\n    self._index = SearchIndex(items)\n\n"
        "def on_text_changed(self, text):\n    self.show(self._index.search(text))"
    )
    TAGS = ("algorithmic", "search")
    TRIGGERS = ("Index(", "Trie(", "Matcher(", "Searcher(", "Automaton(", "Lookup(")
    VALID = (
        # Constructing a holder that indexes nothing is cheap.
        Valid(
            "class SongMatcher:\n    def __init__(self, app):\n        self._app = app\n"
            "    def match(self, s):\n        return self._app.find(s)\n"
            "def match_song(app, s):\n    matcher = SongMatcher(app)\n"
            "    return matcher.match(s)\n"
        ),
        Valid(
            "class SearchIndex:\n    def __init__(self, items):\n        self.items = items\n"
            "    def search(self, q):\n        return [i for i in self.items if q in i]\n"
            "class Menu:\n    def set_items(self, items):\n"
            "        self._index = SearchIndex(items)\n"
            "    def on_text(self, q):\n        return self._index.search(q)\n"
        ),
    )
    INVALID = (
        Invalid(
            "class SearchIndex:\n"
            "    def __init__(self, items):\n"
            "        self.items = [i.lower() for i in items]\n"
            "    def search(self, q):\n"
            "        return [i for i in self.items if q in i]\n"
            "def fuzzy_search(query, items):\n"
            "    index = SearchIndex(items)\n"
            "    return index.search(query)\n",
            line=7,
            message_contains="SearchIndex",
        ),
    )

    def check_project(self) -> None:
        project = self.project
        for fn in self.functions():
            if fn.name == "__init__":
                continue
            for var, ctor in fn.local_types.items():
                if ctor not in project.classes or not _INDEX_CLASS.search(ctor):
                    continue
                built = next((c for c in fn.calls if c.target == ctor), None)
                queried = next(
                    (
                        c
                        for c in fn.calls
                        if c.target.partition(".")[0] == var
                        and c.target.rpartition(".")[2] in _QUERY_METHODS
                    ),
                    None,
                )
                if built is None or queried is None or self._kept(fn, var):
                    continue
                if not self._indexes_items(ctor):
                    continue  # a cheap holder (stores a reference), not an index
                name = ctor.rsplit(".", 1)[-1]
                self.report_at(
                    built.line,
                    f"`{fn.name}` builds a `{name}` over all items to answer one query and "
                    "discards it: the per-item indexing work repeats on every call; build the "
                    "index once when the items change.",
                    end_line=built.end_line,
                    related=(ChainStep(fn.relpath, queried.line, fn.qualname, queried.target),),
                )
                break

    def _indexes_items(self, ctor: str) -> bool:
        """The constructor loops over items itself or through its own methods."""
        project = self.project
        init = project.method(ctor, "__init__")
        if init is None:
            return False
        if init.loop_iters:
            return True
        for call in init.calls:
            callee = project.resolve(init, call.target)
            if callee is not None and callee.cls == init.cls and callee.loop_iters:
                return True
        return False

    @staticmethod
    def _kept(fn: FunctionInfo, var: str) -> bool:
        """Handed to something that keeps it (`self._cache[k] = index`, `register(index)`)."""
        return any(var in c.callables for c in fn.calls)
