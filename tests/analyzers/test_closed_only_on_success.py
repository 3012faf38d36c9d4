"""CIA506: a local closed only on success leaks until its frame is freed: LOW."""

from __future__ import annotations

import textwrap

from analyzers.context import FileContext
from analyzers.engine import analyze_source
from analyzers.rules.a5_closed_only_on_success import ClosedOnlyOnSuccess


def test_a_local_closed_only_on_success_is_low():
    code = textwrap.dedent(
        """\
        import imaplib
        def unread(host, user, pw):
            mail = imaplib.IMAP4_SSL(host)
            mail.login(user, pw)
            mail.logout()
        """
    )
    findings = analyze_source(code, FileContext(relpath="mail.py"), [ClosedOnlyOnSuccess])
    assert [(f.line, f.severity.value, f.priority.score) for f in findings] == [(5, "LOW", 28)]
