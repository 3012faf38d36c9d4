"""CIA902: how severe a subscription that is never undone is."""

from __future__ import annotations

import textwrap

from analyzers.context import FileContext
from analyzers.engine import analyze_source
from analyzers.rules.a9_subscribe_without_unsubscribe import SubscribeWithoutUnsubscribe


def _found(code: str) -> list[tuple[int, str, int]]:
    findings = analyze_source(
        textwrap.dedent(code), FileContext(relpath="subs.py"), [SubscribeWithoutUnsubscribe]
    )
    return [(f.line, f.severity.value, f.priority.score) for f in findings]


def test_unknown_lifetime_is_medium_and_a_dialog_per_click_is_lower():
    # Nobody in the tree makes the controller: how many pile up is unknown.
    assert _found(SubscribeWithoutUnsubscribe.INVALID[2].code) == [(4, "MEDIUM", 46)]
    # A dialog made anew by a menu action: one more per opening, at the pace of clicks.
    assert _found(SubscribeWithoutUnsubscribe.INVALID[1].code) == [(7, "MEDIUM", 36)]
