"""Probes: each observes one concern of the target and turns it into records.

A probe is built from its part of the profile's [probes] table, `install`s its hooks (through
the agent's Patcher, so detaching restores them), `collect`s one interval's records when the
agent flushes, and `uninstall`s anything the Patcher cannot undo by itself.
"""

from __future__ import annotations

import weakref
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from inspector.agent.runtime import Agent


class Probe:
    """Base class: a probe owns its aggregates; every hook it installs must fail open."""

    name = "probe"

    def __init__(self, agent: Agent, config: Any) -> None:
        self.agent = agent
        self.config = config

    def install(self) -> None:
        """Install hooks now or arrange for them to be installed when the target is ready."""

    def poll(self) -> None:
        """Called about once a second from the agent thread (late installation, refreshes)."""

    def collect(self, now: float, interval_s: float) -> list[dict[str, Any]]:
        return []

    def uninstall(self) -> None:
        """Undo what the Patcher does not (event filters, gc callbacks, wrapped containers)."""


class InstanceSet:
    """Weakly remembered live instances of a hooked class (strongly, and capped, if it must)."""

    CAP = 64

    def __init__(self) -> None:
        self._weak: weakref.WeakSet[Any] = weakref.WeakSet()
        self._strong: list[Any] = []
        self._ids: set[int] = set()

    def add(self, obj: Any) -> None:
        key = id(obj)
        if key in self._ids:
            return
        try:
            self._weak.add(obj)
        except TypeError:  # no __weakref__ slot
            if len(self._strong) >= self.CAP:
                return
            self._strong.append(obj)
        self._ids.add(key)

    def __iter__(self):  # type: ignore[no-untyped-def]
        yield from list(self._weak)
        yield from list(self._strong)

    def __len__(self) -> int:
        return len(self._weak) + len(self._strong)
