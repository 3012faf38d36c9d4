"""Attaching to or launching a target: the agent link, the agent, and py-spy, together.

Qt-free glue over AGENT's and SAMPLING's APIs (`inspector.core.agent_link.AgentLink`,
`inspector.attach.launch_target` / `attach_pid`, `inspector.sampling.recorder.PySpyRecorder`).
Every failure becomes a `TargetError` with one line the user can act on; the window shows it.
Runs on a worker thread (attach can take seconds), never on the GUI thread.
"""

from __future__ import annotations

import subprocess
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from inspector.core.session import Session


class TargetError(Exception):
    """Attach, launch or sampling failed; the message is one actionable line."""


class TargetConnection:
    """One live target feeding one session: its agent link, process and py-spy recorder."""

    def __init__(self, session: Session, profile: str) -> None:
        self.session = session
        self.profile = profile
        self.link: Any = None
        self.process: subprocess.Popen[bytes] | None = None
        self.pid: int | None = None
        self.recorder: Any = None
        self.sampling_error: str | None = None
        self.log_path: Path | None = None
        self._log: Any = None

    def _start_link(self) -> None:
        try:
            from inspector.core.agent_link import AgentLink
        except ImportError as exc:
            raise TargetError(
                f"live attach is not available in this build ({exc.name} is missing); "
                "open a recorded session instead"
            ) from exc
        self.link = AgentLink(self.session)
        self.link.start()

    def launch(self, command: Sequence[str], cwd: str | None = None) -> int:
        """Start `command` with the agent inside; returns its PID."""
        if not command:
            raise TargetError("no command to launch: enter e.g. `python -m inspector.demo`")
        if cwd and not Path(cwd).is_dir():
            raise TargetError(f"working directory {cwd} does not exist")
        self._start_link()
        try:
            from inspector.attach import launch_target
        except ImportError as exc:
            self.close()
            raise TargetError(
                f"launching with the agent is not available ({exc.name} missing)"
            ) from exc
        # the target's own output goes to a log beside the session, named in errors
        self.log_path = self.session.path.with_suffix(".target.log")
        try:
            log = open(self.log_path, "wb")  # noqa: SIM115 - handed to the child, closed by close()
        except OSError as exc:
            self.close()
            raise TargetError(f"cannot write the target's log {self.log_path}: {exc}") from exc
        self._log = log
        try:
            self.process = launch_target(
                list(command),
                self.profile,
                self.link,
                cwd=cwd,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        except FileNotFoundError as exc:
            self.close()
            raise TargetError(f"cannot launch {command[0]}: no such program") from exc
        except Exception as exc:
            self.close()
            raise TargetError(f"launch failed: {_one_line(exc)}") from exc
        self.pid = self.process.pid
        self.session.set_meta(
            target={"pid": self.pid, "command": list(command), "cwd": cwd or ""},
            profile=self.profile,
            started=time.time(),
        )
        return self.pid

    def attach(self, pid: int) -> None:
        self._start_link()
        try:
            from inspector.attach import attach_pid
        except ImportError as exc:
            self.close()
            raise TargetError(
                f"attaching is not available in this build ({exc.name} missing)"
            ) from exc
        try:
            attach_pid(pid, self.profile, self.link)
        except Exception as exc:
            self.close()
            raise TargetError(f"attach to PID {pid} failed: {_one_line(exc)}") from exc
        self.pid = pid
        self.session.set_meta(target={"pid": pid}, profile=self.profile, started=time.time())

    def wait_connected(self, timeout: float = 20.0) -> bool:
        """Block (on the worker) until the agent has connected back, or the target died."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.link is not None and getattr(self.link, "connected", False):
                return True
            if self.process is not None and self.process.poll() is not None:
                raise TargetError(
                    f"the target exited with code {self.process.returncode} before the agent "
                    f"connected; see its output in {self.log_path}"
                )
            time.sleep(0.05)  # worker thread: polling the link's flag, not the GUI
        return False

    def start_sampling(self) -> str | None:
        """Start py-spy on the target; returns why not when it cannot (the CPU panel says it)."""
        if self.pid is None:
            return "no target process"
        try:
            from inspector.sampling.recorder import PySpyRecorder
        except ImportError as exc:
            self.sampling_error = f"sampling not available in this build ({exc.name} missing)"
            return self.sampling_error
        try:
            self.recorder = PySpyRecorder(self.pid, self.session)
            self.recorder.start()
        except Exception as exc:  # SamplingError and friends: one line for the panel
            self.recorder = None
            self.sampling_error = _one_line(exc)
        return self.sampling_error

    def send_command(self, command: dict[str, Any]) -> None:
        if self.link is None or not getattr(self.link, "connected", False):
            raise TargetError("no agent connected: attach to or launch a target first")
        self.link.send_command(command)

    @property
    def connected(self) -> bool:
        return self.link is not None and bool(getattr(self.link, "connected", False))

    def close(self, terminate: bool = False) -> None:
        if self.recorder is not None:
            try:
                self.recorder.stop(timeout=10)
            except Exception:
                pass
            self.recorder = None
        if self.link is not None:
            try:
                self.link.close()
            except Exception:
                pass
            self.link = None
        if terminate and self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
        if self._log is not None:
            self._log.close()
            self._log = None


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
