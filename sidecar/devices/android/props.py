"""What an Android phone's system properties tell, read the way each generation and vendor writes them.

Props are facts the phone states about itself. Each reader here returns None when no
prop it knows says anything, and never fills a gap with a guess.
"""

from __future__ import annotations

Props = dict[str, str]

# The name the phone is sold under, where the vendor states it (first found wins):
# Xiaomi/Redmi/POCO, then the vendor/odm copies of it, Huawei/Honor, OPPO/OnePlus/realme
# (ColorOS), OnePlus (OxygenOS), Motorola, LG, vivo, Sony, Asus, Lenovo, Transsion, ZTE (tests/corpus shows each).
# Pixels and many others state none: their ro.product.model is the sales name or a code.
MARKETING_NAME_PROPS = (
    "ro.product.marketname",
    "ro.product.vendor.marketname",
    "ro.product.odm.marketname",
    "ro.config.marketing_name",
    # ColorOS states the English name apart from a local one (一加 12, 真我GT Neo2T): the English
    # one is the brand's own spelling everywhere, so it comes first.
    "ro.vendor.oplus.market.enname",
    "ro.oppo.market.enname",
    "ro.vendor.oplus.market.name",
    "ro.oppo.market.name",
    "ro.display.series",
    "ro.vendor.product.display",
    "ro.boot.vendor.lge.petname",
    "ro.vivo.market.name",
    "ro.semc.product.name",
    "ro.asus.product.mkt_name",
    "ro.vendor.asus.product.mkt_name",  # ROG Phones state only the vendor copy
    # Lenovo (ZUI, ZUXOS): the English name where stated, else ZUI's own (often Chinese, also Motorola's China models)
    "ro.vendor.config.lgsi.en.market_name",
    "ro.config.lgsi.en.market_name",
    "ro.zuk.product.market",
    "ro.product.product.tran.device.name.default",  # Transsion: Infinix, Tecno, itel
    "ro.vendor.product.ztename",  # ZTE and nubia (red magic): the only name they state, often Chinese
)

# Verified boot (AVB) colours: green/yellow boot only with a locked bootloader, orange is
# an unlocked one; red says verification failed and nothing about the lock.
_LOCKED_BY_BOOT_COLOUR = {"green": True, "yellow": True, "orange": False}


def value(props: Props, *keys: str) -> str | None:
    """The first of ``keys`` that is set to something other than blanks."""
    for key in keys:
        found = props.get(key, "").strip()
        if found:
            return found
    return None


def sdk(props: Props) -> int | None:
    try:
        return int(props.get("ro.build.version.sdk", ""))
    except ValueError:
        return None


def marketing_name(props: Props) -> str | None:
    return value(props, *MARKETING_NAME_PROPS)


# Where the bootloader's word lands: ro.boot.* and, on many vendors, a vendor.boot.* copy.
# Root kits that hide an unlocked bootloader rewrite the ro.boot.* props to "locked"/"green"
# and leave the vendor copies alone (tests/corpus: a Nord N10 with Magisk), so when the two
# disagree the unlocked word is the true one: no locked phone states "unlocked" anywhere.
_BOOT_PREFIXES = ("ro.boot.", "vendor.boot.")


def _said(props: Props, name: str) -> list[str]:
    """What each copy of the boot prop ``name`` says, lower-cased, in the order of _BOOT_PREFIXES."""
    return [word for prefix in _BOOT_PREFIXES for word in _word(props, prefix + name)]


def verified_boot_state(props: Props) -> str | None:
    """The verified boot colour; a copy saying other than green wins over one saying green."""
    states = _said(props, "verifiedbootstate")
    return next((state for state in states if state != "green"), states[0] if states else None)


def _locked_by_copy(props: Props) -> dict[str, bool]:
    """Per copy (ro.boot., vendor.boot.) that tells anything: whether all it says means locked."""
    said: dict[str, bool] = {}
    for prefix in _BOOT_PREFIXES:
        readings = [flash == "1" for flash in _word(props, prefix + "flash.locked") if flash in ("0", "1")]
        readings += [state == "locked" for state in _word(props, prefix + "vbmeta.device_state") if state in ("locked", "unlocked")]
        readings += [_LOCKED_BY_BOOT_COLOUR[state] for state in _word(props, prefix + "verifiedbootstate") if state in _LOCKED_BY_BOOT_COLOUR]
        if readings:
            said[prefix] = all(readings)
    return said


def _word(props: Props, name: str) -> list[str]:
    found = value(props, name)
    return [found.lower()] if found else []


def bootloader_locked(props: Props) -> bool | None:
    """From the flash lock, the vbmeta device state and the verified boot colour, in every copy.

    They agree on a phone nobody tampered with; where they do not, one saying unlocked wins."""
    said = _locked_by_copy(props).values()
    return all(said) if said else None


def boot_copies_disagree(props: Props) -> str | None:
    """Which copy of the boot props says locked while another says unlocked (a root kit's mark), or None."""
    said = _locked_by_copy(props)
    if len(set(said.values())) < 2:
        return None
    locked = next(prefix for prefix, is_locked in said.items() if is_locked)
    unlocked = next(prefix for prefix, is_locked in said.items() if not is_locked)
    return f"boot props disagree: {locked}* says locked, {unlocked}* unlocked (a root kit hiding the unlock)"


def encryption(props: Props) -> str | None:
    """``ro.crypto.state`` and, when encrypted, how: "encrypted (file)", "unencrypted"."""
    state, kind = value(props, "ro.crypto.state"), value(props, "ro.crypto.type")
    if state is None:
        return None
    return f"{state} ({kind})" if kind and state == "encrypted" else state


def adb_tcp_port(props: Props) -> int | None:
    """The port adbd listens on over the network (``adb tcpip``, or set at boot), if any."""
    for key in ("service.adb.tcp.port", "persist.adb.tcp.port"):
        try:
            port = int(props.get(key, ""))
        except ValueError:
            continue
        if port > 0:
            return port
    return None


def root_indicators(props: Props) -> list[str]:
    """What the props themselves say about a rooted or developer build."""
    found = []
    if props.get("ro.debuggable") == "1":
        found.append("ro.debuggable=1")
    if props.get("ro.secure") == "0":
        found.append("ro.secure=0 (adbd runs as root)")
    if "test-keys" in props.get("ro.build.tags", ""):
        found.append("build signed with test-keys")
    build_type = props.get("ro.build.type")
    if build_type in ("userdebug", "eng"):
        found.append(f"{build_type} build")
    if verified_boot_state(props) == "orange":
        found.append("bootloader unlocked (verified boot orange)")
    if disagreement := boot_copies_disagree(props):
        found.append(disagreement)
    return found
