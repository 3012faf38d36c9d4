"""Errors of the sampling package; every message is one line a user can act on."""

from __future__ import annotations


class SamplingError(Exception):
    """Sampling cannot start or continue: py-spy missing, no such process, no ptrace rights."""


class PySpyFormatError(SamplingError):
    """py-spy output that does not follow the grammar a parser states; names where it broke."""
