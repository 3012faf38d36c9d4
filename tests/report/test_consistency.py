"""Reports rendered from recorded sessions of every shape never contradict themselves.

`inspector.report.consistency.check_report` reads the rendered Markdown, HTML, JSON and
SARIF against the model: a figure with no source, a conclusion shown two ways, a claim its
conclusion does not support. Each session shape below must render with no problem, and each
deliberately broken rendering must be caught.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from analyzers.findings import Evidence
from inspector.core.session import Session
from inspector.report import render_all
from inspector.report.consistency import check_model, check_report, figures_in
from inspector.report.model import MetricRow, ReportModel, build_model, model_from_session
from tests.report.builders import (
    BUS,
    CANVAS,
    ENGINE,
    FUZZY,
    SESSION_SHAPES,
    TREE,
    finding,
    session_variants,
)


@pytest.fixture(scope="module")
def sessions(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return session_variants(tmp_path_factory.mktemp("shapes"))


def _render(model: ReportModel, folder: Path) -> dict[str, str]:
    files = render_all(model, folder / "R.md", ("md", "html", "json", "sarif"))
    return {p.suffix.lstrip("."): data.decode() for p, data in files.items() if p.suffix != ".png"}


def _model(path: Path) -> ReportModel:
    with Session.open(path) as session:
        return model_from_session(session, plots=False)


@pytest.mark.parametrize("shape", SESSION_SHAPES)
def test_every_session_shape_renders_without_a_contradiction(sessions, shape, tmp_path):
    model = _model(sessions[shape])
    problems = check_report(model, _render(model, tmp_path))
    assert problems == [], "\n".join(str(p) for p in problems)


def test_static_report_renders_without_a_contradiction(tmp_path):
    model = build_model(
        [finding(ENGINE, "linear-dequeue")], kind="static", source_root=TREE, plots=False
    )
    assert check_report(model, _render(model, tmp_path)) == []


def test_each_shape_is_told_as_it_is(sessions):
    states = {shape: _model(path).conclusion("session").status for shape, path in sessions.items()}
    assert states == {
        "complete": "complete",
        "cut_short": "cut_short",
        "failed_workload": "workload_failed",
        "workload_only": "workload_only",
        "sampled": "complete",
    }
    cut = _model(sessions["cut_short"]).conclusion("session").statement
    assert cut.startswith("This session was cut short: it has no end mark")
    assert "every figure covers only the 20 s recorded" in cut


def test_the_severity_spread_is_one_conclusion(sessions):
    spread = _model(sessions["complete"]).conclusion("severity").statement
    assert spread.startswith(
        "7 CRITICAL, 2 HIGH, 2 MEDIUM, 0 LOW. 1 finding(s) ranked on measured inputs, "
        "10 on rule defaults. Note: 6 of 11 findings are CRITICAL on the rules' default "
        "inputs alone."
    )


def test_workload_results_are_one_row_each(sessions):
    results = _model(sessions["complete"]).conclusion("workload_results")
    assert results.table is not None
    assert results.table.rows == (
        ("`event_storm`", "events_per_s", "4100"),
        ("`event_storm`", "handler_p95_ms", "1.4"),
        ("`event_storm`", "elapsed_s", "2.5"),
        ("`pools`", "elapsed_s", "3"),
        ("`pools`", "clients", "16"),
        ("`pools`", "service.service_ms", "5"),
        ("`pools`", "service.capacity", "4"),
    )


def test_cascades_say_whose_activity_they_were_measured_under(sessions):
    assert _model(sessions["complete"]).conclusion("cascades").statement == (
        "The 1 cascade(s) were measured partly while our workloads drove the app."
    )
    assert _model(sessions["workload_only"]).conclusion("cascades").statement == (
        "All 1 cascade(s) were measured while our workloads drove the app: they show what the "
        "app's code costs under that load, not how often users meet it."
    )


def test_a_failed_pools_workload_sizes_nothing_and_its_pools_are_not_the_apps(sessions, tmp_path):
    model = _model(sessions["failed_workload"])
    sizing = model.conclusion("pool_sizing")
    assert sizing.status == "failed" and sizing.figures == ()
    assert sizing.statement == (
        "Pool sizing: not measured - the pools workload ended `failed` "
        "(the database service did not start)."
    )
    pools = model.conclusion("pools")
    assert pools.status == "no_app_traffic"
    assert pools.statement == (
        "The app's pools saw no traffic of their own; all 320 acquires came from our "
        "workloads, so they describe the workload, not the app."
    )
    md = _render(model, tmp_path)["md"]
    answer = md.split("### Pool sizing")[-1].split("###")[0].strip()
    assert answer == sizing.statement
    assert re.search(r"max[_ ]size \d+", md, re.I) is None


def test_handler_exceptions_appear_with_counts(sessions, tmp_path):
    model = _model(sessions["failed_workload"])
    errors = model.conclusion("handler_errors")
    assert errors.status == "errors"
    assert errors.statement == (
        "24 bus handler call(s) raised, in 1 handler(s): `ExecutionController.on_node_added` "
        "on NODE_ADDED (24 of 24 calls). 2 exception(s) escaped Qt slots or loop callbacks: "
        "`GraphWidget.on_node_moved` (slot, 2)."
    )
    assert [r[1:] for r in errors.table.rows] == [
        (
            "bus NODE_ADDED",
            "24",
            "24",
            "AttributeError: 'NoneType' object has no attribute 'id'",
            f"{BUS}:4",
        ),
        ("slot", "2", "—", "KeyError: 'node-7'", f"{CANVAS}:5"),
    ]
    md = _render(model, tmp_path)["md"]
    assert md.count(errors.statement) == 2  # the summary and the benchmarks section


def test_workload_only_session_never_presents_workload_traffic_as_the_apps(sessions):
    model = _model(sessions["workload_only"])
    prov = model.conclusion("provenance")
    assert prov.status == "no_app_traffic"
    assert prov.statement.startswith(
        "The app itself produced no event-bus events, no bus handler calls, no paints in this "
        "session; every event-bus event, every bus handler call, every paint recorded came "
        "from our workloads"
    )
    assert [(r[0], r[1], r[2]) for r in prov.table.rows] == [
        ("event-bus events", "0", "1362"),
        ("bus handler calls", "0", "964"),
        ("paints", "0", "1148"),
    ]
    assert model.conclusion("memory").statement.startswith(
        "RSS 180.0 MB -> 210.4 MB over 19 s, all of it while our workloads ran"
    )


def test_sampled_time_counts_active_threads_and_names_the_unwinding(sessions):
    model = _model(sessions["sampled"])
    s = model.conclusion("sampling")
    # 50 runs of 10 ms in `search` are the app's; 20 in our agent's frames are ours; 400
    # waiting in select are idle.
    assert [(f.text, f.source.describe()) for f in s.figures] == [
        ("0.5 s", "py-spy samples (470 records), 1-5 s"),
        ("4.7 s", "py-spy samples (470 records), 1-5 s"),
        ("0.2 s", "py-spy samples (470 records), 1-5 s"),
        ("100 Hz", "session setting `sampling.rate`"),
    ]
    assert s.statement == (
        "py-spy (100 Hz, Python frames only (no native unwinding)) saw 0.5 s of active thread "
        "time in the app (threads waiting in select, locks or an idle event loop excluded, "
        "4.7 s including them; our agent's own work, 0.2 s, excluded)."
    )
    assert s.table is not None
    assert [r[:3] for r in s.table.rows] == [
        ("`search`", FUZZY, "100.0"),
        ("`main`", "src/app/__main__.py", "0.0"),
    ]


def test_per_finding_metrics_hold_only_what_is_specific_to_the_finding(sessions):
    model = _model(sessions["complete"])
    rows = {
        f.rule: [(r.name, r.current) for r in model.metrics[f.fingerprint]] for f in model.findings
    }
    # The blocking handler: its evidence and its handler's p95; the canvas and pool findings:
    # the widget class and pool class they sit in. No static finding repeats the session's
    # loop lag or RSS (those are in the baseline, once).
    assert {rule: r for rule, r in rows.items() if r} == {
        "T902": [
            ("share", "0.31"),
            ("occurrences", "4"),
            ("blocked_ms_total", "804"),
            ("blocked_ms_max", "201"),
            ("loop_lag_max_ms", "190"),
            ("repaint_stalls", "4"),
            ("handler `WorkflowController.on_node_executed` p95", "201.0 ms"),
        ],
        "T401": [("`GraphWidget` paint p95", "8.7 ms")],
        "T402": [("`GraphWidget` paint p95", "8.7 ms")],
        "T501": [
            ("`BrowserPool` peak in use / max size", "4 / 10"),
            ("`BrowserPool` wait p95", "0.8 ms"),
        ],
        "T502": [
            ("`BrowserPool` peak in use / max size", "4 / 10"),
            ("`BrowserPool` wait p95", "0.8 ms"),
        ],
    }


# -- the check catches what it is for ----------------------------------------------------------


def test_check_catches_an_unsourced_figure(sessions, tmp_path):
    model = _model(sessions["complete"])
    out = _render(model, tmp_path)
    out["md"] += "\nRSS would fall to 42.0 MB/h after the fix.\n"
    problems = [str(p) for p in check_report(model, out)]
    assert "unsourced in md: 42.0 MB/h has no source in the model" in problems
    assert any(
        p.startswith("unsupported in md: '0 MB/h' while memory is too_short") for p in problems
    )


def test_check_catches_a_section_that_sizes_pools_the_conclusion_did_not(sessions, tmp_path):
    model = _model(sessions["failed_workload"])
    out = _render(model, tmp_path)
    # The old report's Answers: a size from live pool records beside "not measured".
    out["md"] = out["md"].replace(
        model.conclusion("pool_sizing").statement,
        "From live pool records: `app.pooling.BrowserPool` -> max_size 17.",
    )
    problems = [str(p) for p in check_report(model, out)]
    assert "unsourced in md: 17 max_size has no source in the model" in problems
    assert any(
        p.startswith("unsupported in md: 'max_size 17' while pool_sizing is failed")
        for p in problems
    )
    assert "differs in md: pool_sizing: its statement is not in the output verbatim" in problems


def test_check_catches_html_that_differs_from_the_model(sessions, tmp_path):
    model = _model(sessions["complete"])
    out = _render(model, tmp_path)
    stmt = model.conclusion("loop").statement
    out["html"] = out["html"].replace(stmt, stmt.replace("max 190.0 ms", "max 19.0 ms"), 1)
    problems = [str(p) for p in check_report(model, out)]
    assert any(p.startswith("differs in html: loop shown as") for p in problems)
    assert "unsourced in html: 19.0 ms has no source in the model" in problems


def test_check_catches_a_native_frames_claim_without_native_unwinding(sessions, tmp_path):
    model = _model(sessions["sampled"])
    out = _render(model, tmp_path)
    out["md"] += "\npy-spy sees idle and native frames.\n"
    assert any(
        str(p).startswith("unsupported in md: 'native frames'") for p in check_report(model, out)
    )


def test_sarif_carries_a_cut_short_session_as_the_runs_caveat(sessions, tmp_path):
    import json

    import jsonschema

    model = _model(sessions["cut_short"])
    log = json.loads(_render(model, tmp_path)["sarif"])
    schema = Path(__file__).resolve().parents[1] / "data" / "sarif" / "sarif-schema-2.1.0.json"
    jsonschema.Draft4Validator(json.loads(schema.read_text())).validate(log)
    run = log["runs"][0]
    (invocation,) = run["invocations"]
    assert invocation["executionSuccessful"] is False
    note = invocation["toolExecutionNotifications"][0]["message"]["text"]
    assert note == model.conclusion("session").statement


def test_check_catches_json_or_sarif_out_of_step(sessions, tmp_path):
    model = _model(sessions["cut_short"])
    out = _render(model, tmp_path)
    out["sarif"] = out["sarif"].replace('"cut_short"', '"complete"')
    assert [str(p) for p in check_report(model, out)] == [
        "differs in sarif: session differs from the model"
    ]


def test_figures_are_read_with_their_units():
    assert figures_in("p95 12.5 ms, 1,234 MB, 3/s, 45 %, max_size 7, max size 8, v1.2") == {
        ("12.5", "ms"),
        ("1234", "MB"),
        ("3", "/s"),
        ("45", "%"),
        ("7", "max_size"),
        ("8", "max_size"),
    }


def test_a_figure_every_finding_shares_is_not_a_per_finding_metric():
    found = [
        finding(ENGINE, "linear-dequeue", rule=f"T9{i}", symbol=f"S{i}").with_evidence(
            Evidence("agent", "blocked", {"threshold_ms": 50.0, "count": float(i + 1)})
        )
        for i in range(3)
    ]
    model = build_model(found, kind="session", source_root=TREE, plots=False)
    assert sorted(r.name for f in model.findings for r in model.metrics[f.fingerprint]) == [
        "count",
        "count",
        "count",
    ]
    model.metrics = {f.fingerprint: (MetricRow("threshold_ms", "50", "—", "x"),) for f in found}
    assert [str(p) for p in check_report(model, {})] == [
        "repeated in metrics: threshold_ms = 50 on 3 findings"
    ]


def test_check_catches_a_conclusion_quoting_a_figure_it_does_not_hold(sessions):
    from dataclasses import replace

    model = _model(sessions["complete"])
    memory = model.conclusion("memory")
    # The old projection: a rate nothing in the session supports, inside the statement.
    model.conclusions["memory"] = replace(
        memory, statement=memory.statement + " Capping the histories takes it to 42 MB/h."
    )
    assert [str(p) for p in check_model(model)] == [
        "unsourced in conclusion memory: 42 MB/h is none of its figures"
    ]
