"""The methods the sidecar serves, one module per family, each with its own ``table``."""

from __future__ import annotations

import importlib

from ..server.table import MethodTable

# Each module defines ``table = MethodTable()`` and registers its handlers on it. Importing a
# family imports only its types: handlers import their heavy backends on first use.
FAMILIES = (
    "lifecycle",
    "health",
    "discover",
    "devices",
    "report",
    "download",
)


def default_table() -> MethodTable:
    """Every method of the product, in one table."""
    table = MethodTable()
    for family in FAMILIES:
        table = table.merged(importlib.import_module(f"{__name__}.{family}").table)
    return table
