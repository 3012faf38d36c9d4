"""Launch mode: start the target with the agent preloaded; needs no special rights.

The agent's preload folder goes on PYTHONPATH (Python imports its `sitecustomize` at start-up)
and the environment carries only the path of the private config file, which the agent deletes
once read; works the same on Windows, Linux and macOS.
"""

from __future__ import annotations

import os
import subprocess
import threading
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from inspector.attach.agent_config import (
    AGENT_ROOT,
    AttachError,
    agent_config,
    cleanup,
    private_dir,
    write_config,
)

if TYPE_CHECKING:
    from inspector.core.agent_link import AgentLink

PRELOAD_DIR = AGENT_ROOT / "inspector" / "agent" / "preload"
ENV_CONFIG = "CASARE_INSPECTOR_AGENT_CONFIG"
ENV_ROOT = "CASARE_INSPECTOR_AGENT_ROOT"
CONFIG_TTL_S = 60.0  # an agent that has not read its config by then never will


def launch_target(
    cmd: Sequence[str],
    profile: str,
    link: AgentLink,
    cwd: str | Path | None = None,
    env: Mapping[str, str] | None = None,
    **popen_kwargs: object,
) -> subprocess.Popen[bytes]:
    """Start `cmd` with the agent preloaded; the agent connects to `link` (already started)."""
    if not cmd:
        raise AttachError("no command to launch (give it after --)")
    if not link.port:
        raise AttachError("the agent link is not listening; call link.start() first")
    config = agent_config(profile, link.host, link.port, link.token, mode="launch")
    directory = private_dir()
    config_path = write_config(directory, config)
    child_env = dict(os.environ if env is None else env)
    python_path = child_env.get("PYTHONPATH", "")
    child_env["PYTHONPATH"] = os.pathsep.join(p for p in (str(PRELOAD_DIR), python_path) if p)
    child_env[ENV_CONFIG] = str(config_path)
    child_env[ENV_ROOT] = str(AGENT_ROOT)
    try:
        process = subprocess.Popen(list(cmd), cwd=cwd, env=child_env, **popen_kwargs)  # type: ignore[call-overload]
    except OSError as exc:
        cleanup(directory)
        raise AttachError(f"cannot start {cmd[0]}: {exc}") from exc
    threading.Thread(
        target=_remove_when_done,
        args=(directory, link, process),
        name="casare-inspector-config-cleanup",
        daemon=True,
    ).start()
    return process


def _remove_when_done(directory: Path, link: AgentLink, process: subprocess.Popen[bytes]) -> None:
    """Remove the private folder once the agent has connected (it deleted the config when it
    read it), or the target has exited, or CONFIG_TTL_S passed: the token never outlives the
    launch on disk, and no empty folder is left behind."""
    deadline = time.monotonic() + CONFIG_TTL_S
    while time.monotonic() < deadline:
        if link.wait_connected(0.2) or process.poll() is not None:
            break
    cleanup(directory)
