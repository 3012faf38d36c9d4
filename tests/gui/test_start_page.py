"""The start page and the Launch dialog: profiles follow the target, environments are kept."""

from __future__ import annotations

import pytest

from inspector.core.process_list import PythonProcess
from inspector.core.settings import load_settings


def _proc(pid: int, command: str, casare: bool = False, ours: bool = False) -> PythonProcess:
    return PythonProcess(
        pid=pid,
        name="python",
        command=command,
        python="3.12",
        uses_qt=True,
        looks_like_casare=casare,
        is_inspector=ours,
    )


def test_profile_box_follows_the_selected_row(window, qtbot) -> None:
    page = window.start_page
    page.model.set_processes(
        [
            _proc(11, "python run.py", casare=True),
            _proc(12, "python -m inspector.demo"),
            _proc(13, "python other.py"),
            _proc(14, "casare-inspector audit src/casare_rpa", ours=True),
        ]
    )
    page._filter("")
    expected = {11: "casare_rpa", 12: "demo", 13: "generic", 14: "generic"}
    for pid, profile in expected.items():
        assert page.select_pid(pid)
        assert page.profile_box.currentText() == profile, pid
    assert page.model.data(page.model.index(3, 3)) == "inspector"
    assert page.model.data(page.model.index(0, 3)) == "CasareRPA"
    with qtbot.assertNotEmitted(page.attach_requested):
        page._attach()  # our own process: a hint, no attach
    assert "inspector's own process" in page.status.text()
    assert page.select_pid(11)
    with qtbot.waitSignal(page.attach_requested) as blocker:
        page._attach()
    assert blocker.args == [11, "casare_rpa"]


def test_launch_dialog_profile_comes_from_the_command(window) -> None:
    dialog = window.launch_dialog()  # no launch yet: empty form
    assert dialog.profile_box.currentText() == "generic"
    dialog.command_edit.setText("python -m inspector.demo")
    assert dialog.profile_box.currentText() == "demo"
    dialog.command_edit.setText("python run.py")
    dialog.cwd_edit.setText("/home/me/CasareRPA")
    assert dialog.profile_box.currentText() == "casare_rpa"


def test_launch_environment_is_parsed_and_remembered_per_target(window, monkeypatch) -> None:
    launched: list = []
    monkeypatch.setattr(window, "launch", lambda *a, **k: launched.append((a, k)))
    dialog = window.launch_dialog()
    dialog.command_edit.setText("python run.py")
    dialog.cwd_edit.setText("/w/CasareRPA")
    dialog.env_edit.setPlainText("not an assignment")
    dialog._accept()
    assert dialog.error_label.text() == "Environment: line 1 is not KEY=VALUE: not an assignment"
    dialog.env_edit.setPlainText("# for the canvas\nHOME=/tmp/h\nPYTHONPATH = src\n")
    dialog._accept()
    assert dialog.result() == dialog.DialogCode.Accepted
    window.launch_from_dialog(dialog)
    env = {"HOME": "/tmp/h", "PYTHONPATH": "src"}
    assert launched == [
        (
            (["python", "run.py"], "/w/CasareRPA", "casare_rpa"),
            {"env": env},
        )
    ]
    assert load_settings().env_for(["python", "run.py"], "/w/CasareRPA") == env
    # the next dialog for the same target brings its environment back
    again = window.launch_dialog()
    again.command_edit.setText("python run.py")
    again.cwd_edit.setText("/w/CasareRPA")
    assert again.env() == env


@pytest.mark.parametrize("text", ["A=1\nB=two words", "  \n# only a comment\n"])
def test_env_parser_accepts_values_with_spaces_and_blank_text(text) -> None:
    from inspector.gui.start_page import parse_env

    assert parse_env(text) == ({"A": "1", "B": "two words"} if "A" in text else {})
