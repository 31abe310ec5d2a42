"""``python -m sidecar``: the process the host starts."""

import gc

# Starting up makes tens of thousands of objects that live as long as the process (modules,
# classes, msgspec types), and the collector would scan them again and again while they are
# made: about 5 ms of a 70 ms start. It stays off until the server runs, which freezes them
# and turns it back on (server/run.py).
gc.disable()

from .cli import main  # noqa: E402 (after the collector is off)

main()
