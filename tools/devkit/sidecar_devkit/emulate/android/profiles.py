"""Emulated Android devices as plain data: what each one answers, and how it misbehaves.

A profile is everything the fake adbd needs to answer the read-only commands
the product sends: system properties, settings tables, battery state, storage,
packages, SELinux mode, root indicators, and the seed of its log buffers. It
also carries the device's ADB authorisation policy and optional faults.

Derive variants with ``msgspec.structs.replace``, e.g.
``replace(PIXEL, faults={"dumpsys battery": Hang()})``.
"""

from __future__ import annotations

from datetime import datetime

import msgspec
from msgspec.structs import replace


class Battery(msgspec.Struct, frozen=True, kw_only=True):
    """The HealthInfo fields ``dumpsys battery`` prints (Android 14 names and units)."""

    ac_powered: bool = False
    usb_powered: bool = True
    wireless_powered: bool = False
    dock_powered: bool = False
    max_charging_current: int = 500000  # µA
    max_charging_voltage: int = 5000000  # µV
    charge_counter: int = 3920000  # µAh
    status: int = 2  # BatteryManager.BATTERY_STATUS_CHARGING
    health: int = 2  # BatteryManager.BATTERY_HEALTH_GOOD
    present: bool = True
    level: int = 87
    voltage: int = 4123  # mV
    temperature: int = 281  # tenths of °C
    technology: str = "Li-ion"
    charging_state: int = 1  # BatteryChargingState.NORMAL
    charging_policy: int = 1  # BatteryChargingPolicy.DEFAULT
    cycle_count: int | None = 289  # /sys/class/power_supply/battery/cycle_count; None: the shell may not read it


class Partition(msgspec.Struct, frozen=True):
    """One mounted filesystem as ``df -k`` reports it (sizes in KiB)."""

    device: str
    mount_point: str
    size_kb: int
    used_kb: int
    available_kb: int


class Disconnect(msgspec.Struct, frozen=True, tag=True):
    """Drop the whole connection after sending ``after_bytes`` of the command's output.

    ``abort`` resets the TCP connection (RST, like a device that vanished from
    the network) instead of closing it in order (FIN, like adbd exiting).
    """

    after_bytes: int = 0
    abort: bool = False


class Hang(msgspec.Struct, frozen=True, tag=True):
    """Accept the command, then never send output or close the stream."""


Fault = Disconnect | Hang


class AuthPolicy(msgspec.Struct, frozen=True):
    """How the device treats hosts that connect to it.

    ``trusted_keys`` are adb public keys (``adbkey.pub`` text) already in the
    device's ``adb_keys``; ``user_allows`` is whether the user taps "Allow" on
    the prompt a new key raises (an allowed key is then trusted for the rest of
    the fake's life, as with "Always allow from this computer").
    """

    required: bool = True
    trusted_keys: tuple[str, ...] = ()
    user_allows: bool = True


class DeviceProfile(msgspec.Struct, frozen=True, kw_only=True):
    name: str
    about: str = ""  # one line for people choosing a profile
    props: dict[str, str]
    settings_global: dict[str, str]
    settings_secure: dict[str, str]
    battery: Battery
    data: Partition
    system_packages: tuple[str, ...]
    third_party_packages: tuple[str, ...]
    selinux: str  # what getenforce prints
    uptime: str  # /proc/uptime: seconds up, seconds idle summed over CPUs
    clock: datetime  # the device's wall clock; its logs end here
    shell_is_root: bool = False  # adbd runs commands as root (ro.secure=0, or `adb root`)
    su_path: str | None = None
    anr_files: tuple[str, ...] = ()
    tombstone_files: tuple[str, ...] = ()
    device_owner: str | None = None  # admin component of a fully managed phone's device owner
    work_profile_owner: str | None = None  # admin component managing a work profile (user 10)
    # Only what this fake implements: no shell_v2, so hosts use the plain `shell:` service.
    features: tuple[str, ...] = ("cmd",)
    auth: AuthPolicy = AuthPolicy()
    faults: dict[str, Fault] = {}  # keyed by the exact shell command line
    # Outputs captured from a real phone, served verbatim (``\n`` line ends; the pty of old
    # generations adds the ``\r``), keyed by the exact shell command line.
    captured: dict[str, str] = {}

    @property
    def sdk(self) -> int:
        """The Android generation (API level) the device behaves as."""
        try:
            return int(self.props.get("ro.build.version.sdk", ""))
        except ValueError:
            return 34


_BUILD_ID = "AP1A.240505.004"
_INCREMENTAL = "11583682"


def _fingerprint(build_type: str, tags: str) -> str:
    return f"google/panther/panther:14/{_BUILD_ID}/{_INCREMENTAL}:{build_type}/{tags}"


# A Pixel 7 on the May 2024 Android 14 release, USB debugging on and `adb tcpip 5555` done.
_PIXEL_PROPS: dict[str, str] = {
    "apex.all.ready": "true",
    "bootreceiver.enable": "1",
    "dalvik.vm.appimageformat": "lz4",
    "dalvik.vm.heapgrowthlimit": "256m",
    "dalvik.vm.heapsize": "512m",
    "dalvik.vm.isa.arm64.variant": "cortex-a55",
    "dalvik.vm.usejit": "true",
    "debug.sf.enable_hwc_vds": "1",
    "gsm.current.phone-type": "1",
    "gsm.network.type": "LTE",
    "gsm.operator.alpha": "Vodafone",
    "gsm.operator.iso-country": "de",
    "gsm.sim.state": "LOADED",
    "gsm.version.baseband": "g5300g-231127-231221-B-11275006",
    "init.svc.adbd": "running",
    "init.svc.bootanim": "stopped",
    "init.svc.gatekeeperd": "running",
    "init.svc.keystore2": "running",
    "init.svc.surfaceflinger": "running",
    "init.svc.zygote": "running",
    "net.bt.name": "Android",
    "persist.sys.dalvik.vm.lib.2": "libart.so",
    "persist.sys.locale": "en-US",
    "persist.sys.timezone": "Europe/Berlin",
    "persist.sys.usb.config": "adb",
    "persist.vendor.radio.multisim.config": "dsds",
    "ro.adb.secure": "1",
    "ro.allow.mock.location": "0",
    "ro.baseband": "mdm",
    "ro.board.platform": "gs201",
    "ro.boot.bootreason": "reboot",
    "ro.boot.flash.locked": "1",
    "ro.boot.hardware": "panther",
    "ro.boot.hardware.platform": "gs201",
    "ro.boot.hardware.revision": "MP1.0",
    "ro.boot.serialno": "28161FDH2001YK",
    "ro.boot.vbmeta.avb_version": "1.2",
    "ro.boot.vbmeta.device_state": "locked",
    "ro.boot.vbmeta.digest": "6d1fd4b0c1d04c8f8b8f4d9d1b2ab5c2f0b0e2b7ad5c9b0d4c9e3d2e1f0a9b8c",
    "ro.boot.vbmeta.hash_alg": "sha256",
    "ro.boot.verifiedbootstate": "green",
    "ro.boot.veritymode": "enforcing",
    "ro.bootimage.build.fingerprint": _fingerprint("user", "release-keys"),
    "ro.bootloader": "cloudripper-14.2-11426123",
    "ro.bootmode": "unknown",
    "ro.build.characteristics": "nosdcard",
    "ro.build.date": "Tue Apr  2 21:18:34 UTC 2024",
    "ro.build.date.utc": "1712092714",
    "ro.build.description": f"panther-user 14 {_BUILD_ID} {_INCREMENTAL} release-keys",
    "ro.build.display.id": _BUILD_ID,
    "ro.build.fingerprint": _fingerprint("user", "release-keys"),
    "ro.build.flavor": "panther-user",
    "ro.build.host": "abfarm-release-rbe-64-00057",
    "ro.build.id": _BUILD_ID,
    "ro.build.product": "panther",
    "ro.build.tags": "release-keys",
    "ro.build.type": "user",
    "ro.build.user": "android-build",
    "ro.build.version.base_os": "",
    "ro.build.version.codename": "REL",
    "ro.build.version.incremental": _INCREMENTAL,
    "ro.build.version.preview_sdk": "0",
    "ro.build.version.release": "14",
    "ro.build.version.release_or_codename": "14",
    "ro.build.version.sdk": "34",
    "ro.build.version.security_patch": "2024-05-05",
    "ro.carrier": "unknown",
    "ro.config.ringtone": "Your_New_Adventure.ogg",
    "ro.crypto.metadata.enabled": "true",
    "ro.crypto.state": "encrypted",
    "ro.crypto.type": "file",
    "ro.debuggable": "0",
    "ro.hardware": "panther",
    "ro.hardware.egl": "mali",
    "ro.hardware.keystore": "gs201",
    "ro.hardware.vulkan": "mali",
    "ro.kernel.version": "5.10",
    "ro.oem_unlock_supported": "1",
    "ro.opengles.version": "196610",
    "ro.frp.pst": "/dev/block/by-name/frp",
    "ro.product.board": "panther",
    "ro.product.brand": "google",
    "ro.product.cpu.abi": "arm64-v8a",
    "ro.product.cpu.abilist": "arm64-v8a",
    "ro.product.cpu.abilist64": "arm64-v8a",
    "ro.product.device": "panther",
    "ro.product.first_api_level": "33",
    "ro.product.locale": "en-US",
    "ro.product.manufacturer": "Google",
    "ro.product.model": "Pixel 7",
    "ro.product.name": "panther",
    "ro.revision": "MP1.0",
    "ro.secure": "1",
    "ro.serialno": "28161FDH2001YK",
    "ro.sf.lcd_density": "420",
    "ro.soc.manufacturer": "Google",
    "ro.soc.model": "Tensor G2",
    "ro.treble.enabled": "true",
    "ro.vendor.build.security_patch": "2024-05-05",
    "ro.vndk.version": "34",
    "ro.zygote": "zygote64",
    "security.perf_harden": "1",
    "service.adb.tcp.port": "5555",
    "sys.boot_completed": "1",
    "sys.oem_unlock_allowed": "0",
    "sys.usb.config": "adb",
    "sys.usb.state": "adb",
    "vold.has_adoptable": "0",
}

_PIXEL_GLOBAL: dict[str, str] = {
    "adb_enabled": "1",
    "adb_wifi_enabled": "0",
    "airplane_mode_on": "0",
    "auto_time": "1",
    "auto_time_zone": "1",
    "bluetooth_on": "1",
    "boot_count": "37",
    "data_roaming": "0",
    "development_settings_enabled": "1",
    "device_name": "Pixel 7",
    "device_provisioned": "1",
    "mobile_data": "1",
    # Android 14 moved this from Secure to Global; `settings get secure` still finds it.
    "secure_frp_mode": "0",
    "stay_on_while_plugged_in": "0",
    "verifier_verify_adb_installs": "1",
    "wifi_on": "1",
}

_PIXEL_SECURE: dict[str, str] = {
    "android_id": "8f3a1c2b9d4e5f60",
    "bluetooth_address": "F0:5C:77:9A:3B:21",
    "bluetooth_name": "Pixel 7",
    "default_input_method": "com.google.android.inputmethod.latin/com.android.inputmethod.latin.LatinIME",
    "install_non_market_apps": "1",
    "location_mode": "3",
    "lockscreen.disabled": "0",
    "screensaver_enabled": "0",
    "user_setup_complete": "1",
}

_PIXEL_SYSTEM_PACKAGES: tuple[str, ...] = (
    "android",
    "com.android.bluetooth",
    "com.android.cellbroadcastreceiver",
    "com.android.chrome",
    "com.android.dynsystem",
    "com.android.egg",
    "com.android.emergency",
    "com.android.htmlviewer",
    "com.android.inputdevices",
    "com.android.keychain",
    "com.android.location.fused",
    "com.android.managedprovisioning",
    "com.android.nfc",
    "com.android.phone",
    "com.android.providers.calendar",
    "com.android.providers.contacts",
    "com.android.providers.downloads",
    "com.android.providers.media",
    "com.android.providers.settings",
    "com.android.providers.telephony",
    "com.android.se",
    "com.android.server.telecom",
    "com.android.settings",
    "com.android.shell",
    "com.android.systemui",
    "com.android.traceur",
    "com.android.vending",
    "com.android.wallpaperbackup",
    "com.google.android.apps.maps",
    "com.google.android.apps.messaging",
    "com.google.android.apps.nexuslauncher",
    "com.google.android.apps.photos",
    "com.google.android.apps.safetyhub",
    "com.google.android.apps.wellbeing",
    "com.google.android.as",
    "com.google.android.calendar",
    "com.google.android.contacts",
    "com.google.android.deskclock",
    "com.google.android.dialer",
    "com.google.android.gm",
    "com.google.android.gms",
    "com.google.android.googlequicksearchbox",
    "com.google.android.GoogleCamera",
    "com.google.android.gsf",
    "com.google.android.inputmethod.latin",
    "com.google.android.networkstack",
    "com.google.android.permissioncontroller",
    "com.google.android.setupwizard",
    "com.google.android.youtube",
)

PIXEL = DeviceProfile(
    name="pixel",
    about="Pixel 7, Android 14 (hand-made): locked, encrypted, ADB over TCP on",
    props=_PIXEL_PROPS,
    settings_global=_PIXEL_GLOBAL,
    settings_secure=_PIXEL_SECURE,
    battery=Battery(),
    data=Partition("/dev/block/dm-46", "/data", 115367708, 38011324, 77225312),
    system_packages=_PIXEL_SYSTEM_PACKAGES,
    third_party_packages=(
        "com.whatsapp",
        "org.telegram.messenger",
        "com.spotify.music",
        "com.google.android.apps.authenticator2",
        "org.videolan.vlc",
        "com.duolingo",
    ),
    selinux="Enforcing",
    uptime="351735.33 2627410.12",
    clock=datetime(2024, 5, 14, 10, 30, 0, 512000),
)

# Factory-reset while a Google account was still on it: Factory Reset Protection
# holds the device in the setup wizard until that account is entered again.
FRP_LOCKED = replace(
    PIXEL,
    name="frp",
    about="Pixel 7 held by Factory Reset Protection (hand-made)",
    props={**_PIXEL_PROPS, "ro.boot.serialno": "28161FDH2003QD", "ro.serialno": "28161FDH2003QD"},
    settings_global={**_PIXEL_GLOBAL, "device_provisioned": "0", "secure_frp_mode": "1", "boot_count": "2"},
    settings_secure={**_PIXEL_SECURE, "user_setup_complete": "0"},
    battery=Battery(level=54, charge_counter=2410000, voltage=3874, temperature=263),
    data=Partition("/dev/block/dm-46", "/data", 115367708, 5132640, 110235068),
    third_party_packages=(),
    uptime="412.87 3011.64",
)

# `fastboot flashing unlock` done: verified boot is orange and vbmeta unlocked.
BOOTLOADER_UNLOCKED = replace(
    PIXEL,
    name="bootloader-unlocked",
    about="Pixel 7 with an unlocked bootloader, verified boot orange (hand-made)",
    props={
        **_PIXEL_PROPS,
        "ro.boot.serialno": "28161FDH2005PL",
        "ro.serialno": "28161FDH2005PL",
        "ro.boot.flash.locked": "0",
        "ro.boot.verifiedbootstate": "orange",
        "ro.boot.vbmeta.device_state": "unlocked",
        "ro.boot.veritymode": "",
        "sys.oem_unlock_allowed": "1",
    },
    battery=Battery(level=63, usb_powered=False, status=3, charge_counter=2830000, voltage=3951),
)

# A custom userdebug build: insecure adbd (shell runs as root), su installed, SELinux permissive.
ROOTED = replace(
    BOOTLOADER_UNLOCKED,
    name="rooted",
    about="Pixel 7 userdebug build: root shell, su, SELinux permissive, crash files readable (hand-made)",
    props={
        **BOOTLOADER_UNLOCKED.props,
        "ro.boot.serialno": "28161FDH2007ZX",
        "ro.serialno": "28161FDH2007ZX",
        "ro.build.type": "userdebug",
        "ro.build.tags": "test-keys",
        "ro.build.flavor": "panther-userdebug",
        "ro.build.description": f"panther-userdebug 14 {_BUILD_ID} {_INCREMENTAL} test-keys",
        "ro.build.fingerprint": _fingerprint("userdebug", "test-keys"),
        "ro.bootimage.build.fingerprint": _fingerprint("userdebug", "test-keys"),
        "ro.debuggable": "1",
        "ro.secure": "0",
        "service.adb.root": "1",
    },
    third_party_packages=(*PIXEL.third_party_packages, "com.topjohnwu.magisk"),
    selinux="Permissive",
    shell_is_root=True,
    su_path="/system/xbin/su",
    anr_files=("anr_2024-05-13-18-02-11-455", "anr_2024-05-14-09-41-57-102"),
    tombstone_files=("tombstone_00", "tombstone_00.pb", "tombstone_01", "tombstone_01.pb"),
)

PROFILES: dict[str, DeviceProfile] = {p.name: p for p in (PIXEL, FRP_LOCKED, BOOTLOADER_UNLOCKED, ROOTED)}
