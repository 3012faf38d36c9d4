"""The window shows what it could read of a damaged session and says what it could not."""

from __future__ import annotations

import sqlite3

from tests.gui.session_factory import build_session

TIMEOUT = 15_000


def test_a_damaged_session_opens_with_a_bar_and_stays_out_of_recent(window, qtbot, tmp_path):
    path = tmp_path / "damaged.session"
    build_session(path, tmp_path / "src", seconds=10).close()
    conn = sqlite3.connect(path)
    conn.execute("UPDATE records SET data = '{broken' WHERE id IN (1, 2)")
    conn.commit()
    conn.close()
    with qtbot.waitSignal(window.session_opened, timeout=TIMEOUT):
        window.open_session(path)
    qtbot.waitUntil(
        lambda: (
            window.message_bar.text == "Session damaged.session: skipped unreadable rows: 2 records"
        ),
        timeout=TIMEOUT,
    )
    assert all(r.path != str(path) for r in window.settings.recent)
    assert window.session is not None and window.session.records()
