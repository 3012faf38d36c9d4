"""Profiles: loading, area globs, project overrides, errors."""

from __future__ import annotations

import pytest

from analyzers.profile import BUILTIN_PROFILES, ProfileError, glob_matches, load_profile


@pytest.mark.parametrize("name", BUILTIN_PROFILES)
def test_builtin_profiles_load_with_their_other_sections(name):
    profile = load_profile(name)
    assert profile.name == name
    assert "profile" in profile.raw  # the whole TOML document is kept for other readers


@pytest.mark.parametrize(
    ("pattern", "path", "matches"),
    [
        ("orchestrator/**", "orchestrator/engine.py", True),
        ("orchestrator/**", "src/casare_rpa/orchestrator/engine.py", True),
        ("orchestrator/**", "myorchestrator/engine.py", False),
        ("utils/pooling/*.py", "utils/pooling/browser_pool.py", True),
        ("utils/pooling/*.py", "utils/pooling/sub/x.py", False),
        ("/orchestrator/**", "src/orchestrator/x.py", False),
        ("**/tests/**", "app/tests/test_x.py", True),
        ("tests/**", "tests/test_x.py", True),
    ],
)
def test_globs_match_at_directory_boundaries(pattern, path, matches):
    assert glob_matches(pattern, path) is matches


def test_casare_profile_maps_repo_root_and_package_paths_alike():
    profile = load_profile("casare_rpa")
    for prefix in ("", "src/casare_rpa/"):
        assert profile.area_for(prefix + "orchestrator/job_queue.py") == 1
        assert (
            profile.area_for(prefix + "presentation/canvas/controllers/trigger_controller.py") == 2
        )
        assert profile.area_for(prefix + "presentation/canvas/controllers/main_controller.py") == 9
        assert profile.area_for(prefix + "presentation/canvas/graph/minimap.py") == 4
        assert profile.area_for(prefix + "utils/pooling/database_pool.py") == 5
        assert profile.area_for(prefix + "utils/performance/parallel_executor.py") == 6
        assert profile.area_for(prefix + "desktop/context.py") == 7
        assert profile.area_for(prefix + "nodes/email_nodes.py") == 8
        assert profile.area_for(prefix + "utils/fuzzy_search.py") == 10
        # 2026 layout: the job queue moved, and the canvas holds dialogs and panels.
        queue = "application/orchestrator/services/job_queue_manager.py"
        assert profile.area_for(prefix + queue) == 1
        assert profile.area_for(prefix + "presentation/canvas/ui/dialogs/about.py") == 9
        assert profile.area_for(prefix + "presentation/canvas/ui/panels/log_tab.py") == 9
        assert profile.area_for(prefix + "presentation/canvas/theme_system/tokens.py") == 4
    # The package's own __init__: "__init__.py" when auditing src/casare_rpa itself.
    assert profile.area_for("__init__.py") == 10
    assert profile.area_for("casare_rpa/__init__.py") == 10
    # A literal path pattern (a leading "/" anchors it at the audited root) maps itself.
    covered = {profile.area_for(p.lstrip("/")) for p, _ in profile.areas if "*" not in p}
    assert covered <= set(range(1, 11))
    assert {a for _, a in profile.areas} == set(range(1, 11))


def test_generic_profile_maps_nothing():
    assert load_profile("generic").area_for("orchestrator/engine.py") is None


def test_generic_profile_audits_only_the_shipped_application(tmp_path):
    """Tests, examples, benchmarks, docs and vendored copies are left out by default."""
    from analyzers.runner import discover

    kept = ["app/core.py", "app/ui/window.py", "app/testing_tools.py", "app/externally.py"]
    left_out = [
        "tests/test_core.py",
        "app/tests/test_window.py",
        "app/test_main.py",
        "examples/demo.py",
        "benchmarks/bench_core.py",
        "docs/conf.py",
        "app/_vendor/six.py",
        "app/utils/external/dafsa.py",
        "third_party/lib.py",
    ]
    for rel in kept + left_out:
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text("x = 1\n")
    found = {
        p.relative_to(tmp_path).as_posix() for p in discover(tmp_path, load_profile("generic"), [])
    }
    assert found == set(kept)


def test_unknown_profile_and_bad_files_are_one_line_errors(tmp_path):
    with pytest.raises(ProfileError, match="unknown profile"):
        load_profile("nonesuch")
    bad = tmp_path / "bad.toml"
    bad.write_text("[areas\n")
    with pytest.raises(ProfileError, match="not valid TOML"):
        load_profile(str(bad))
    wrong = tmp_path / "wrong.toml"
    wrong.write_text('[areas]\n"x/**" = 11\n')
    with pytest.raises(ProfileError, match="1-10"):
        load_profile(str(wrong))


def test_pyproject_overrides_merge_and_project_globs_win(tmp_path):
    (tmp_path / "pyproject.toml").write_text(
        '[tool.casare-inspector.areas]\n"orchestrator/special.py" = 6\n'
        "[tool.casare-inspector.static]\ndisable = ['CIA305']\n"
    )
    profile = load_profile("casare_rpa").with_project_overrides(tmp_path)
    assert profile.area_for("orchestrator/special.py") == 6
    assert profile.area_for("orchestrator/engine.py") == 1
    assert profile.disabled_rules == {"CIA305"}
    assert profile.digest() != load_profile("casare_rpa").digest()
