"""CIA906: a publish/dispatch method formats the whole event payload into a log message."""

from __future__ import annotations

import re

import libcst as cst

from analyzers.rule import Invalid, Rule, Valid
from analyzers.rules._shapes import body_nodes, call_name, call_receiver

# Methods every event or message passes through.
_PER_EVENT_METHOD = re.compile(
    r"^_*(publish|emit|dispatch|notify|broadcast|deliver|handle_event|on_event|"
    r"process_event|on_message|handle_message|process_message)\w*$",
    re.I,
)
_PER_EVENT_DEF = re.compile(r"def[ \t]+" + _PER_EVENT_METHOD.pattern.lstrip("^").rstrip("$"), re.I)
# Parameters that hold a whole payload (formatting them calls its __repr__/__str__).
_PAYLOAD_PARAM = re.compile(
    r"^(event|evt|payload|data|message|msg|packet|record|item|body)$",
    re.I,
)
_LOGGER = re.compile(r"(^|\.|_)(logger|log|logging|_log|LOG|LOGGER)$")


def _payload_in(fstring: cst.FormattedString, params: set[str]) -> str | None:
    for part in fstring.parts:
        if not isinstance(part, cst.FormattedStringExpression):
            continue
        expr = part.expression
        if isinstance(expr, cst.Name) and expr.value in params:
            return expr.value
    return None


class PayloadFormattedPerEvent(Rule):
    """`logger.debug(f"Publishing {event}")` in publish(): a repr of every event, DEBUG or not."""

    ID = "CIA906"
    AREA = 9
    TITLE = "Event payload formatted into a log message on every publish"
    RATIONALE = (
        "Every event passes through this method, and the f-string renders the whole payload "
        "(its dataclass or dict repr, with nested data) before the logger checks the level. "
        "With DEBUG off the text is thrown away; the cost is paid per event on the thread that "
        "publishes, which for a canvas event bus is the GUI thread."
    )
    IMPACT = 2
    FREQUENCY = 6
    DIFFICULTY = 1
    RECOMMENDATION = (
        "Pass the values as arguments (`logger.debug('Publishing {}', event.event_type)` for "
        "loguru, `%s` for logging) and log a short key (type, id), not the whole payload."
    )
    EXAMPLE_BEFORE = 'def publish(self, event):\n    logger.debug(f"Publishing event: {event}")'
    EXAMPLE_AFTER = 'def publish(self, event):\n    logger.debug("Publishing {}", event.event_type)'
    TAGS = ("logging", "hot-path")
    TRIGGERS = ("debug(f", "info(f")
    VALID = (
        Valid(
            """\
            def publish(self, event):
                logger.debug("Publishing {}", event.event_type)
            """
        ),
        # A key of the event, not the payload, is cheap to format.
        Valid(
            """\
            def publish(self, event):
                logger.debug(f"Publishing {event.event_type}")
            """
        ),
        # The error path runs once per failure, not per event.
        Valid(
            """\
            def dispatch(self, event):
                try:
                    self._deliver(event)
                except Exception:
                    logger.info(f"Delivery failed for {event}")
            """
        ),
        # Set-up code runs once.
        Valid(
            """\
            def connect(self, url):
                logger.info(f"Connecting to {url}")
            """
        ),
    )
    INVALID = (
        Invalid(
            """\
            class EventBus:
                def publish(self, event):
                    logger.debug(f"Publishing event: {event}")
                    for handler in self._handlers[event.event_type]:
                        handler(event)
            """,
            line=3,
            message_contains="`event`",
        ),
    )

    @classmethod
    def wants(cls, source: str) -> bool:
        # A per-event method that takes a payload parameter (read from its signature, up to
        # `) ->` or `):`) and a debug/info f-string (TRIGGERS).
        if not super().wants(source):
            return False
        for method in _PER_EVENT_DEF.finditer(source):
            header = re.compile(r"\)\s*(?:->|:)").search(source, method.end())
            params = source[method.end() : header.end() if header else len(source)]
            if re.search(
                r"\b(?:event|evt|payload|data|message|msg|packet|record|item|body)\s*[:,)=]",
                params,
                re.I,
            ):
                return True
        return False

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        if not _PER_EVENT_METHOD.match(node.name.value):
            return
        params = {
            p.name.value
            for p in (*node.params.posonly_params, *node.params.params, *node.params.kwonly_params)
            if _PAYLOAD_PARAM.match(p.name.value)
        }
        for sub, ancestors in body_nodes(node):
            if not isinstance(sub, cst.Call) or call_name(sub) not in ("debug", "info"):
                continue
            if any(isinstance(a, cst.ExceptHandler) for a in ancestors):
                continue  # the error path, not every event
            if not _LOGGER.search(call_receiver(sub) or ""):
                continue
            if not sub.args or not isinstance(sub.args[0].value, cst.FormattedString):
                continue
            payload = _payload_in(sub.args[0].value, params)
            if payload is None:
                continue
            self.report(
                sub,
                f"`{node.name.value}` renders `{payload}` into a {call_name(sub)} message for "
                "every event, before the logger checks the level: log a short key and pass "
                "values as arguments.",
            )
            return
