"""A finding's identity: what it is about, never where it happens to be or how it is worded.

`Finding.fingerprint` hashes rule, path, enclosing symbol, `anchor` and `occurrence`. Here the
anchor of a static finding is taken from the flagged statement's own text (whitespace folded,
a trailing comment dropped), and the occurrence index tells apart repeats of one anchor in one
symbol (two `time.sleep(1)` in one coroutine), numbered in source order. Lines moved by an edit
above, rewording of a message and new measurements therefore leave the fingerprint alone.
"""

from __future__ import annotations

import io
import tokenize
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import replace

from analyzers.findings import Finding


def normalize_statement(line: str) -> str:
    """One source line as an identity anchor: no indentation, folded spaces, no comment."""
    text = line.strip()
    if "#" in text:
        text = _without_comment(text)
    return " ".join(text.split())


def _without_comment(text: str) -> str:
    # tokenize knows a `#` inside a string from a comment; a line that does not tokenize on its
    # own (an open bracket) keeps its text, which is still stable across moves.
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(text + "\n").readline))
    except (tokenize.TokenError, SyntaxError, IndentationError):
        return text
    for tok in tokens:
        if tok.type == tokenize.COMMENT:
            return text[: tok.start[1]].rstrip()
    return text


def anchor_from_sources(findings: Iterable[Finding], sources: Mapping[str, str]) -> list[Finding]:
    """Give every finding without an anchor the text of its flagged line from `sources`."""
    lines: dict[str, list[str]] = {}
    out = []
    for f in findings:
        if f.anchor or f.path not in sources:
            out.append(f)
            continue
        text = lines.get(f.path)
        if text is None:
            text = lines[f.path] = sources[f.path].splitlines()
        if 1 <= f.line <= len(text):
            f = replace(f, anchor=normalize_statement(text[f.line - 1]))
        out.append(f)
    return out


def number_occurrences(findings: Iterable[Finding]) -> list[Finding]:
    """Set `occurrence` so no two findings share a fingerprint; order of the input is kept.

    Deterministic and idempotent: within one (rule, path, symbol, anchor) group the findings
    are numbered by position in the file, so re-numbering a numbered list changes nothing.
    """
    items = list(findings)
    groups: dict[tuple[str, str, str, str], list[int]] = defaultdict(list)
    for i, f in enumerate(items):
        groups[(f.rule, f.path, f.symbol, f.anchor)].append(i)
    for members in groups.values():
        order = sorted(members, key=lambda i: _position(items[i]))
        for n, i in enumerate(order):
            if items[i].occurrence != n:
                items[i] = replace(items[i], occurrence=n)
    return items


def _position(f: Finding) -> tuple[int, int, int, str]:
    return (f.line, f.col, f.end_line, f.message)


def stamp_identity(findings: Iterable[Finding], sources: Mapping[str, str]) -> list[Finding]:
    """Anchors from the sources, then occurrence numbers: the last step of every audit."""
    return number_occurrences(anchor_from_sources(findings, sources))
