"""CIA606: parallel work run batch by batch, each batch waiting for its slowest member."""

from __future__ import annotations

import re

import libcst as cst

from analyzers.rule import Invalid, Rule, Valid
from analyzers.rules._shapes import body_nodes, call_name, enclosing_loop, names_text, source_of

_BATCHY = re.compile(r"batch|level|group|wave|layer|chunk", re.IGNORECASE)
_PARALLEL_CALL = re.compile(r"gather|parallel|batch|run_all|wait", re.IGNORECASE)


class BatchBarrier(Rule):
    """A level-synchronous scheduler idles workers behind the slowest node of each level."""

    ID = "CIA606"
    AREA = 6
    TITLE = "Batches run one after another with a barrier per batch"
    RATIONALE = (
        "Awaiting each batch (or dependency level) before starting the next makes every "
        "node of batch k+1 wait for the slowest node of batch k, even when its own "
        "dependencies finished long ago. Wall time becomes the sum of each level's "
        "slowest node instead of the critical path, and the concurrency limit sits unused "
        "while one slow browser step finishes."
    )
    IMPACT = 5
    FREQUENCY = 4
    DIFFICULTY = 5
    RECOMMENDATION = (
        "Schedule by readiness, not by level: keep in-degree counts, start a node as soon "
        "as its last dependency completes (`asyncio.wait(..., return_when=FIRST_COMPLETED)` "
        "or a TaskGroup where each finished task decrements its successors and starts the "
        "ones that reach zero), bounded by one semaphore."
    )
    EXAMPLE_BEFORE = """\
for batch in batches:
    await asyncio.gather(*(run(n) for n in batch))
"""
    EXAMPLE_AFTER = """\
pending = {asyncio.create_task(run(n)) for n in ready}
while pending:
    done, pending = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
    for task in done:
        for succ in graph.finish(task.result()):  # in-degree hits zero
            pending.add(asyncio.create_task(run(succ)))
"""
    TAGS = ("async", "concurrency", "scheduling")
    TRIGGERS = ("batch", "level", "group", "wave", "layer", "chunk")
    VALID = (
        Valid(
            """\
            import asyncio
            async def run(self, nodes):
                await asyncio.gather(*(self.run_one(n) for n in nodes))
            """
        ),
        # Sequential by design: each item awaited alone is not a batch barrier.
        Valid(
            """\
            async def save_all(self, batches):
                for batch in batches:
                    self._buffer.extend(batch)
                await self.flush()
            """
        ),
    )
    INVALID = (
        Invalid(
            """\
            async def execute_batches(self, batches):
                results = []
                for batch in batches:
                    batch_results = await self.execute_parallel(batch)
                    results.append(batch_results)
                return results
            """,
            line=4,
            message_contains="self.execute_parallel",
        ),
    )

    @classmethod
    def wants(cls, source: str) -> bool:
        return (
            super().wants(source)
            and "await" in source
            and re.search(
                r"^\s*for [^\n]*(batch|level|group|wave|layer|chunk)", source, re.M | re.I
            )
            is not None
        )

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        if node.asynchronous is None:
            return
        for sub, ancestors in body_nodes(node):
            if not (isinstance(sub, cst.Await) and isinstance(sub.expression, cst.Call)):
                continue
            call = sub.expression
            if not _PARALLEL_CALL.search(call_name(call)):
                continue
            loop = enclosing_loop(sub, ancestors)
            if not isinstance(loop, cst.For):
                continue
            if not _BATCHY.search(names_text(loop.target) + " " + names_text(loop.iter)):
                continue
            self.report(
                sub,
                f"`await {source_of(call.func)}(...)` per `{source_of(loop.target, 30)}` makes "
                f"each batch wait for the previous batch's slowest task: start tasks as their "
                f"own dependencies finish (ready queue + FIRST_COMPLETED).",
            )
            return
