"""From a recorded session to ranked findings: the one pipeline the CLI and the GUI share.

    static audit of the target's source  ->  findings kind="static"
    agent records (handlers, callbacks, leaks, hazards)  ->  findings kind="dynamic"
    py-spy samples: blocked-loop stretches, and evidence + measured priority on static twins

Every step stores into the session as it finishes, so a failure later on keeps what came
before; each step that cannot run says why in `PipelineResult.notices` instead of raising.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from analyzers.findings import Finding, rank
from analyzers.profile import Profile, ProfileError, load_profile
from inspector.core.session import Session
from inspector.sampling.runtime_findings import runtime_findings

Progress = Callable[[int, int], None]


@dataclass
class PipelineResult:
    findings: list[Finding] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)
    audit: dict[str, Any] | None = None


def session_profile(session: Session, profile: str | Profile | None = None) -> Profile | None:
    if isinstance(profile, Profile):
        return profile
    name = profile or session.meta.get("profile") or "generic"
    try:
        return load_profile(name)
    except ProfileError:
        return None


def analyze_session(
    session: Session,
    source_root: str | Path | None = None,
    profile: str | Profile | None = None,
    *,
    static: bool = True,
    progress: Progress | None = None,
) -> PipelineResult:
    """Audit, derive dynamic findings and correlate; stores everything into `session`."""
    from analyzers.runner import AuditError, audit
    from inspector.sampling.correlate import correlate

    result = PipelineResult()
    meta = session.meta
    root_text = source_root or meta.get("source_root")
    prof = session_profile(session, profile)
    if not root_text:
        result.notices.append(
            "no source root known for this target: static audit and correlation skipped "
            "(give --source-root)"
        )
        result.findings = rank(session.findings())
        return result
    root = Path(root_text)
    session.set_meta(source_root=str(root))
    if static:
        try:
            audited = audit(root, prof or "generic", progress=progress)
        except AuditError as exc:
            result.notices.append(f"static audit skipped: {exc}")
        else:
            session.put_findings(audited.findings, replace_kind="static")
            result.audit = audited.to_dict_without_findings()
            session.set_meta(audit=result.audit)
            if audited.errors:
                result.notices.append(
                    f"{len(audited.errors)} file(s) could not be analyzed (listed in the report)"
                )
    session.put_findings(runtime_findings(session, root, prof), replace_kind="dynamic")
    result.findings = correlate(session, root, prof)
    return result
