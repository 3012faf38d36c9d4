"""CIA103: dequeue walks the whole queue comparing each job's robot/environment to the caller's."""

from __future__ import annotations

import re

import libcst as cst

from analyzers.rule import Invalid, Rule, Valid

# Functions that hand out the next unit of work.
_DEQUEUE_WORDS = "dequeue|get_next|next_job|claim|pop_job|fetch_job|pick|assign"
_DEQUEUE_NAME = re.compile(f"({_DEQUEUE_WORDS})", re.I)
_DEQUEUE_DEF = re.compile(rf"def \w*({_DEQUEUE_WORDS})", re.I)  # the prefilter's version
# Attributes that route a job to a consumer.
_ROUTING_ATTR = re.compile(
    r"^(robot(_id|_name)?|environment|env|pool|capabilit\w*|tags|queue_name)$"
)


class DequeueScanByRoutingKey(Rule):
    """A linear scan per dequeue, filtering by robot or environment: O(n) per request."""

    ID = "CIA103"
    AREA = 1
    TITLE = "Dequeue scans the queue filtering by robot/environment"
    RATIONALE = (
        "Every robot asking for work walks the queue comparing each job's robot and "
        "environment with its own. With many queued jobs for other robots or environments "
        "each request costs O(n) under the queue lock, and n robots polling make it O(n^2) "
        "per round."
    )
    IMPACT = 4
    FREQUENCY = 5
    DIFFICULTY = 5
    RECOMMENDATION = (
        "Index the queue by routing key: a dict of heaps keyed by robot id and by "
        "environment (plus one for untargeted jobs); a robot looks only at its own heaps."
    )
    EXAMPLE_BEFORE = (
        "for job in self._pending:\n    if job.robot_id and job.robot_id != robot.id:\n"
        "        continue\n    if job.environment != robot.environment:\n        continue\n"
        "    return job"
    )
    EXAMPLE_AFTER = (
        "for heap in (self._by_robot[robot.id], self._by_env[robot.environment]):\n"
        "    if heap:\n        return heapq.heappop(heap)"
    )
    TAGS = ("algorithmic", "queue")
    TRIGGERS = ("robot", "environment")

    @classmethod
    def wants(cls, source: str) -> bool:
        # Only a function named like a dequeue is ever checked: "robot" alone matched almost
        # every CasareRPA file (47 parsed for this rule, 11 of them for nothing else).
        return super().wants(source) and _DEQUEUE_DEF.search(source) is not None

    VALID = (
        Valid(
            "class Q:\n    def dequeue(self, robot):\n"
            "        heap = self._by_robot.get(robot.id)\n"
            "        return heap.pop() if heap else None\n"
        ),
        Valid(
            "class Report:\n    def summary(self, robot):\n"
            "        return [j for j in self._jobs if j.robot_id == robot.id]\n"
        ),
    )
    INVALID = (
        Invalid(
            "class JobQueue:\n"
            "    def dequeue(self, robot):\n"
            "        for job in self._pending:\n"
            "            if job.environment != robot.environment:\n"
            "                continue\n"
            "            return job\n",
            line=3,
            message_contains="environment",
        ),
        Invalid(
            "class JobQueue:\n"
            "    def get_next_job(self, robot_id):\n"
            "        pending = self._jobs.values()\n"
            "        return next((j for j in pending if j.robot_id == robot_id), None)\n",
            line=4,
        ),
    )

    def __init__(self, context) -> None:  # type: ignore[no-untyped-def]
        super().__init__(context)
        self._functions: list[str | None] = []
        self._loops: list[cst.CSTNode] = []
        self._reported: set[int] = set()

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        name = node.name.value
        self._functions.append(name if _DEQUEUE_NAME.search(name) else None)

    def leave_FunctionDef(self, original_node: cst.FunctionDef) -> None:
        self._functions.pop()

    def _enter_loop(self, node: cst.CSTNode) -> None:
        if self._functions and self._functions[-1]:
            self._loops.append(node)

    def _leave_loop(self, node: cst.CSTNode) -> None:
        if self._loops and self._loops[-1] is node:
            self._loops.pop()

    def visit_For(self, node: cst.For) -> None:
        self._enter_loop(node)

    def leave_For(self, original_node: cst.For) -> None:
        self._leave_loop(original_node)

    def visit_While(self, node: cst.While) -> None:
        self._enter_loop(node)

    def leave_While(self, original_node: cst.While) -> None:
        self._leave_loop(original_node)

    def visit_GeneratorExp(self, node: cst.GeneratorExp) -> None:
        self._enter_loop(node)

    def leave_GeneratorExp(self, original_node: cst.GeneratorExp) -> None:
        self._leave_loop(original_node)

    def visit_ListComp(self, node: cst.ListComp) -> None:
        self._enter_loop(node)

    def leave_ListComp(self, original_node: cst.ListComp) -> None:
        self._leave_loop(original_node)

    def visit_Comparison(self, node: cst.Comparison) -> None:
        if not self._loops or not self._functions or not self._functions[-1]:
            return
        loop = self._loops[0]  # the outermost loop of the dequeue is what scans the queue
        if id(loop) in self._reported:
            return
        attrs = [
            side.attr.value
            for side in (node.left, *(c.comparator for c in node.comparisons))
            if isinstance(side, cst.Attribute) and _ROUTING_ATTR.match(side.attr.value)
        ]
        if not attrs:
            return
        self._reported.add(id(loop))
        self.report(
            loop,
            f"`{self._functions[-1]}` scans the queue comparing each job's `{attrs[0]}` with "
            "the requester's: O(n) per dequeue under the queue lock; index queued jobs by "
            f"{attrs[0]} (a heap per key) so a request looks only at its own.",
        )
