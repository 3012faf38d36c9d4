"""CIA204: a loop that awaits each independent peer in turn (start all, stop all, broadcast)."""

from __future__ import annotations

import re
from dataclasses import replace

import libcst as cst
from libcst.metadata import PositionProvider

from analyzers.findings import Finding
from analyzers.project import ProjectModel
from analyzers.rule import Invalid, Rule, Valid
from analyzers.rules._containers import unused_fillers
from analyzers.rules._shapes import body_nodes, call_name, dotted, source_of

# Collections of independent peers reached over the network or another process: each await
# waits on that peer's I/O, and a dead one costs its full timeout.
_REMOTE = (
    r"connections|conns|clients|websockets|sockets|peers|channels|browsers|robots|agents|"
    r"subscribers|sinks|notifiers|webhooks|relays|servers"
)
# In-process lifecycle objects whose start may do I/O set-up (bind, log in, poll) but whose
# stop mostly cancels their own tasks.
_LOCAL = r"triggers"
# Callables called in turn. Local callbacks run in order on purpose (they often update shared
# state); only handlers named for delivering notifications are peers.
_CALLABLES = r"callbacks|handlers|listeners|observers"
_NOTIFYING = re.compile(r"notif|alert|webhook|remote", re.I)
_PEERS = re.compile(rf"({_REMOTE}|{_LOCAL}|{_CALLABLES})\b", re.I)
_REMOTE_PEERS = re.compile(rf"({_REMOTE})\b", re.I)
_CALLABLE_PEERS = re.compile(rf"({_CALLABLES})\b", re.I)
# What each peer is asked to do: each call waits on that peer's I/O or its own shutdown.
# Lifecycle verbs: real, but the wait happens once per start or stop, not per event.
_SHUTDOWN_VERBS = frozenset({"stop", "close", "shutdown", "disconnect", "unsubscribe"})
_LIFECYCLE_VERBS = _SHUTDOWN_VERBS | {"start", "connect"}
_VERBS = re.compile(
    r"^(start|connect|stop|send\w*|notify\w*|publish|broadcast|emit|dispatch|deliver|push|"
    r"close|shutdown|disconnect|unsubscribe|handle\w*|on_\w+|call|invoke|fire)$"
)


_PEER_LOOP_LINE = re.compile(r"^[ \t]*for\b[^\n]*\bin\b[^\n]*" + _PEERS.pattern, re.M | re.I)


def _names(target: cst.BaseAssignTargetExpression) -> set[str]:
    if isinstance(target, cst.Name):
        return {target.value}
    if isinstance(target, (cst.Tuple, cst.List)):
        out: set[str] = set()
        for element in target.elements:
            out |= _names(element.value)  # type: ignore[arg-type]
        return out
    return set()


def _mentions(expr: cst.CSTNode, names: set[str]) -> bool:
    if isinstance(expr, cst.Name):
        return expr.value in names
    text = dotted(expr)  # type: ignore[arg-type]
    return text is not None and text.split(".", 1)[0] in names


# The peers' collection named in the message: "awaits each of `self._triggers.items()`".
_SELF_ATTR = re.compile(r"awaits each of `self\.(_\w+)\b")


class SequentialAwaitOverPeers(Rule):
    """`for t in self._triggers.values(): await t.start()`: N peers, waited for one by one."""

    ID = "CIA204"
    AREA = 2
    TITLE = "Peers awaited one after another"
    RATIONALE = (
        "Each iteration awaits one independent peer (a trigger, a client connection, a "
        "notification handler) before the next may start. The total time is the sum of all "
        "peers' times, and one slow or hung peer (a dead socket, a trigger whose start "
        "times out) delays every peer after it."
    )
    IMPACT = 4
    FREQUENCY = 4
    DIFFICULTY = 2
    RECOMMENDATION = (
        "Run the peers concurrently: `await asyncio.gather(*(t.start() for t in triggers), "
        "return_exceptions=True)` (bounded by a semaphore for large sets), with a per-peer "
        "`asyncio.wait_for` timeout so a hung peer cannot stall the rest."
    )
    EXAMPLE_BEFORE = "for conn in self._connections.values():\n    await conn.send(msg)"
    EXAMPLE_AFTER = (
        "await asyncio.gather(\n    *(conn.send(msg) for conn in self._connections.values()),\n"
        "    return_exceptions=True,\n)"
    )
    TAGS = ("async", "latency", "fan-out")
    TRIGGERS = ("await",)
    VALID = (
        Valid(
            """\
            import asyncio
            class Manager:
                async def start_all(self):
                    await asyncio.gather(*(t.start() for t in self._triggers.values()))
            """
        ),
        # Searching peers in order and stopping at the first that answers is sequential by
        # design.
        Valid(
            """\
            async def first_free(self):
                for robot in self._robots:
                    if await robot.ping():
                        return robot
            """
        ),
        # Ordered work over items (jobs, batches, statements) is not a set of peers.
        Valid(
            """\
            async def run(self, statements):
                for stmt in statements:
                    await self.conn.execute(stmt)
            """
        ),
        # Local callbacks (per-address state checks that update a shared store) run in order
        # on purpose: they are not remote peers.
        Valid(
            """\
            class AddressWatcher:
                async def recheck_all(self):
                    for address, callback in list(self.callbacks.items()):
                        await callback()
            """
        ),
        Valid(
            """\
            class LocalBus:
                async def dispatch(self, event):
                    for handler in self._handlers.get(type(event), []):
                        await handler.handle(event)
            """
        ),
        # `_channels` starts empty and nothing in the class ever adds to it: the loop
        # never awaits anything.
        Valid(
            """\
            class Realtime:
                def __init__(self):
                    self._channels = []

                async def disconnect(self):
                    for channel in self._channels:
                        await channel.unsubscribe()
                    self._channels.clear()
            """
        ),
    )
    INVALID = (
        # Closing every client socket in turn at shutdown: a dead peer costs its close
        # timeout, once per dead peer.
        Invalid(
            """\
            class Hub:
                async def shutdown(self):
                    for client in list(self._clients.values()):
                        try:
                            await client.ws.close(1001, "bye")
                        except Exception:
                            pass
            """,
            line=5,
            message_contains="self._clients",
        ),
        Invalid(
            """\
            class TriggerManager:
                async def stop(self):
                    for trigger_id, trigger in self._triggers.items():
                        await trigger.stop()
            """,
            line=4,
            message_contains="self._triggers",
        ),
        # Starting in-process triggers one by one: each start usually only creates its own
        # task, so the wait is short; LOW, saying so.
        Invalid(
            """\
            class Scheduler:
                async def start_all(self):
                    for trigger in self._triggers.values():
                        await trigger.start()
            """,
            line=4,
            message_contains="in-process objects",
        ),
        Invalid(
            """\
            class Server:
                async def broadcast(self, msg):
                    for conn in self._connections.values():
                        await self._send(conn.websocket, msg)
            """,
            line=4,
        ),
        Invalid(
            """\
            class Errors:
                async def _notify(self, record):
                    for handler in self._notification_handlers:
                        try:
                            await handler(record)
                        except Exception:
                            pass
            """,
            line=5,
        ),
        # Only `add_sink` fills `_sinks`, and nothing ever calls it: the list stays empty
        # today; LOW, saying so.
        Invalid(
            """\
            class Alarms:
                def __init__(self):
                    self._sinks = []

                def add_sink(self, sink):
                    self._sinks.append(sink)

                async def raise_alarm(self, alarm):
                    for sink in self._sinks:
                        await sink.send(alarm)
            """,
            line=10,
            message_contains="only add_sink() adds to it",
        ),
        # The same shape once something registers a sink: the loop awaits each in turn.
        Invalid(
            """\
            class Alarms:
                def __init__(self):
                    self._sinks = []

                def add_sink(self, sink):
                    self._sinks.append(sink)

                async def raise_alarm(self, alarm):
                    for sink in self._sinks:
                        await sink.send(alarm)

            def wire(alarms, mailer):
                alarms.add_sink(mailer)
            """,
            line=10,
        ),
    )

    @classmethod
    def confirm(cls, finding: Finding, project: ProjectModel) -> Finding | None:
        """Dropped when the peers are a private collection of the class that starts empty
        and that nothing adds to nor rebinds: the loop has nothing to await. LOW, saying
        so, when only methods nothing calls add to it: empty today, a cost the first
        caller of the adder brings."""
        found = super().confirm(finding, project)
        fn = project.function_at(finding.path, finding.line)
        match = _SELF_ATTR.search(finding.message)
        if found is None or fn is None or not fn.cls or match is None:
            return found
        adders = unused_fillers(project, fn.cls, match.group(1))
        if adders is None:
            return found
        if not adders:
            return None
        named = ", ".join(f"{a}()" for a in adders)
        return replace(
            found,
            message=f"{found.message} Today `self.{match.group(1)}` stays empty: only "
            f"{named} adds to it, and nothing in the audited tree calls that, so the loop "
            "awaits nothing until something registers a peer.",
            priority=replace(found.priority, impact=1, frequency=1),
            tags=(*found.tags, "never-filled"),
        )

    @classmethod
    def wants(cls, source: str) -> bool:
        # Cheap line scan: an `await` indented under a `for` over a peer collection, within a
        # few lines of it.
        if not super().wants(source) or _PEER_LOOP_LINE.search(source) is None:
            return False
        lines = source.splitlines()
        for number, line in enumerate(lines):
            if not _PEER_LOOP_LINE.match(line):
                continue
            indent = len(line) - len(line.lstrip())
            for inner in lines[number + 1 : number + 8]:
                stripped = inner.lstrip()
                if stripped and len(inner) - len(stripped) <= indent:
                    break
                if "await " in stripped:
                    return True
        return False

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        if node.asynchronous is None:
            return
        for sub, _ancestors in body_nodes(node):
            if not isinstance(sub, cst.For) or sub.asynchronous is not None:
                continue
            iterable = source_of(sub.iter, 80)
            if not _PEERS.search(iterable) or "pool" in iterable.lower():
                continue
            remote = bool(_REMOTE_PEERS.search(iterable) or _NOTIFYING.search(iterable))
            if not remote and _CALLABLE_PEERS.search(iterable):
                continue  # local callbacks, run in order on purpose
            names = _names(sub.target)
            if not names:
                continue
            hit = self._awaited_peer_call(sub, names)
            if hit is None:
                continue
            line = self.get_metadata(PositionProvider, sub).start.line
            verb = call_name(hit).lstrip("_")
            impact = frequency = None
            local = ""
            if verb in _LIFECYCLE_VERBS:
                frequency = 2  # once per start or stop, not per event
                if not remote:
                    # An in-process object's start or stop mostly creates or cancels its own
                    # tasks: a slow one (a log-in, a bind) is possible, not the rule.
                    impact = 2
                    local = (
                        " These are in-process objects: their start/stop usually creates or "
                        "cancels their own tasks at once, so this costs little unless one "
                        "does slow set-up (a log-in, a bind); LOW."
                    )
            self.report(
                hit,
                f"`{node.name.value}` awaits each of `{iterable}` in turn "
                f"(`{source_of(hit.func, 50)}(...)`): one slow peer delays all the "
                f"others; gather them with a per-peer timeout.{local}",
                related=(self._loop_step(line),),
                impact=impact,
                frequency=frequency,
            )

    @staticmethod
    def _awaited_peer_call(loop: cst.For, names: set[str]) -> cst.Call | None:
        found: cst.Call | None = None
        for sub, _ancestors in body_nodes(loop.body):
            # Stopping at the first peer that answers is a search, not a fan-out.
            if isinstance(sub, (cst.Break, cst.Return)):
                return None
            if found is not None or not isinstance(sub, cst.Await):
                continue
            call = sub.expression
            if not isinstance(call, cst.Call):
                continue
            func = call.func
            direct = isinstance(func, cst.Name) and func.value in names
            on_peer = isinstance(func, cst.Attribute) and _mentions(func.value, names)
            via_helper = any(_mentions(a.value, names) for a in call.args)
            if direct or ((on_peer or via_helper) and _VERBS.match(call_name(call).lstrip("_"))):
                found = call
        return found
