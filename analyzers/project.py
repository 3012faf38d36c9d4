"""Whole-project model (modules, classes, functions, call graph); built once per audit run."""

from __future__ import annotations


class ProjectModel:
    """Placeholder type until the project model lands (issue 3)."""
