"""Nothing from the user's environment reaches the runtime: PYTHONPATH and PYTHONHOME, user site-packages,
the build machine's Python and libraries through LD_LIBRARY_PATH, or yt-dlp plugins in the user's folders.
Each planted module leaves a marker file if its code ever runs."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from sidecar_devkit.client import SidecarProcess, development_policy
from tools.runtime_build.elf import BASE_SYSTEM

from ..download.helpers import wait_end
from ..download.mediaserver import MediaServer, media_bytes
from .conftest import run_python

pytestmark = pytest.mark.e2e


@dataclass(frozen=True)
class Hostile:
    env: dict[str, str]
    markers: Path

    def fired(self) -> list[str]:
        return sorted(path.name for path in self.markers.iterdir())


@pytest.fixture
def hostile(tmp_path: Path) -> Hostile:
    markers = tmp_path / "markers"
    markers.mkdir()

    def plant(path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f"open({str(markers / path.stem)!r}, 'w').close()\n")

    evil, home = tmp_path / "evil", tmp_path / "home"
    plant(evil / "sitecustomize.py")
    plant(evil / "msgspec.py")  # shadows a real dependency
    plant(evil / "yt_dlp_plugins" / "extractor" / "on_sys_path.py")
    plant(home / ".local" / "lib" / f"python{sys.version_info.major}.{sys.version_info.minor}" / "site-packages" / "usercustomize.py")
    plant(home / ".config" / "yt-dlp" / "plugins" / "evil" / "yt_dlp_plugins" / "extractor" / "in_user_config.py")
    base_lib = Path(sys.base_prefix) / "lib"  # the build's own CPython, with its libpython
    env = {
        "PYTHONPATH": str(evil),
        "PYTHONHOME": str(evil),
        "PYTHONUSERBASE": str(home / ".local"),
        "HOME": str(home),
        "XDG_CONFIG_HOME": str(home / ".config"),
        "LD_LIBRARY_PATH": f"{base_lib}:/usr/lib/x86_64-linux-gnu:/lib/x86_64-linux-gnu",
        "PATH": f"{Path(sys.base_prefix) / 'bin'}:/usr/bin:/bin",
    }
    return Hostile(env, markers)


LOAD_EVERYTHING = """
import json, sys, site
import ssl, sqlite3, lzma, bz2, ctypes, uuid, zlib, decimal, hashlib
import msgspec, pydantic_core, PIL._imaging, cryptography.hazmat.bindings._rust, usb1
usb1.loadLibrary()
mapped = {fields[5].strip() for fields in (line.split(maxsplit=5) for line in open("/proc/self/maps")) if len(fields) == 6}
libraries = sorted(path for path in mapped if ".so" in path.rsplit("/", 1)[-1])
print(json.dumps({"prefix": sys.prefix, "path": sys.path, "user_site": site.ENABLE_USER_SITE,
                  "msgspec": msgspec.__file__, "libraries": libraries}))
"""


def test_sys_path_and_every_loaded_library_stay_inside_the_runtime_whatever_the_environment(built, hostile) -> None:
    seen = run_python(built, LOAD_EVERYTHING, env=hostile.env)
    inside = str(built.root) + "/"
    assert seen["prefix"] == str(built.root)
    assert [entry for entry in seen["path"] if not entry.startswith(inside)] == []
    assert seen["user_site"] is False and seen["msgspec"].startswith(inside)
    assert [lib for lib in seen["libraries"] if not lib.startswith(inside) and Path(lib).name not in BASE_SYSTEM] == []
    assert any(lib.endswith("/usb1/libusb-1.0.so.0") for lib in seen["libraries"])  # dlopened, from inside too
    assert hostile.fired() == []


def test_downloads_run_no_yt_dlp_plugin_from_the_users_folders(built, hostile, tmp_path) -> None:
    # Control: yt-dlp embedded the default way, in this same runtime, does run the plugin in the user's config.
    control = "import yt_dlp; yt_dlp.YoutubeDL({'quiet': True})"
    subprocess.run([str(built.python), "-I", "-c", control], env=hostile.env, check=True, capture_output=True, timeout=120)
    assert hostile.fired() == ["in_user_config"]
    (hostile.markers / "in_user_config").unlink()

    media = MediaServer()
    with open(tmp_path / "sidecar.stderr.log", "wb") as stderr:
        sidecar = SidecarProcess([str(built.python), "-I", "-m", "sidecar"], stderr=stderr, env=hostile.env, cwd=str(tmp_path))
    try:
        sidecar.initialize(development_policy(str(tmp_path / "roots")))
        sidecar.request("download/start", {"url": media.add("/v.mp4", media_bytes(50_000)), "progress_token": "p"})
        assert wait_end(sidecar, "p")["detail"]["status"] == "finished"
    finally:
        sidecar.close()
        media.close()
    assert hostile.fired() == []
