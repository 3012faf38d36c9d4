"""CIA904: a per-item emit, and what it costs when nothing is connected."""

from __future__ import annotations

from analyzers.context import FileContext
from analyzers.engine import analyze_source
from analyzers.rules.a9_emit_in_loop import EmitInLoop

LOOP = (
    "def layout(self, nodes):\n"
    "    for node in nodes:\n"
    "        node.setPos(0, 0)\n"
    "        self.node_moved.emit(node.id)\n"
)


def _found(code: str) -> list[tuple[int, str, int, bool]]:
    findings = analyze_source(code, FileContext(relpath="graph.py"), [EmitInLoop])
    return [(f.line, f.severity.value, f.priority.score, "no-receiver" in f.tags) for f in findings]


def test_a_connected_signal_keeps_the_rule_default() -> None:
    connected = LOOP + "\ndef bind(panel, graph):\n    graph.node_moved.connect(panel.refresh)\n"
    assert _found(connected) == [(4, "MEDIUM", 49, False)]


def test_a_signal_nothing_connects_is_low() -> None:
    assert _found(LOOP) == [(4, "LOW", 14, True)]


def test_an_emit_per_dropped_file_is_low() -> None:
    code = (
        "class Stack:\n"
        "    def dropEvent(self, event):\n"
        "        for fname in event.files:\n"
        "            self.load_file.emit(fname)\n"
        "\ndef bind(stack, editor):\n    stack.load_file.connect(editor.load)\n"
    )
    assert _found(code) == [(4, "LOW", 19, False)]


def test_an_emit_per_item_of_a_paced_loop_is_low() -> None:
    code = (
        "class Feeds:\n"
        "    async def load(self, feed):\n"
        "        for entry in feed.entries:\n"
        "            await asyncio.sleep(0.1)\n"
        "            self.entry_added.emit(entry)\n"
        "\ndef bind(feeds, view):\n    feeds.entry_added.connect(view.add_row)\n"
    )
    assert _found(code) == [(5, "LOW", 19, False)]
    # sleep(0) only yields: no pacing, the rule's default rank.
    assert _found(code.replace("sleep(0.1)", "sleep(0)")) == [(5, "MEDIUM", 49, False)]


def test_an_emit_only_for_keys_not_seen_before_is_low() -> None:
    code = (
        "class Search:\n"
        "    def process(self):\n"
        "        for name, line in self.results:\n"
        "            if name not in self.files:\n"
        "                self.files.append(name)\n"
        "                self.file_found.emit(name)\n"
        "\ndef bind(search, tree):\n    search.file_found.connect(tree.add_file)\n"
    )
    assert _found(code) == [(6, "LOW", 29, False)]


def test_an_emit_per_item_of_a_capped_deque_is_low() -> None:
    code = (
        "class History:\n"
        "    def __init__(self, size=256):\n"
        "        self._entries = collections.deque(maxlen=size)\n"
        "    def clear(self):\n"
        "        for entry in self._entries:\n"
        "            self.entry_removed.emit(entry)\n"
        "        self._entries.clear()\n"
        "\ndef bind(history, view):\n    history.entry_removed.connect(view.drop_row)\n"
    )
    assert _found(code) == [(6, "LOW", 29, False)]
    # A cap of a million is no small bound: the rule's default rank.
    big = code.replace("maxlen=size", "maxlen=1_000_000")
    assert _found(big) == [(6, "MEDIUM", 49, False)]


def test_a_loop_over_items_only_an_uncalled_method_adds_is_low() -> None:
    code = (
        "class Tracker:\n"
        "    def __init__(self):\n"
        "        self._items = []\n"
        "    def track(self, item):\n"
        "        self._items.append(item)\n"
        "    def refresh(self):\n"
        "        for item in self._items:\n"
        "            self.item_changed.emit(item)\n"
        "\ndef bind(tracker, view):\n    tracker.item_changed.connect(view.redraw)\n"
    )
    assert _found(code) == [(8, "LOW", 9, False)]
    # Once something calls the adder, the rule's default rank.
    called = code + "\ndef feed(tracker, item):\n    tracker.track(item)\n"
    assert _found(called) == [(8, "MEDIUM", 49, False)]
