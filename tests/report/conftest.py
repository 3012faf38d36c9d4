from __future__ import annotations

from pathlib import Path

import pytest

from inspector.report import write_model
from inspector.report.model import ReportModel, model_from_session
from tests.report.builders import TREE, make_session


@pytest.fixture(scope="module")
def session_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("session") / "fixture.session"
    make_session(path).close()
    return path


@pytest.fixture(scope="module")
def model(session_path: Path) -> ReportModel:
    from inspector.core.session import Session

    with Session.open(session_path) as session:
        return model_from_session(session)


@pytest.fixture(scope="module")
def written(model: ReportModel, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("out") / "docs" / "performance" / "PERFORMANCE_AUDIT_REPORT.md"
    paths = write_model(model, out)
    return {p.suffix.lstrip("."): p for p in paths if p.suffix != ".png"} | {"out": out}


@pytest.fixture(scope="module")
def tree() -> Path:
    return TREE
