"""The mutation list stays in step with the code: every guarded snippet exists exactly once."""

from __future__ import annotations

import pytest

from tests.mutations import MUTATIONS, Mutation, snippet_count


@pytest.mark.parametrize("mutation", MUTATIONS, ids=lambda m: m.name)
def test_each_mutation_still_applies_to_exactly_one_place(mutation: Mutation) -> None:
    assert snippet_count(mutation) == 1, f"update tests/mutations.py for {mutation.path}"


def test_mutation_names_are_unique() -> None:
    assert len({m.name for m in MUTATIONS}) == len(MUTATIONS)
