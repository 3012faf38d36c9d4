"""The audit runner on bad input, with the cache, and across worker processes."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from analyzers.cache import AuditCache
from analyzers.findings import Finding, Priority
from analyzers.runner import AuditError, audit, deduplicate

FIXTURE = Path(__file__).resolve().parents[1] / "data" / "fixture_project"
BLOCKING = "import time\nasync def f():\n    time.sleep(1)\n"


def _tree(tmp_path: Path, files: dict[str, bytes | str]) -> Path:
    root = tmp_path / "tree"
    for rel, content in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, str):
            path.write_text(content, encoding="utf-8")
        else:
            path.write_bytes(content)
    return root


def _errors(result) -> dict[str, str]:
    return dict(result.errors)


def test_syntax_error_is_reported_and_the_rest_still_analyzed(tmp_path):
    root = _tree(tmp_path, {"bad.py": "def f(:\n", "good.py": BLOCKING})
    result = audit(root, use_cache=False, jobs=1)
    assert "syntax error at line 1" in _errors(result)["bad.py"]
    assert [f.path for f in result.findings] == ["good.py"]
    assert result.analyzed == 1 and result.files == 2


def test_non_utf8_file_is_skipped_with_a_message(tmp_path):
    root = _tree(tmp_path, {"latin.py": b"x = '\xe9\xe8'\n", "good.py": BLOCKING})
    result = audit(root, use_cache=False, jobs=1)
    assert "not valid UTF-8" in _errors(result)["latin.py"]
    assert result.findings


def test_coding_cookie_is_honoured(tmp_path):
    source = "# -*- coding: latin-1 -*-\n" + BLOCKING
    root = _tree(tmp_path, {"cookie.py": source.encode("latin-1") + b"# \xe9\n"})
    result = audit(root, use_cache=False, jobs=1)
    assert result.errors == []
    assert result.findings


def test_huge_generated_file_is_skipped_over_the_size_limit(tmp_path):
    big = "DATA = [\n" + "    'x' * 10,\n" * 400_000 + "]\n"  # about 5 MB
    root = _tree(tmp_path, {"generated.py": big, "good.py": BLOCKING})
    result = audit(root, use_cache=False, jobs=1)
    message = _errors(result)["generated.py"]
    assert "skipped" in message and "MB" in message and "max_file_kb" in message
    assert result.findings


@pytest.mark.skipif(not hasattr(os, "symlink"), reason="no symlinks")
def test_symlink_loop_is_reported_once_and_not_followed(tmp_path):
    root = _tree(tmp_path, {"pkg/mod.py": BLOCKING})
    try:
        os.symlink(root, root / "pkg" / "loop", target_is_directory=True)
    except OSError:
        pytest.skip("cannot create symlinks here")
    result = audit(root, use_cache=False, jobs=1)
    assert "symlink loop" in _errors(result)["pkg/loop"]
    assert [f.path for f in result.findings] == ["pkg/mod.py"]


def test_empty_directory_is_a_clean_run_with_nothing_found(tmp_path):
    (tmp_path / "empty").mkdir()
    result = audit(tmp_path / "empty", use_cache=False)
    assert (result.files, result.findings, result.errors) == (0, [], [])


def test_missing_path_is_an_audit_error(tmp_path):
    with pytest.raises(AuditError, match="does not exist"):
        audit(tmp_path / "nope")


def test_single_file_can_be_audited(tmp_path):
    root = _tree(tmp_path, {"one.py": BLOCKING})
    result = audit(root / "one.py", use_cache=False)
    assert [f.path for f in result.findings] == ["one.py"]


def test_warm_cache_gives_identical_findings_without_reanalysis(tmp_path):
    cache = AuditCache(tmp_path / "cache", salt="t")
    first = audit(FIXTURE, use_cache=True, cache=cache, jobs=1)
    assert first.cache_hits == 0
    cache2 = AuditCache(tmp_path / "cache", salt="t")
    second = audit(FIXTURE, use_cache=True, cache=cache2, jobs=1)
    assert second.cache_hits == second.files
    assert [f.to_dict() for f in second.findings] == [f.to_dict() for f in first.findings]


def test_unchanged_tree_comes_whole_from_the_cache(tmp_path, monkeypatch):
    """A warm run of an unchanged tree neither reads per-file results nor rebuilds the model."""
    from analyzers import project

    first = audit(FIXTURE, cache=AuditCache(tmp_path / "cache", salt="t"), jobs=1)

    def no_model(*args, **kwargs):
        raise AssertionError("the project model was rebuilt for an unchanged tree")

    monkeypatch.setattr(project.ProjectModel, "build", no_model)
    cache = AuditCache(tmp_path / "cache", salt="t")
    second = audit(FIXTURE, cache=cache, jobs=1)
    assert cache.hits == 0 and cache.misses == 0  # no per-file result was even looked up
    assert [f.to_dict() for f in second.findings] == [f.to_dict() for f in first.findings]
    assert (second.lines, second.analyzed, second.errors) == (
        first.lines,
        first.analyzed,
        first.errors,
    )
    # another profile is another tree key: analyzed again (from the per-file level down)
    monkeypatch.undo()
    other = audit(FIXTURE, cache=AuditCache(tmp_path / "cache", salt="u"), jobs=1)
    assert other.cache_hits == 0


def test_an_edited_file_misses_the_cache(tmp_path):
    root = tmp_path / "copy"
    shutil.copytree(FIXTURE, root)
    audit(root, cache=AuditCache(tmp_path / "c", salt="t"), jobs=1)
    (root / "nodes" / "email_node.py").write_text(BLOCKING)
    cache = AuditCache(tmp_path / "c", salt="t")
    result = audit(root, cache=cache, jobs=1)
    assert cache.misses == 1
    assert any(f.path == "nodes/email_node.py" and f.line == 3 for f in result.findings)


def test_pool_workers_fill_the_cache_for_the_next_run(tmp_path):
    root = tmp_path / "copy"
    shutil.copytree(FIXTURE, root)
    first = audit(root, cache=AuditCache(tmp_path / "c", salt="t"), jobs=2)
    assert first.jobs == 2
    (root / "nodes" / "email_node.py").write_text(BLOCKING)
    cache = AuditCache(tmp_path / "c", salt="t")
    second = audit(root, cache=cache, jobs=2)
    assert (cache.misses, cache.hits) == (1, second.files - 1)
    assert [f.to_dict() for f in second.findings if f.path != "nodes/email_node.py"] == [
        f.to_dict() for f in first.findings if f.path != "nodes/email_node.py"
    ]


def test_process_pool_gives_the_same_findings_as_one_process():
    serial = audit(FIXTURE, use_cache=False, jobs=1)
    pooled = audit(FIXTURE, use_cache=False, jobs=2)
    assert pooled.jobs == 2
    assert [f.to_dict() for f in pooled.findings] == [f.to_dict() for f in serial.findings]


def test_project_overrides_from_pyproject_disable_rules_and_map_areas(tmp_path):
    root = _tree(
        tmp_path,
        {
            "pyproject.toml": '[tool.casare-inspector.areas]\n"core/**" = 6\n'
            "[tool.casare-inspector.static]\ndisable = ['CIA202']\n"
            "[tool.casare-inspector.static.rules.CIA001]\nimpact = 2\n",
            "core/a.py": BLOCKING,
            "b.py": "import asyncio\ndef f(c):\n    asyncio.create_task(c)\n",
        },
    )
    result = audit(root, use_cache=False, jobs=1)
    assert [(f.rule, f.area, f.priority.impact) for f in result.findings] == [("CIA001", 6, 2)]


def _finding(rule: str, line: int, score_impact: int, tags: tuple[str, ...]) -> Finding:
    return Finding(
        rule=rule,
        area=8,
        path="a.py",
        line=line,
        message=rule,
        priority=Priority(score_impact, 5, 5),
        tags=tags,
    )


def test_deduplicate_keeps_the_specific_rule_with_the_stronger_priority():
    specific = _finding("CIA701", 3, 5, ("blocking",))
    generic = _finding("CIA001", 3, 8, ("async", "blocking"))
    other_line = _finding("CIA001", 4, 8, ("blocking",))
    unrelated = _finding("CIA305", 3, 3, ("logging",))
    kept = deduplicate([generic, specific, other_line, unrelated])
    assert {(f.rule, f.line) for f in kept} == {("CIA701", 3), ("CIA001", 4), ("CIA305", 3)}
    [merged] = [f for f in kept if f.rule == "CIA701"]
    assert merged.priority == generic.priority  # specificity never lowers the ranking


def test_auditing_a_package_resolves_its_absolute_imports(tmp_path):
    root = _tree(
        tmp_path,
        {
            "mypkg/__init__.py": "",
            "mypkg/helpers.py": "import time\ndef pause():\n    time.sleep(1)\n",
            "mypkg/node.py": "from mypkg.helpers import pause\nasync def execute():\n    pause()\n",
        },
    )
    result = audit(root / "mypkg", use_cache=False, jobs=1)
    chain = [f for f in result.findings if f.rule == "CIA002"]
    assert [(f.path, f.line) for f in chain] == [("node.py", 3)]
    assert chain[0].chain[-1].path == "helpers.py"


def test_a_file_is_analyzed_without_automatic_collections_and_leaves_gc_as_found():
    """Collection is paused while a file's trees are alive, then one young pass runs."""
    import gc

    from analyzers.runner import FileTask, _safe_analyze

    source = "".join(
        f"def f{i}(items, seen):\n    out = ''\n    for x in items:\n        out += str(x)\n"
        "        seen.append(out)\n    return out\n"
        for i in range(400)
    )
    started: list[int] = []

    def record(phase: str, info: dict) -> None:
        if phase == "start":
            started.append(info["generation"])

    assert gc.isenabled()
    gc.callbacks.append(record)
    try:
        result = _safe_analyze(FileTask("big.py", source, None))
    finally:
        gc.callbacks.remove(record)
    assert result.summary is not None and result.findings  # it really ran the rules
    assert started == [0]  # no automatic collection inside, one young pass after
    assert gc.isenabled()
    gc.disable()
    try:  # where collection is off (the window's policy) it stays off and nothing runs
        started.clear()
        gc.callbacks.append(record)
        _safe_analyze(FileTask("big.py", source, None))
        gc.callbacks.remove(record)
        assert started == [] and not gc.isenabled()
    finally:
        gc.enable()


def test_a_file_in_newer_syntax_says_which_python_can_read_it():
    import sys

    from analyzers.runner import FileTask, analyze_file

    generic = "def first[T](xs: list[T]) -> T:\n    return xs[0]\n"  # PEP 695, Python 3.12
    result = analyze_file(FileTask("first.py", generic, None))
    if sys.version_info >= (3, 12):
        assert result.error == ""
    else:
        assert result.error == (
            "syntax error at line 1: expected '(' (valid in a newer Python than "
            f"{sys.version_info.major}.{sys.version_info.minor}: run the inspector on the "
            "Python the project targets to analyze this file)"
        )
    broken = analyze_file(FileTask("broken.py", "def broken(:\n    pass\n", None))
    assert broken.error == "syntax error at line 1: invalid syntax"
