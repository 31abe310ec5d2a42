"""``rpc.discover``: the OpenRPC document of this server, the same one checked in under schemas/."""

from __future__ import annotations

from typing import Any

from ..server.context import RequestContext
from ..server.table import MethodTable, NoParams

table = MethodTable()


@table.method("rpc.discover", requires=(), before_init=True, after_shutdown=True)
def discover(ctx: RequestContext, params: NoParams) -> dict[str, Any]:
    """The OpenRPC document describing every method, type and error of this server."""
    from ..schema.openrpc import openrpc_document  # schema generation is only needed here (and cached there)

    return openrpc_document(ctx.control.table)
