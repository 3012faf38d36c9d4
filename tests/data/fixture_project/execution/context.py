"""Execution context and orchestrator over the user's workflow graph (fixture)."""

import copy


class ExecutionContext:
    def __init__(self):
        self.variables = {}
        self.execution_history = []

    def record(self, node_id, result):
        self.execution_history.append((node_id, result))

    def snapshot(self):
        return copy.deepcopy(self.variables)


class Orchestrator:
    def __init__(self, workflow):
        self.workflow = workflow

    def get_next_nodes(self, node_id):
        return [c.target for c in self.workflow.connections if c.source == node_id]

    def _collect(self, node_id, seen):
        seen.add(node_id)
        for nxt in self.get_next_nodes(node_id):
            if nxt not in seen:
                self._collect(nxt, seen)


class Runner:
    def __init__(self, workflow):
        self.orchestrator = Orchestrator(workflow)
        self.context = ExecutionContext()

    async def run(self, start):
        queue = [start]
        while queue:
            node_id = queue.pop()
            self.context.snapshot()
            queue.extend(self.orchestrator.get_next_nodes(node_id))
