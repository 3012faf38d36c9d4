"""CIA106: a container attribute added to by a per-event method and never pruned."""

from __future__ import annotations

import re

from analyzers.findings import ChainStep
from analyzers.project import ClassInfo, FunctionInfo
from analyzers.project_rule import ProjectRule
from analyzers.rule import Invalid, Valid
from analyzers.rules.a1_tracking_dict_only_grows import TRACKING_NAME, keyed_by_small_domain
from analyzers.rules.a3_unbounded_history import HISTORY_NAME

# Methods that run once per event, poll, message or request (not set-up or registration).
RECURRING_METHOD = re.compile(
    r"(^|_)(on|handle|check|poll|fetch|scan|process|record|track|observe|collect|sample|"
    r"receive|dispatch|notify|tick|heal|ingest|consume|accept|mark|note|remember|revoke|"
    r"match)(_|$)",
    re.I,
)
# Keyed by something outside the program's control (message ids, client ids, urls): the key
# space is unbounded. Names of finite key spaces (node types, settings, widgets) do not match.
DYNAMIC_KEY_NAME = re.compile(
    r"(^|_)(ids?|uids?|seen|counts?|counters|hits|requests|clients|senders|addresses|urls|"
    r"hashes|digests|fingerprints|tokens|sessions)(_|$)",
    re.I,
)


class ContainerGrowsPerEvent(ProjectRule):
    """Seen-id sets, rate-limit counters, per-key caches filled per event and never emptied."""

    ID = "CIA106"
    DRIVEN_BY_RELATED = True
    AREA = 1
    TITLE = "Container filled per event and never pruned"
    RATIONALE = (
        "A method that runs once per event, poll or request adds to the container (a seen-id "
        "set, a per-client counter, a cache keyed by a dynamic name), and nothing in the class "
        "ever removes, evicts, bounds or clears it. Memory grows with every new key for the "
        "life of the object, which for triggers, servers and rate limiters is the process."
    )
    # Growth by small keys (ids, hashes) per event takes hours to matter: judges called every
    # HIGH one trivial. MEDIUM until the retained memory is measured (DYN-MEMORY-RETAINED).
    IMPACT = 3
    FREQUENCY = 5
    DIFFICULTY = 3
    RECOMMENDATION = (
        "Bound it: keep seen ids in an OrderedDict/deque trimmed to N (or only those newer "
        "than the last checkpoint), sweep expired rate-limit windows, or use an LRU "
        "(`functools.lru_cache`, `cachetools.TTLCache`)."
    )
    EXAMPLE_BEFORE = (
        "def _check_mail(self):\n    for uid in new_uids:\n        if uid not in self._seen_ids:"
        "\n            self._seen_ids.add(uid)"
    )
    EXAMPLE_AFTER = (
        "self._seen_ids = OrderedDict()  # bounded\n...\nself._seen_ids[uid] = None\n"
        "while len(self._seen_ids) > 10_000:\n    self._seen_ids.popitem(last=False)"
    )
    TAGS = ("memory", "leak")
    TRIGGERS = ("self.",)
    VALID = (
        Valid(
            "class Watcher:\n    def __init__(self):\n        self._seen_ids = set()\n"
            "    def _check(self, uid):\n        self._seen_ids.add(uid)\n"
            "        if len(self._seen_ids) > 1000:\n            self._seen_ids.clear()\n"
        ),
        # Filled at registration or set-up time: bounded by what the program registers.
        Valid(
            "class Registry:\n    def __init__(self):\n        self._factories = {}\n"
            "    def register_factory(self, name, fn):\n        self._factories[name] = fn\n"
        ),
        # A restart counter per language server: one key per language, a small fixed domain.
        Valid(
            "class Provider:\n    def __init__(self):\n        self.restart_counts = {}\n"
            "    def check_restart(self, language):\n"
            "        self.restart_counts[language] = 0\n"
        ),
        Valid(
            "from collections import deque\nclass Probe:\n    def __init__(self):\n"
            "        self._samples = deque(maxlen=100)\n"
            "    def on_sample(self, s):\n        self._samples.append(s)\n"
        ),
        # A start-up probe: a one-shot timer removes the event filter after a window, so
        # the ids it records are the few windows shown in that window.
        Valid(
            "class StartupProbe(QObject):\n    def __init__(self, app):\n"
            "        super().__init__()\n        self._app = app\n"
            "        self._shown_ids = set()\n        app.installEventFilter(self)\n"
            "        timer = QTimer(self)\n        timer.setSingleShot(True)\n"
            "        timer.timeout.connect(self.stop)\n        timer.start(5000)\n"
            "    def stop(self):\n        self._app.removeEventFilter(self)\n"
            "    def on_show(self, widget):\n        self._shown_ids.add(id(widget))\n"
        ),
    )
    INVALID = (
        Invalid(
            "class EmailTrigger:\n"
            "    def __init__(self):\n"
            "        self._seen_ids = set()\n"
            "    async def _check_inbox(self, uids):\n"
            "        for uid in uids:\n"
            "            self._seen_ids.add(uid)\n",
            line=3,
            message_contains="self._seen_ids",
        ),
        Invalid(
            "class RateLimiter:\n"
            "    def __init__(self):\n"
            "        self._request_counts = {}\n"
            "    def check_rate_limit(self, client_id, now):\n"
            "        self._request_counts[client_id] = now\n",
            line=3,
        ),
    )

    def check_project(self) -> None:
        functions = self.functions()
        for klass in self.classes():
            for attr, use in klass.containers.items():
                if use.kind not in ("dict", "set") or use.bounded or use.removes or not use.adds:
                    continue
                if not DYNAMIC_KEY_NAME.search(attr.lstrip("_")):
                    continue
                if self._covered_elsewhere(attr, use.kind):
                    continue
                if keyed_by_small_domain(use, klass.qualname, functions):
                    continue
                if _stops_itself(klass, functions):
                    continue
                for line, how in use.adds:
                    method = self._method_at(functions, klass, line)
                    if method is None or not self._recurring(method):
                        continue
                    self.report_at(
                        use.line,
                        f"`self.{attr}` ({use.kind}) gets `{how}` in `{method.name}`, which runs "
                        f"once per event, and nothing in {klass.name} ever removes, bounds or "
                        "clears it: it grows with every new key for the object's lifetime.",
                        symbol=klass.qualname.removeprefix(klass.module + "."),
                        related=(ChainStep(self.context.relpath, line, method.qualname, how),),
                    )
                    break

    @staticmethod
    def _covered_elsewhere(attr: str, kind: str) -> bool:
        """CIA104 (tracking dicts/sets) and CIA301 (history lists) already judge these names."""
        if kind in ("dict", "set") and TRACKING_NAME.search(attr.lstrip("_")):
            return True
        return kind == "list" and bool(HISTORY_NAME.search(attr))

    def _recurring(self, fn: FunctionInfo) -> bool:
        if RECURRING_METHOD.search(fn.name.lstrip("_")):
            return True
        # A slot or Qt event handler runs once per signal/event.
        return fn.qualname in self.project.gui_functions and fn.name != "__init__"

    @staticmethod
    def _method_at(
        functions: list[FunctionInfo], klass: ClassInfo, line: int
    ) -> FunctionInfo | None:
        for fn in functions:
            if fn.cls == klass.qualname and fn.line <= line <= fn.end_line:
                return fn
        return None


# Ways an object takes itself off the event path (`app.removeEventFilter(self)`, scheduling
# its own deletion) and ways a window ends once (a one-shot timer).
_UNHOOKS = (".removeEventFilter", "self.deleteLater")
_ONE_SHOTS = (".setSingleShot", "QTimer.singleShot")


def _stops_itself(klass: ClassInfo, functions: list[FunctionInfo]) -> bool:
    """The class removes its own event filter (or deletes itself) and arms a one-shot timer:
    the events that fill it stop for good after a window, so the container stays small."""
    targets = [call.target for fn in functions if fn.cls == klass.qualname for call in fn.calls]
    unhooks = any(t.endswith(_UNHOOKS[0]) or t == _UNHOOKS[1] for t in targets)
    return unhooks and any(t.endswith(_ONE_SHOTS) for t in targets)
