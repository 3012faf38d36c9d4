"""Event-bus probe: events per type, subscribers, fan-out and per-handler timings.

The profile names the bus class and which of its methods publish (take an event object),
emit (take the event type first), subscribe and unsubscribe, plus the attributes holding its
handlers and history. Handlers are wrapped in `TimedHandler`, which compares and hashes like
the handler it wraps, so the bus's own `remove`/`in` checks keep working; a handler that
raises is counted and the exception propagates to the bus exactly as before.
"""

from __future__ import annotations

import functools
import inspect
import time
import traceback
from typing import Any, NamedTuple

from inspector.agent import provenance
from inspector.agent.hooks import describe_callable
from inspector.agent.probes import InstanceSet, Probe
from inspector.agent.stats import MAX_KEYS, DurationSample, type_key

_perf = time.perf_counter
_TYPE_ATTRS = ("event_type", "type", "name", "kind")
TIME_ALL = 32  # per handler and event type, the first calls of each interval are all timed
MAX_TRACEBACK_CHARS = 4000
MAX_TRACEBACK_FRAMES = 12
MAX_ERROR_KINDS = 20  # exception type names per handler and interval


class WorkloadEvent(NamedTuple):
    """The key of an event our own workload published: kept apart from the app's events."""

    event_type: Any
    label: str


def describe_error(exc: BaseException) -> dict[str, Any]:
    """Type, message, the line that raised it and a bounded traceback of one exception."""
    tb = traceback.extract_tb(exc.__traceback__, limit=MAX_TRACEBACK_FRAMES + 2)
    raised = tb[-1] if tb else None
    text = "".join(
        traceback.format_exception(type(exc), exc, exc.__traceback__, limit=MAX_TRACEBACK_FRAMES)
    )
    if len(text) > MAX_TRACEBACK_CHARS:
        text = text[: MAX_TRACEBACK_CHARS // 2] + "\n...\n" + text[-MAX_TRACEBACK_CHARS // 2 :]
    return {
        "type": type(exc).__qualname__,
        "message": str(exc)[:300],
        "file": raised.filename if raised else "",
        "line": raised.lineno if raised else 0,
        "function": raised.name if raised else "",
        "traceback": text,
    }


class TimedHandler:
    """A subscribed handler, timed; equal to (and hashing as) the handler it wraps."""

    __slots__ = (
        "__weakref__",
        "_stats",
        "by_type",
        "error_kinds",
        "first_error",
        "first_error_sent",
        "handler",
        "where",
    )

    def __init__(self, handler: Any, stats: BusStats) -> None:
        self.handler = handler
        self._stats = stats
        self.by_type: dict[Any, DurationSample] = {}  # this interval, per event type
        self.error_kinds: dict[Any, dict[str, int]] = {}  # this interval: type -> {exc: n}
        self.first_error: dict[str, Any] | None = None  # sent once per attachment
        self.first_error_sent = False
        self.where: tuple[str, str, int] | None = None

    def _note_error(self, exc: BaseException) -> None:
        """Count the exception by type; keep the first one's traceback (slow path only)."""
        try:
            kinds = self.error_kinds.get(self._stats.current)
            if kinds is None:
                kinds = self.error_kinds[self._stats.current] = {}
            name = type(exc).__qualname__
            if name in kinds or len(kinds) < MAX_ERROR_KINDS:
                kinds[name] = kinds.get(name, 0) + 1
            if self.first_error is None and not self.first_error_sent:
                self.first_error = describe_error(exc)
        except Exception:
            pass

    def __call__(self, *args: Any) -> Any:
        # Hot path. Positional arguments only: every bus we know calls handler(event), and a
        # `**kwargs` parameter alone would cost a dict per call (KeywordTimedHandler takes
        # keywords, for buses whose profile sets handler_keywords = true). Every call is
        # counted; past the first TIME_ALL calls of an interval only every 8th is timed.
        stats = self._stats
        sample = self.by_type.get(stats.current)
        if sample is not None and sample.count >= TIME_ALL and sample.count & 7:
            sample.count += 1
            try:
                return self.handler(*args)
            except BaseException as exc:
                sample.errors += 1
                self._note_error(exc)
                raise
        return self._timed(stats, args, {})

    def _timed(self, stats: BusStats, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        if not stats.active:
            return self.handler(*args, **kwargs)
        start = _perf()
        try:
            return self.handler(*args, **kwargs)
        except BaseException as exc:
            try:
                self._sample(stats).errors += 1
            except Exception:
                pass
            self._note_error(exc)
            raise
        finally:
            try:
                ms = (_perf() - start) * 1000.0
                sample = self.by_type.get(stats.current)
                if sample is None:
                    sample = self._sample(stats)
                sample.add(ms)
            except Exception:
                pass

    def _sample(self, stats: BusStats) -> DurationSample:
        by_type = self.by_type
        sample = by_type.get(stats.current)
        if sample is None:
            if not by_type:
                stats.touched.append(self)  # collected at the next flush
            sample = by_type[stats.current] = DurationSample()
        return sample

    @property
    def __wrapped__(self) -> Any:  # for inspect.unwrap and describe_callable
        return self.handler

    def __eq__(self, other: object) -> bool:
        if isinstance(other, TimedHandler):
            other = other.handler
        return bool(self.handler == other)

    def __hash__(self) -> int:
        return hash(self.handler)

    # No __getattr__ delegation: a class with one pays for it on every attribute access,
    # and this is the hot path. Buses look at these few, e.g. to name a slow handler.
    @property
    def __name__(self) -> str:
        return str(getattr(self.handler, "__name__", repr(self.handler)))

    @property
    def __self__(self) -> Any:
        return self.handler.__self__

    @property
    def __func__(self) -> Any:
        return self.handler.__func__

    def __repr__(self) -> str:
        return repr(self.handler)


class KeywordTimedHandler(TimedHandler):
    """A TimedHandler for buses that pass keyword arguments to their handlers."""

    __slots__ = ()

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        stats = self._stats
        sample = self.by_type.get(stats.current)
        if sample is not None and sample.count >= TIME_ALL and sample.count & 7:
            sample.count += 1
            try:
                return self.handler(*args, **kwargs)
            except BaseException as exc:
                sample.errors += 1
                self._note_error(exc)
                raise
        return self._timed(stats, args, kwargs)


class BusStats:
    """One configured bus class: its aggregates for the current interval."""

    def __init__(self, name: str, config: dict[str, Any]) -> None:
        self.name = name
        self.config = config
        self.active = True
        self.instances = InstanceSet()
        self.events: dict[Any, int] = {}
        self.touched: list[TimedHandler] = []  # handlers called since the last flush
        self.current: Any = None
        self.in_emit = False
        self.dropped = 0
        self.type_attr: str | None = config.get("event_type_attr")
        self.wrapper = KeywordTimedHandler if config.get("handler_keywords") else TimedHandler

    def event_type_of(self, event: Any) -> Any:
        if self.type_attr:
            return getattr(event, self.type_attr, None)
        for attr in _TYPE_ATTRS:
            value = getattr(event, attr, None)
            if value is not None and not callable(value):
                self.type_attr = attr  # the first event teaches us the attribute
                return value
        return type(event).__name__

    def count_event(self, etype: Any) -> None:
        events = self.events
        n = events.get(etype)
        if n is not None:
            events[etype] = n + 1
        elif len(events) < MAX_KEYS:
            events[etype] = 1
        else:
            self.dropped += 1


class BusProbe(Probe):
    """Hooks every bus class listed under [[probes.bus]]."""

    name = "bus"

    def __init__(self, agent: Any, config: list[dict[str, Any]]) -> None:
        super().__init__(agent, config)
        self.buses: list[BusStats] = []

    def install(self) -> None:
        for entry in self.config or []:
            target = entry.get("class")
            if not target:
                continue
            stats = BusStats(entry.get("name") or target.rpartition(":")[2], entry)
            self.buses.append(stats)
            self.agent.watch_class(target, lambda cls, s=stats: self._hook(cls, s))

    # -- hooking --------------------------------------------------------------------------
    def _hook(self, cls: type, stats: BusStats) -> None:
        patcher = self.agent.patcher
        cfg = stats.config
        for name in cfg.get("publish", ["publish"]):
            if hasattr(cls, name) and not patcher.is_patched(cls, name):
                patcher.patch(cls, name, self._publish_wrapper(getattr(cls, name), stats))
        for name in cfg.get("emit", ["emit"]):
            if hasattr(cls, name) and not patcher.is_patched(cls, name):
                patcher.patch(cls, name, self._emit_wrapper(getattr(cls, name), stats))
        for name in cfg.get("subscribe", ["subscribe"]):
            if hasattr(cls, name) and not patcher.is_patched(cls, name):
                patcher.patch(cls, name, self._subscribe_wrapper(getattr(cls, name), stats))
        self.agent.note_hook(f"bus {stats.name}: {cls.__module__}.{cls.__qualname__}")
        self.agent.find_instances(cls, lambda obj: self._adopt(obj, stats))

    def _adopt(self, bus: Any, stats: BusStats) -> None:
        """Remember a live bus and wrap the handlers it already holds."""
        stats.instances.add(bus)
        self._rewrap(bus, stats, wrap=True)

    def _rewrap(self, bus: Any, stats: BusStats, wrap: bool) -> None:
        for attr in _as_list(stats.config.get("handlers", ["_handlers"])):
            container = getattr(bus, attr, None)
            lists = container.values() if isinstance(container, dict) else [container]
            for handlers in lists:
                if not isinstance(handlers, list):
                    continue
                for i, h in enumerate(list(handlers)):
                    if wrap and callable(h) and not isinstance(h, TimedHandler):
                        handlers[i] = stats.wrapper(h, stats)
                    elif not wrap and isinstance(h, TimedHandler):
                        handlers[i] = h.handler
                    elif isinstance(h, tuple) and h and callable(h[-1]):
                        last = h[-1]
                        if wrap and not isinstance(last, TimedHandler):
                            handlers[i] = (*h[:-1], stats.wrapper(last, stats))
                        elif not wrap and isinstance(last, TimedHandler):
                            handlers[i] = (*h[:-1], last.handler)
        for attr in _as_list(stats.config.get("caches", [])):
            cache = getattr(bus, attr, None)
            if isinstance(cache, dict):
                cache.clear()  # cached handler lists are rebuilt from the (re)wrapped ones

    def _publish_wrapper(self, original: Any, stats: BusStats) -> Any:
        @functools.wraps(original)
        def publish(bus: Any, event: Any, *args: Any, **kwargs: Any) -> Any:
            previous = stats.current
            try:
                if id(bus) not in stats.instances.by_id and stats.active:
                    self._adopt(bus, stats)  # a bus built before its class was hooked
                attr = stats.type_attr
                etype = getattr(event, attr, None) if attr else stats.event_type_of(event)
                ours = provenance.driving()
                if ours is not None:
                    etype = WorkloadEvent(etype, ours)  # our workload published it
                if stats.in_emit:
                    stats.in_emit = False  # emit() already counted this event
                else:
                    events = stats.events
                    n = events.get(etype)
                    if n is not None:
                        events[etype] = n + 1
                    else:
                        stats.count_event(etype)
                stats.current = etype
            except Exception:
                pass
            try:
                return original(bus, event, *args, **kwargs)
            finally:
                stats.current = previous

        return publish

    def _emit_wrapper(self, original: Any, stats: BusStats) -> Any:
        @functools.wraps(original)
        def emit(bus: Any, event_type: Any, *args: Any, **kwargs: Any) -> Any:
            previous = stats.current
            try:
                if id(bus) not in stats.instances.by_id and stats.active:
                    self._adopt(bus, stats)
                ours = provenance.driving()
                etype = event_type if ours is None else WorkloadEvent(event_type, ours)
                stats.count_event(etype)
                stats.current = etype
                stats.in_emit = True
            except Exception:
                pass
            try:
                return original(bus, event_type, *args, **kwargs)
            finally:
                stats.in_emit = False
                stats.current = previous

        return emit

    def _subscribe_wrapper(self, original: Any, stats: BusStats) -> Any:
        try:
            params = list(inspect.signature(original).parameters)
        except (TypeError, ValueError):
            params = []
        handler_pos = params.index("handler") - 1 if "handler" in params else None

        @functools.wraps(original)
        def subscribe(bus: Any, *args: Any, **kwargs: Any) -> Any:
            try:
                if stats.active:
                    stats.instances.add(bus)
                    args, kwargs = _wrap_handler_arg(args, kwargs, handler_pos, stats)
            except Exception:
                pass
            return original(bus, *args, **kwargs)

        return subscribe

    # -- collecting -----------------------------------------------------------------------
    def collect(self, now: float, interval_s: float) -> list[dict[str, Any]]:
        """One bus record per bus and origin ("app", or each workload that published), and
        one handler record per handler, event type and origin; a handler's first exception
        (type, message, raising line, bounded traceback) rides on its next record, once."""
        out: list[dict[str, Any]] = []
        for stats in self.buses:
            events, stats.events = stats.events, {}
            touched, stats.touched = stats.touched, []
            samples: list[tuple[TimedHandler, Any, DurationSample, dict[str, int]]] = []
            calls: dict[Any, int] = {}
            for handler in touched:
                by_type, handler.by_type = handler.by_type, {}
                kinds, handler.error_kinds = handler.error_kinds, {}
                for etype, sample in by_type.items():
                    samples.append((handler, etype, sample, kinds.get(etype) or {}))
                    calls[etype] = calls.get(etype, 0) + sample.count
            subscribers, history = self._shape(stats)
            if not events and not samples and not stats.instances:
                continue
            by_source: dict[str, dict[Any, int]] = {provenance.APP: {}}
            for etype, n in events.items():
                source, plain = _split(etype)
                by_source.setdefault(source, {})[plain] = n
            for source, counts in by_source.items():
                if source != provenance.APP and not counts:
                    continue
                fanout = {
                    type_key(t): round(calls.get(_key(t, source), 0) / n, 3)
                    for t, n in counts.items()
                    if n
                }
                out.append(
                    {
                        "t": now,
                        "kind": "bus",
                        "bus": stats.name,
                        "events": {type_key(t): n for t, n in counts.items()},
                        "subscribers": subscribers,
                        "fanout": fanout,
                        "history": history,
                        "interval_s": round(interval_s, 4),
                        "source": source,
                    }
                )
            for handler, etype, sample, kinds in samples:
                if handler.where is None:
                    handler.where = describe_callable(handler.handler)
                qual, file, line = handler.where
                source, plain = _split(etype)
                record = {
                    "t": now,
                    "kind": "handler",
                    "bus": stats.name,
                    "event": type_key(plain) if plain is not None else None,
                    "handler": qual,
                    "file": file,
                    "line": line,
                    "count": sample.count,
                    "errors": sample.errors,
                    "durations_ms": sample.rounded(),
                    "max_ms": round(sample.max_ms, 3),
                    "source": source,
                }
                if kinds:
                    record["error_types"] = dict(kinds)
                if handler.first_error is not None and sample.errors:
                    record["first_error"] = handler.first_error
                    handler.first_error = None
                    handler.first_error_sent = True
                out.append(record)
        return out

    def _shape(self, stats: BusStats) -> tuple[dict[str, int], int | None]:
        subscribers: dict[str, int] = {}
        history: int | None = None
        for bus in stats.instances:
            try:
                for attr in _as_list(stats.config.get("handlers", ["_handlers"])):
                    container = getattr(bus, attr, None)
                    if isinstance(container, dict):
                        for etype, handlers in list(container.items()):
                            key = type_key(etype)
                            subscribers[key] = subscribers.get(key, 0) + len(handlers)
                    elif isinstance(container, list) and container:
                        subscribers["*"] = subscribers.get("*", 0) + len(container)
                hist_attr = stats.config.get("history", "_history")
                hist = getattr(bus, hist_attr, None) if hist_attr else None
                if hist is not None:
                    history = (history or 0) + len(hist)
            except Exception:
                continue
        return subscribers, history

    def uninstall(self) -> None:
        for stats in self.buses:
            stats.active = False
            for bus in stats.instances:
                try:
                    self._rewrap(bus, stats, wrap=False)
                except Exception:
                    pass


def _split(etype: Any) -> tuple[str, Any]:
    """(source, plain event type) of an event key."""
    if isinstance(etype, WorkloadEvent):
        return etype.label, etype.event_type
    return provenance.APP, etype


def _key(plain: Any, source: str) -> Any:
    return plain if source == provenance.APP else WorkloadEvent(plain, source)


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list | tuple) else [value]


def _wrap_handler_arg(
    args: tuple[Any, ...], kwargs: dict[str, Any], pos: int | None, stats: BusStats
) -> tuple[tuple[Any, ...], dict[str, Any]]:
    if "handler" in kwargs and callable(kwargs["handler"]):
        if not isinstance(kwargs["handler"], TimedHandler):
            kwargs = {**kwargs, "handler": stats.wrapper(kwargs["handler"], stats)}
        return args, kwargs
    if pos is None or pos >= len(args):  # no parameter named handler: the last callable
        callables = [i for i, a in enumerate(args) if callable(a) and not isinstance(a, type)]
        if not callables:
            return args, kwargs
        pos = callables[-1]
    if pos < len(args) and callable(args[pos]) and not isinstance(args[pos], TimedHandler):
        args = (*args[:pos], stats.wrapper(args[pos], stats), *args[pos + 1 :])
    return args, kwargs
