"""Why a TF.js graph could not be converted."""

from __future__ import annotations


class UnsupportedModelError(ValueError):
    """The graph uses an op, attribute or weight encoding this converter does not cover."""
