"""How logcat says no, in the wording of each generation, so a refusal is never published as a log.

* Android 4.4 and older open ``/dev/log/<name>`` per ``-b``: an unknown name (``crash``, a
  comma list) gives ``Unable to open log device '/dev/log/main,system,crash': ...``;
* logd's logcat (Android 5 on) says ``Unknown buffer``/``Invalid buffer`` or prints its usage;
* getopt's own complaints (``invalid option``, ``unrecognized option``) come before the usage.
"""

from __future__ import annotations

import re

_REFUSAL = re.compile(
    r"^(?:logcat: )?(?:Unable to open log device|Unknown buffer|Invalid buffer|invalid option|unrecognized option|option requires an argument)"
    r"|^Usage: logcat\b",
    re.IGNORECASE,
)


def logcat_refusal(output: str) -> str | None:
    """logcat's refusal (its first line), or None if the output reads as a log."""
    first = next((line.strip() for line in output.split("\n") if line.strip()), "")
    return first if _REFUSAL.search(first) else None
