"""Target profiles: which paths belong to which of the ten areas, entry points, rule options.

A profile is a TOML file in `resources/profiles/` (or any path). The static-analysis part:

    [areas]                 # path glob -> area (first match wins; see `glob_matches`)
    "orchestrator/**" = 1
    [entry_points]
    hot = ["pkg.mod.Class.method", ...]   # qualified names of hot paths
    [static]
    exclude = ["tests/**"]  # globs never audited
    max_file_kb = 1024      # bigger files are skipped with a message (generated code)
    disable = ["CIA305"]    # rule ids
    platforms = ["Windows"] # the OSes users run: code only another OS runs ranks lower
    whole_program = true    # an application: a public function nothing in the tree calls
                            # is unused (findings there rank LOW, see `reachability`);
                            # unset: decided from the tree (`Reachability.whole_program`)
    [static.rules.CIA001]   # per-rule priority inputs (impact/frequency/difficulty) or area
    impact = 9

Other sections ([probes], [workloads]) belong to other parts of the inspector; they read them
from `Profile.raw`. A project can override all of the above from its own `pyproject.toml`
under `[tool.casare-inspector]` (same keys: `areas`, `entry_points`, `static`), see
`Profile.with_project_overrides`.
"""

from __future__ import annotations

import hashlib
import json
import re
import sys
import tomllib
from dataclasses import dataclass, field
from functools import cache, cached_property
from pathlib import Path
from typing import Any

BUILTIN_PROFILES = ("casare_rpa", "generic", "demo")
DEFAULT_MAX_FILE_KB = 1024


class ProfileError(Exception):
    """A profile that cannot be found or read; the message is one line for the user."""


def resources_dir() -> Path:
    """`resources/` next to the packages, or inside a PyInstaller bundle."""
    bundle = getattr(sys, "_MEIPASS", None)
    if bundle:
        candidate = Path(bundle) / "resources"
        if candidate.is_dir():
            return candidate
    return Path(__file__).resolve().parents[1] / "resources"


@cache
def _glob_regex(pattern: str) -> re.Pattern[str]:
    """Glob -> regex. `**` spans directories, `*` and `?` do not.

    A pattern not starting with `/` may match at any directory boundary, so
    `orchestrator/**` matches `orchestrator/engine.py` (audit of src/casare_rpa) and
    `src/casare_rpa/orchestrator/engine.py` (audit of the repository root) alike.
    """
    anchored = pattern.startswith("/")
    pat = pattern.lstrip("/")
    out = []
    i = 0
    while i < len(pat):
        ch = pat[i]
        if pat.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
            continue
        if pat.startswith("**", i):
            out.append(".*")
            i += 2
            continue
        if ch == "*":
            out.append("[^/]*")
        elif ch == "?":
            out.append("[^/]")
        else:
            out.append(re.escape(ch))
        i += 1
    prefix = "^" if anchored else "^(?:.*/)?"
    return re.compile(prefix + "".join(out) + "$")


def _alternatives(text: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in text.split("|") if part.strip())


def glob_matches(pattern: str, relpath: str) -> bool:
    return bool(_glob_regex(pattern).match(relpath.replace("\\", "/")))


@dataclass
class Profile:
    """A loaded profile; `raw` is the whole TOML document (other sections included)."""

    name: str
    raw: dict[str, Any] = field(default_factory=dict)
    source: str = ""

    @cached_property
    def area_groups(self) -> list[tuple[tuple[str, ...], int]]:
        """`[areas]` entries; a key may list alternatives for layouts of different versions,
        `"orchestrator/** | application/orchestrator/**" = 1`, and needs only one to match."""
        table = self.raw.get("areas", {}) or {}
        return [(_alternatives(str(k)), int(v)) for k, v in table.items()]

    @cached_property
    def areas(self) -> list[tuple[str, int]]:
        # Cached: `area_for` runs per file and per finding. A profile's `raw` is not changed
        # after loading (`with_project_overrides` makes a new Profile).
        return [(pattern, area) for group, area in self.area_groups for pattern in group]

    @property
    def static(self) -> dict[str, Any]:
        return dict(self.raw.get("static", {}) or {})

    @cached_property
    def entry_point_groups(self) -> list[tuple[str, ...]]:
        """Each hot entry point with its alternatives (`"old.Name | new.Name"`: the same
        code where an older or newer version of the target keeps it)."""
        table = self.raw.get("entry_points", {}) or {}
        out: list[tuple[str, ...]] = []
        for value in table.values():
            items = value if isinstance(value, list) else [value]
            out.extend(_alternatives(str(item)) for item in items)
        return out

    @property
    def entry_points(self) -> list[str]:
        return [name for group in self.entry_point_groups for name in group]

    @property
    def exclude(self) -> list[str]:
        return [str(p) for p in self.static.get("exclude", [])]

    @property
    def platforms(self) -> frozenset[str]:
        """`[static] platforms`: the OSes the target's users run ("Windows", "macOS",
        "Linux"); empty means all. Code only another OS runs is ranked below them."""
        return frozenset(str(p) for p in self.static.get("platforms", []))

    @property
    def disabled_rules(self) -> frozenset[str]:
        return frozenset(str(r) for r in self.static.get("disable", []))

    @property
    def max_file_bytes(self) -> int:
        return int(self.static.get("max_file_kb", DEFAULT_MAX_FILE_KB)) * 1024

    def rule_options(self, rule_id: str) -> dict[str, Any]:
        return dict((self.static.get("rules", {}) or {}).get(rule_id, {}) or {})

    def area_for(self, relpath: str) -> int | None:
        """The area the first matching `[areas]` glob gives `relpath`, else None."""
        memo = self._areas_by_path
        if relpath in memo:
            return memo[relpath]
        found = None
        for pattern, area in self.areas:
            if glob_matches(pattern, relpath):
                found = area
                break
        memo[relpath] = found
        return found

    @cached_property
    def _areas_by_path(self) -> dict[str, int | None]:
        # Asked per file by the workers and again per finding and per file by the project
        # passes: tens of thousands of glob matches on a large tree.
        return {}

    def is_excluded(self, relpath: str) -> bool:
        return any(glob_matches(p, relpath) for p in self.exclude)

    def digest(self) -> str:
        """Stable hash of the static-analysis settings (part of the cache key)."""
        keys = {k: self.raw.get(k) for k in ("areas", "entry_points", "static")}
        blob = json.dumps(keys, sort_keys=True, default=str)
        return hashlib.sha256(blob.encode()).hexdigest()[:16]

    def with_project_overrides(self, root: Path) -> Profile:
        """This profile with `[tool.casare-inspector]` from `root/pyproject.toml` merged in.

        Project `areas` come first (they win); `static` keys replace the profile's, and
        `static.rules` tables merge per rule.
        """
        pyproject = root / "pyproject.toml"
        if not pyproject.is_file():
            return self
        try:
            data = tomllib.loads(pyproject.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
            raise ProfileError(f"cannot read {pyproject.name}: {exc}") from exc
        tool = (data.get("tool", {}) or {}).get("casare-inspector")
        if not tool:
            return self
        raw = json.loads(json.dumps(self.raw, default=str))
        if "areas" in tool:
            raw["areas"] = {**dict(tool["areas"]), **raw.get("areas", {})}
            # dict order: project globs first so they win the first-match rule.
            raw["areas"] = {
                **dict(tool["areas"]),
                **{k: v for k, v in raw["areas"].items() if k not in tool["areas"]},
            }
        if "entry_points" in tool:
            raw["entry_points"] = {**raw.get("entry_points", {}), **dict(tool["entry_points"])}
        if "static" in tool:
            static = dict(raw.get("static", {}))
            for key, value in dict(tool["static"]).items():
                if key == "rules":
                    rules = dict(static.get("rules", {}))
                    for rid, opts in dict(value).items():
                        rules[rid] = {**rules.get(rid, {}), **dict(opts)}
                    static["rules"] = rules
                else:
                    static[key] = value
            raw["static"] = static
        return Profile(name=self.name, raw=raw, source=f"{self.source} + {pyproject}")


def load_profile(name_or_path: str | Path) -> Profile:
    """A built-in profile by name (`casare_rpa`, `generic`, `demo`) or a TOML file by path."""
    text = str(name_or_path)
    path = Path(text)
    if text in BUILTIN_PROFILES or (not path.suffix and not path.exists()):
        path = resources_dir() / "profiles" / f"{text}.toml"
        if not path.is_file():
            known = ", ".join(BUILTIN_PROFILES)
            raise ProfileError(f"unknown profile {text!r} (built in: {known}, or a .toml path)")
    if not path.is_file():
        raise ProfileError(f"profile file not found: {text}")
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise ProfileError(f"cannot read profile {text}: {exc}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ProfileError(f"profile {text} is not valid TOML: {exc}") from exc
    name = str((raw.get("profile", {}) or {}).get("name") or path.stem)
    areas = raw.get("areas", {}) or {}
    for pattern, area in areas.items():
        if isinstance(area, bool) or not isinstance(area, int) or not 1 <= area <= 10:
            raise ProfileError(f"profile {name}: area for {pattern!r} must be 1-10, got {area!r}")
    return Profile(name=name, raw=raw, source=str(path))
