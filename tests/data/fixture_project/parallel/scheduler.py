"""Dependency analysis and a parallel runner shaped like utils/performance/parallel_executor."""

import asyncio
from collections import defaultdict, deque


class DependencyGraph:
    def __init__(self, nodes, connections):
        self.nodes = nodes
        self.connections = connections
        self._adjacency = defaultdict(set)

    def reachable(self, start_nodes):
        queue = list(start_nodes)
        seen = set()
        while queue:
            node_id = queue.pop(0)  # expect: CIA601
            if node_id in seen:
                continue
            seen.add(node_id)
            queue.extend(self._adjacency[node_id])
        return seen

    def reachable_fast(self, start_nodes):
        queue = deque(start_nodes)
        seen = set()
        while queue:
            node_id = queue.popleft()
            seen.add(node_id)
        return seen

    def order(self, start):
        visited = []
        stack = [start]
        while stack:
            node_id = stack.pop()
            if node_id in visited:  # expect: CIA602
                continue
            visited.append(node_id)
            stack.extend(self._adjacency[node_id])
        return visited


class ParallelRunner:
    def __init__(self, max_concurrency: int = 4):  # a default callers override: not planted
        self._max = max_concurrency
        self._gate = asyncio.Semaphore(8)  # expect: CIA603

    async def run_all(self, nodes):
        tasks = [self._run(n) for n in nodes]
        return await asyncio.gather(*tasks)  # expect: CIA604

    async def run_parallel(self, nodes):
        semaphore = asyncio.Semaphore(self._max)

        async def one(n):
            async with semaphore:
                return await self._run(n)

        return await asyncio.gather(*[one(n) for n in nodes])

    async def run_levels(self, levels):
        results = []
        for level in levels:
            results.append(await self.run_parallel(level))  # expect: CIA606
        return results

    async def _run(self, node):
        return await node.execute()
