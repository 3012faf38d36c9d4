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
    """Weakly remembered live instances of a hooked class (strongly, and capped, if it must).

    `by_id` maps id(obj) to a weak reference (or, for an object without a __weakref__ slot,
    the object itself, so its id stays its own), so a hot hook can ask "seen this one?" for
    the price of one dict lookup. A dead instance's entry goes with it, so a new object at
    the same address is not taken for it.
    """

    CAP = 64

    def __init__(self) -> None:
        self.by_id: dict[int, Any] = {}
        self._strong = 0

    def add(self, obj: Any) -> None:
        key = id(obj)
        by_id = self.by_id
        if key in by_id:
            return
        try:
            by_id[key] = weakref.ref(obj, lambda _ref: by_id.pop(key, None))
        except TypeError:  # no __weakref__ slot: held, and capped
            if self._strong < self.CAP:
                self._strong += 1
                by_id[key] = obj

    def __contains__(self, obj: Any) -> bool:
        return id(obj) in self.by_id

    def __iter__(self):  # type: ignore[no-untyped-def]
        for held in list(self.by_id.values()):
            obj = held() if isinstance(held, weakref.ref) else held
            if obj is not None:
                yield obj

    def __len__(self) -> int:
        return len(self.by_id)
