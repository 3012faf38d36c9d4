"""CIA603: a literal concurrency limit is a knob to consider, LOW."""

from __future__ import annotations

import textwrap

from analyzers.context import FileContext
from analyzers.engine import analyze_source
from analyzers.rules.a6_hard_coded_concurrency import HardCodedConcurrency


def test_a_literal_semaphore_is_low():
    code = textwrap.dedent(
        """\
        import asyncio
        class Gossip:
            def __init__(self):
                self._queries = asyncio.Semaphore(5)
        """
    )
    findings = analyze_source(code, FileContext(relpath="gossip.py"), [HardCodedConcurrency])
    assert [(f.line, f.severity.value, f.priority.score) for f in findings] == [(4, "LOW", 26)]
