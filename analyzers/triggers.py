"""Which rule triggers a source contains, found in one pass over the text.

Every traversal rule names the substrings a file must contain for the rule to run on it
(`Rule.TRIGGERS`). Asking `trigger in source` for each of the ~190 distinct triggers scans
every file ~190 times: 0.7 s of CPU on CasareRPA's 365 files, against 0.17 s for one
Aho-Corasick pass (pyahocorasick) that reports every trigger present, overlapping ones
included.
"""

from __future__ import annotations

from collections.abc import Iterable

import ahocorasick


class TriggerIndex:
    """The triggers present in a source; grows when asked about a trigger it lacks."""

    def __init__(self) -> None:
        self._words: frozenset[str] = frozenset()
        self._automaton: ahocorasick.Automaton | None = None
        # Every rule asks about the same file in turn: remember the last one by identity.
        self._last: str | None = None
        self._present: frozenset[str] = frozenset()

    def present(self, source: str, wanted: Iterable[str]) -> frozenset[str]:
        """The triggers found in `source`, after making sure `wanted` are all looked for."""
        wanted = frozenset(wanted)
        if not wanted <= self._words:
            self._build(self._words | wanted)
        elif source is self._last:
            return self._present
        assert self._automaton is not None
        found = frozenset(word for _, word in self._automaton.iter(source))
        self._last, self._present = source, found
        return found

    def _build(self, words: frozenset[str]) -> None:
        automaton = ahocorasick.Automaton()
        for word in words:
            automaton.add_word(word, word)
        automaton.make_automaton()
        self._words, self._automaton, self._last = words, automaton, None


_INDEX = TriggerIndex()


def triggers_in(source: str, wanted: Iterable[str]) -> frozenset[str]:
    """The triggers of `wanted` (and of every rule asked before) that `source` contains."""
    return _INDEX.present(source, wanted)
