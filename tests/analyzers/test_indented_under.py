"""`indented_under`, the text prefilter several rules share: a body line counts only under an
open head (every line since indented deeper) at most `window` lines above."""

from __future__ import annotations

import re

from analyzers.rules._shapes import LOOP_HEAD, indented_under

EMIT = re.compile(r"\.emit\(")


def test_a_body_line_under_an_open_loop_counts():
    assert indented_under("for x in xs:\n    y = 1\n\n    sig.emit(x)\n", LOOP_HEAD, EMIT)


def test_a_dedent_closes_the_loop_and_the_head_line_itself_does_not_count():
    assert not indented_under("for x in xs:\n    pass\nsig.emit(1)\n", LOOP_HEAD, EMIT)
    assert not indented_under("for x in xs: sig.emit(x)\n", LOOP_HEAD, EMIT)
    # a deeper line closes nothing; a line at the loop's own indent does
    assert indented_under("for x in xs:\n        a = 1\n    sig.emit(x)\n", LOOP_HEAD, EMIT)
    assert not indented_under("  for x in xs:\n  a = 1\n    sig.emit(x)\n", LOOP_HEAD, EMIT)


def test_the_window_counts_lines_back_to_the_head():
    source = "for x in xs:\n" + "    a = 1\n" * 9 + "    sig.emit(x)\n"
    assert indented_under(source, LOOP_HEAD, EMIT, window=10)
    assert not indented_under(source, LOOP_HEAD, EMIT, window=9)


def test_other_line_breaks_read_as_str_splitlines_does():
    # a form feed is a line break for splitlines: the emit is on a line of its own
    assert indented_under("for x in xs:\n    a = 1\f    sig.emit(x)\n", LOOP_HEAD, EMIT)
    assert not indented_under("for x in xs:\n    a = 1\fsig.emit(x)\n", LOOP_HEAD, EMIT)
