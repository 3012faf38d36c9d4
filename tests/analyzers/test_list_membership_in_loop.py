"""CIA602: which list membership tests are reported, and how severe each is."""

from __future__ import annotations

import textwrap

from analyzers.context import FileContext
from analyzers.engine import analyze_source
from analyzers.rules.a6_list_membership_in_loop import ListMembershipInLoop


def _found(code: str) -> list[tuple[int, str, int]]:
    findings = analyze_source(
        textwrap.dedent(code), FileContext(relpath="walk.py"), [ListMembershipInLoop]
    )
    return [(f.line, f.severity.value, f.priority.score) for f in findings]


def test_a_visited_list_in_a_worklist_walk_is_medium():
    assert _found(
        """\
        def order(graph, start):
            visited = []
            stack = [start]
            while stack:
                node = stack.pop()
                if node in visited:
                    continue
                visited.append(node)
                stack.extend(graph[node])
            return visited
        """
    ) == [(6, "MEDIUM", 48)]


def test_a_dedupe_in_one_pass_over_data_is_low():
    assert _found(
        """\
        def tracker_urls(tiers):
            urls = []
            for tier in tiers:
                for url in tier:
                    if url not in urls:
                        urls.append(url)
            return urls
        """
    ) == [(5, "LOW", 28)]


def test_a_list_extended_by_a_whole_collection_grows_with_it():
    assert _found(
        """\
        def missing(wanted, rows):
            have = []
            have.extend(rows)
            return [w for w in wanted if w not in have]
        """
    ) == [(4, "LOW", 28)]


def test_literal_counted_and_capped_lists_are_not_reported():
    assert _found(
        """\
        def kinds(items):
            names = []
            names += ["a", "b"]
            for item in items:
                if item in names:
                    yield item

        def first_ten(rows):
            seen = []
            for row in rows[:10]:
                if row not in seen:
                    seen.append(row)
            return seen

        def from_indexes(rows):
            seen = []
            for i in range(len(rows)):
                if rows[i] not in seen:
                    seen.append(rows[i])
            return seen
        """
    ) == [(18, "LOW", 28)]


def test_a_length_check_after_the_loop_caps_nothing():
    assert _found(
        """\
        def branches(connections, start):
            targets = []
            for conn in connections:
                if conn.source == start and conn.target not in targets:
                    targets.append(conn.target)
            if len(targets) <= 1:
                return [targets]
            return [[t] for t in targets]
        """
    ) == [(4, "LOW", 28)]
