"""What the agent is handed at injection: link address, token, the profile's probe tables.

The config goes into a private file (mode 0600, in a private temp directory) that the agent
deletes as soon as it has read it, so the token never shows on a command line.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import tomllib
from pathlib import Path
from typing import Any

import inspector

PACKAGE_ROOT = Path(inspector.__file__).resolve().parents[1]
PROFILES_DIR = PACKAGE_ROOT / "resources" / "profiles"
# Where the target's interpreter imports the agent from: the source tree, or in a frozen
# bundle the plain .py copy the spec ships as data under `agent_src/` (the bundle's own
# modules are compiled into its archive, which another interpreter cannot import).
AGENT_ROOT = (
    PACKAGE_ROOT / "agent_src"
    if getattr(sys, "frozen", False) and (PACKAGE_ROOT / "agent_src").is_dir()
    else PACKAGE_ROOT
)


class AttachError(Exception):
    """Injection or launch failed in a way the user can act on; the message is one line."""


def load_profile_tables(profile: str) -> tuple[str, dict[str, Any], dict[str, Any]]:
    """(profile name, [probes] table, [workloads] table) of a profile given by name or path."""
    path = Path(profile)
    if not path.suffix:
        path = PROFILES_DIR / f"{profile}.toml"
    if not path.is_file():
        known = ", ".join(sorted(p.stem for p in PROFILES_DIR.glob("*.toml")))
        raise AttachError(f"no profile {profile!r} (known: {known})")
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise AttachError(f"profile {path.name} is not readable TOML: {exc}") from exc
    name = str(raw.get("profile", {}).get("name", path.stem))
    return name, dict(raw.get("probes", {})), dict(raw.get("workloads", {}))


def agent_config(profile: str, host: str, port: int, token: str, mode: str) -> dict[str, Any]:
    name, probes, workloads = load_profile_tables(profile)
    return {
        "host": host,
        "port": port,
        "token": token,
        "mode": mode,
        "profile": name,
        "probes": probes,
        "workloads": workloads,
    }


def private_dir() -> Path:
    """A fresh directory only this user can read (mkdtemp creates it 0700).

    Named after this process, so that folders left by an inspector that was killed before it
    could clean up are removed by the next one (`sweep_stale_dirs`)."""
    sweep_stale_dirs()
    return Path(tempfile.mkdtemp(prefix=f"casare-inspector-{os.getpid()}-"))


def sweep_stale_dirs() -> None:
    for entry in Path(tempfile.gettempdir()).glob("casare-inspector-*-*"):
        pid = entry.name.split("-")[2]
        if pid.isdigit() and int(pid) != os.getpid() and not _process_exists(int(pid)):
            cleanup(entry)


def _process_exists(pid: int) -> bool:
    try:
        import psutil

        return bool(psutil.pid_exists(pid))
    except ImportError:
        return True  # cannot tell: keep it


def write_private(directory: Path, name: str, text: str) -> Path:
    path = directory / name
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(text)
    return path


def write_config(directory: Path, config: dict[str, Any]) -> Path:
    return write_private(directory, "agent.json", json.dumps(config))


def bootstrap_script(config_path: Path) -> str:
    """Python source run inside the target (by gdb or sys.remote_exec) to start the agent."""
    return (
        "import os, sys\n"
        f"_root = {str(AGENT_ROOT)!r}\n"
        "if _root not in sys.path:\n"
        "    sys.path.append(_root)  # appended: the target's own modules always win\n"
        "try:\n"
        "    os.remove(__file__) if '__file__' in globals() else None\n"
        "except OSError:\n"
        "    pass\n"
        "from inspector.agent import bootstrap as _casare_bootstrap\n"
        f"_casare_bootstrap.start_from_file({str(config_path)!r})\n"
    )


def cleanup(directory: Path) -> None:
    for child in directory.glob("*"):
        try:
            child.unlink()
        except OSError:
            pass
    try:
        directory.rmdir()
    except OSError:
        pass
