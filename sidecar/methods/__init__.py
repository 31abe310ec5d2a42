"""The methods the sidecar serves, one module per family."""

from __future__ import annotations

from ..server.table import MethodTable


def default_table() -> MethodTable:
    """Every method of the product, in one table."""
    from . import discover, health, lifecycle

    return lifecycle.table.merged(health.table).merged(discover.table)
