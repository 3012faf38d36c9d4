"""`casare-inspector workloads [--profile P] [--json]`: the standard workloads a profile
defines, with their parameters and defaults.

Start them while recording with `record ... --workload canvas:nodes=200 --workload
pools:sweep=1..16` (spec grammar: `inspector.core.workload_specs`). A workload the profile
does not define is listed as not available for that target, with the reason.
"""

from __future__ import annotations

import argparse
import json
from typing import Any

from inspector.cli import EXIT_OK, UserError


def add_parser(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = subparsers.add_parser(
        "workloads",
        help="list the standard workloads of a profile and their parameters",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--profile", default="casare_rpa", help="profile name or TOML path")
    parser.add_argument("--json", action="store_true", help="print JSON instead of text")
    parser.set_defaults(run=run)


def workload_table(profile_raw: dict[str, Any]) -> list[dict[str, Any]]:
    """Every known workload with its parameters and whether this profile can run it."""
    from inspector.agent.workloads import WORKLOADS, _definition, describe

    table = profile_raw.get("workloads") or {}
    rows = []
    for name in WORKLOADS:
        row = describe(name)
        definition = _definition(name, table)
        if definition is None:
            row["available"], row["reason"] = False, "not defined in this profile"
        elif definition.get("supported", True) is False:
            row["available"] = False
            row["reason"] = str(definition.get("reason", "not supported by this target"))
        else:
            row["available"], row["reason"] = True, ""
        rows.append(row)
    return rows


def run(args: argparse.Namespace) -> int:
    from analyzers.profile import ProfileError, load_profile

    try:
        profile = load_profile(args.profile)
    except (ProfileError, OSError) as exc:
        raise UserError(f"cannot load profile {args.profile!r}: {exc}") from exc
    rows = workload_table(profile.raw)
    if args.json:
        print(json.dumps({"profile": profile.name, "workloads": rows}, indent=2))
        return EXIT_OK
    print(f"Workloads of profile {profile.name!r}:")
    for row in rows:
        state = "" if row["available"] else f"  [not available: {row['reason']}]"
        print(f"\n{row['name']}{state}\n  {row['description']}")
        for key, param in row["params"].items():
            setting = f"{key}={param['default']}"
            print(f"    {setting:<24} {param['help']}")
    print("\nUse: casare-inspector record ... --workload NAME[:KEY=VALUE,...]")
    return EXIT_OK
