"""CIA102: dequeue pops items off a heap and pushes the skipped ones back, or re-heapifies."""

from __future__ import annotations

from analyzers.findings import ChainStep
from analyzers.project_rule import ProjectRule
from analyzers.rule import Invalid, Valid


class HeapRepushInDequeue(ProjectRule):
    """Each dequeue costs O(k log n) for k skipped items, O(n log n) when nothing fits."""

    ID = "CIA102"
    AREA = 1
    TITLE = "Dequeue pops and re-pushes heap items (or re-heapifies)"
    RATIONALE = (
        "A priority heap only gives O(log n) for the top item. Popping items to look past "
        "the ones this consumer cannot take and pushing them back - or `heapify` after "
        "removing one - makes every dequeue touch most of the queue, under the queue lock, "
        "and it gets worse exactly when the queue is long."
    )
    IMPACT = 4
    FREQUENCY = 5
    DIFFICULTY = 5
    RECOMMENDATION = (
        "Keep one heap per routing key (robot id / environment) and pick the best head among "
        "the few heaps a consumer may take from; remove cancelled items lazily (mark and "
        "skip on pop) instead of `remove` + `heapify`."
    )
    EXAMPLE_BEFORE = (
        "while self._queue:\n    item = heapq.heappop(self._queue)\n"
        "    if fits(item, robot): break\n    skipped.append(item)\n"
        "for item in skipped:\n    heapq.heappush(self._queue, item)"
    )
    EXAMPLE_AFTER = (
        "heaps = [self._by_env[robot.environment], self._by_robot[robot.id]]\n"
        "best = min((h for h in heaps if h), key=lambda h: h[0], default=None)\n"
        "item = heapq.heappop(best) if best else None"
    )
    TAGS = ("algorithmic", "queue")
    TRIGGERS = ("heapq",)
    VALID = (
        Valid(
            "import heapq\nclass Q:\n    def dequeue(self):\n"
            "        return heapq.heappop(self._heap) if self._heap else None\n"
        ),
        Valid(
            "import heapq\nclass Q:\n    def enqueue(self, items):\n"
            "        for i in items:\n            heapq.heappush(self._heap, i)\n"
        ),
    )
    INVALID = (
        Invalid(
            "import heapq\n"
            "class JobQueue:\n"
            "    def dequeue(self, robot):\n"
            "        skipped = []\n"
            "        while self._queue:\n"
            "            item = heapq.heappop(self._queue)\n"
            "            if item.robot_id == robot.id:\n"
            "                break\n"
            "            skipped.append(item)\n"
            "        for item in skipped:\n"
            "            heapq.heappush(self._queue, item)\n"
            "        return item\n",
            line=11,
            message_contains="pushes",
        ),
        Invalid(
            "import heapq\n"
            "class JobQueue:\n"
            "    def cancel(self, job_id):\n"
            "        self._queue = [i for i in self._queue if i.job_id != job_id]\n"
            "        heapq.heapify(self._queue)\n",
            line=5,
        ),
    )

    def check_project(self) -> None:
        for fn in self.functions():
            pops = [c for c in fn.calls if c.target == "heapq.heappop" and c.in_loop]
            pushes = [c for c in fn.calls if c.target == "heapq.heappush" and c.in_loop]
            repush = [p for p in pushes if all(p.loop_line != pop.loop_line for pop in pops)]
            if pops and repush:
                push = repush[0]
                heap = push.callables[0] if push.callables else "the heap"
                self.report_at(
                    push.line,
                    f"`{fn.name}` pops items off `{heap}` until one fits and pushes every "
                    "skipped item back here: O(k log n) per call, O(n log n) when nothing "
                    "fits; keep one heap per routing key.",
                    end_line=push.end_line,
                    related=(ChainStep(fn.relpath, pops[0].line, fn.qualname, "heappop"),),
                )
                continue
            for call in fn.calls:
                if call.target == "heapq.heapify" and fn.name != "__init__":
                    heap = call.callables[0] if call.callables else "the heap"
                    self.report_at(
                        call.line,
                        f"`{fn.name}` rebuilds `{heap}` with heapify (O(n)) on every call; "
                        "mark removed items and skip them on pop instead.",
                        end_line=call.end_line,
                    )
                    break
