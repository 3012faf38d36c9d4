"""The blocking-call catalogue: what blocks, what is exempt, and awaited calls."""

from __future__ import annotations

import textwrap

import pytest

from analyzers.context import FileContext
from analyzers.engine import analyze_source
from analyzers.matching import blocking_kind, short_name
from analyzers.registry import all_rules


@pytest.mark.parametrize(
    ("qualname", "kind"),
    [
        ("requests.get", "network"),
        ("requests.Session", None),  # building a session object sends nothing
        ("requests.adapters.HTTPAdapter", None),
        ("paramiko.SSHClient", None),
        ("time.sleep", "sleep"),
        ("subprocess.run", "subprocess"),
        ("smtplib.SMTP.sendmail", "network"),
        ("client.sendmail", "network"),  # a method of a connected client object
        ("self.sendmail", None),  # our own method of that name is not the library's
        ("json.dumps", None),
        # Under a blocking package, only what does I/O blocks: a dict class, an exception,
        # a setter, a lazy search description, reading an archive's loaded directory.
        ("requests.structures.CaseInsensitiveDict", None),
        ("requests.structures.CaseInsensitiveDict.setdefault", None),
        ("requests.append", None),  # a local list that shares the package's name
        ("requests.Session.get", "network"),  # a method of what the exempt call builds
        ("paramiko.SSHClient.connect", "network"),
        ("pyperclip.PyperclipException", None),
        ("ftplib.FTP.set_pasv", None),
        ("ftplib.FTP.login", "network"),
        ("zipfile.ZipFile.namelist", None),
        ("uiautomation.WindowControl", None),
        ("uiautomation.WindowControl.Exists", "ui-automation"),
        ("uiautomation.GetRootControl", "ui-automation"),
        ("win32gui.GetWindowText", None),
        ("subprocess.list2cmdline", None),
    ],
)
def test_blocking_kind_of_a_qualified_name(qualname: str, kind: str | None) -> None:
    assert blocking_kind(qualname) == kind


def _cia001(code: str) -> list[int]:
    rules = [r for r in all_rules() if r.ID == "CIA001"]
    found = analyze_source(textwrap.dedent(code), FileContext(relpath="m.py"), rules)
    return [f.line for f in found]


def test_an_awaited_call_is_a_coroutine_not_a_blocking_call() -> None:
    code = """
    async def send(smtp, message):
        await smtp.sendmail("a@example.org", ["b@example.org"], message)
        smtp.sendmail("a@example.org", ["b@example.org"], message)
    """
    assert _cia001(code) == [4]


def test_constructing_a_requests_session_in_a_coroutine_is_not_reported() -> None:
    code = """
    import requests

    async def make():
        session = requests.Session()
        return requests.get("http://localhost")
    """
    assert _cia001(code) == [6]


def test_short_name_keeps_the_class_of_a_method() -> None:
    assert short_name("pkg.mod.Class.method") == "Class.method"
    assert short_name("pkg.mod.func") == "func"
