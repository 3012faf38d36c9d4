"""Frame file names come from py-spy, read out of the target's memory: never trusted as paths."""

from __future__ import annotations

from inspector.sampling.project_frames import display_path, relpath


def test_a_file_name_with_a_null_byte_is_not_project_code(tmp_path):
    (tmp_path / "app.py").write_text("x = 1\n")
    assert relpath(str(tmp_path / "app.py"), str(tmp_path)) == "app.py"
    torn = str(tmp_path / "app\x00.py")
    assert relpath(torn, str(tmp_path)) is None
    assert display_path(torn, str(tmp_path)) == torn
