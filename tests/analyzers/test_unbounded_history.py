"""CIA301: how severe an unbounded history is, from what its owner and its adders say."""

from __future__ import annotations

import textwrap

from analyzers.context import FileContext
from analyzers.engine import analyze_source
from analyzers.rules.a3_unbounded_history import UnboundedHistory


def _found(code: str) -> list[tuple[int, str, int]]:
    findings = analyze_source(
        textwrap.dedent(code), FileContext(relpath="history.py"), [UnboundedHistory]
    )
    return [(f.line, f.severity.value, f.priority.score) for f in findings]


_CONTEXT = """\
class ExecutionContext:
    def __init__(self):
        self.execution_history = []
    def record_node(self, node_id, result):
        self.execution_history.append((node_id, result))
"""


def test_a_history_of_unknown_owner_and_rate_is_medium():
    assert _found(_CONTEXT) == [(3, "MEDIUM", 46)]


def test_a_history_made_per_run_or_grown_only_on_failure_is_low():
    per_run = _CONTEXT + "async def run(workflow):\n    context = ExecutionContext()\n"
    assert _found(per_run) == [(3, "LOW", 26)]
    on_failure = _CONTEXT.replace("def record_node", "def record_failure")
    assert _found(on_failure) == [(3, "LOW", 26)]
