"""The name an Apple device is sold under, from its ``ProductType`` ("iPhone14,5" -> "iPhone 13").

The table is pymobiledevice3's ``IRECV_DEVICES`` (Apple's device list, maintained upstream with
each new model), so nothing is copied here. Its display names tell apart radio and region
variants of one model ("iPhone 7 (Global)", "iPhone 4 (GSM)", "iPad Air 2 (WiFi)"); Settings >
General > About shows the model name without them, so those qualifiers are dropped and the
rest ("iPad (10th gen)", "iPhone SE (2nd gen)") is kept.
"""

from __future__ import annotations

import re

# Qualifiers that name a radio, region or connectivity variant of the same model.
_VARIANTS = frozenset({"Global", "GSM", "CDMA", "China", "US", "WiFi", "Cellular"})
_PARENTHESES = re.compile(r"\s*\(([^)]*)\)")


def model_name(product_type: str | None) -> str | None:
    """The marketing name of ``product_type``, or None when Apple's list does not know it."""
    if not product_type:
        return None
    from pymobiledevice3.irecv_devices import IRECV_DEVICES  # a large table: loaded on first use

    for device in IRECV_DEVICES:
        if device.product_type == product_type:
            return _without_variant(device.display_name)
    return None


def _without_variant(display_name: str) -> str:
    def keep(match: re.Match[str]) -> str:
        parts = [part for part in match.group(1).split(", ") if part not in _VARIANTS]
        return f" ({', '.join(parts)})" if parts else ""

    return " ".join(_PARENTHESES.sub(keep, display_name).split())
