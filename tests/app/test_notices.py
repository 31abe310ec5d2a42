"""The app's third-party notices: every crate it is built from has a licence text (its own, whenever it
ships one), the .deb carries the notices and the licence files beside the runtime, and the frontend
ships no npm package's code.

cargo-about (pinned, installed by scripts/setup) reads the crates as crates.io published them, from
Cargo's registry folder; nothing here is mocked.
"""

from __future__ import annotations

import json
import re
import subprocess
import tomllib
from pathlib import Path

import pytest

from ..conftest import REPO
from .harness import PRODUCT, TRIPLE, deb_path, unpack

pytestmark = pytest.mark.app

CARGO_ABOUT = REPO / ".venv" / "bin" / "cargo-about"
UI = REPO / "src-tauri" / "app-ui"
LICENCE_LOOKING = re.compile(r"(?i)^(licen[cs]e|copying|copyright|unlicense)([.\-_].*)?$")


def locked_version(name: str) -> str:
    lock = tomllib.loads((REPO / "src-tauri" / "Cargo.lock").read_text())
    (version,) = {package["version"] for package in lock["package"] if package["name"] == name}
    return version


@pytest.fixture(scope="module")
def about() -> dict:
    """cargo-about's findings for the app's dependency graph, as the bundle's notices are made from them."""
    done = subprocess.run(
        [
            str(CARGO_ABOUT),
            "generate",
            "--frozen",
            "--fail",
            "--target",
            TRIPLE,
            "--format",
            "json",
            "--manifest-path",
            str(REPO / "src-tauri" / "app" / "Cargo.toml"),
            "--config",
            str(REPO / "src-tauri" / "about.toml"),
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )
    # --fail: a crate whose licence cannot be settled (unknown, not accepted, a clarified file that changed) fails here.
    assert done.returncode == 0, done.stderr[-4000:]
    return json.loads(done.stdout)


def test_every_crate_the_app_is_built_from_has_a_licence_text(about: dict) -> None:
    covered = {(use["crate"]["name"], use["crate"]["version"]) for licence in about["licenses"] for use in licence["used_by"]}
    crates = {(crate["package"]["name"], crate["package"]["version"]) for crate in about["crates"]}
    assert crates - covered == set()
    assert all(licence["text"].strip() for licence in about["licenses"])
    # The graph is the app's: Tauri, and the host crate's runtime.
    assert {("tauri", locked_version("tauri")), ("tokio", locked_version("tokio"))} <= crates


def test_a_crate_that_ships_its_licence_text_is_given_with_it(about: dict) -> None:
    """cargo-about falls back to a licence's standard text (no copyright line) when it finds no file in
    the crate; that must be because the crate has none, not because the file went unrecognised
    (src-tauri/about.toml clarifies those)."""
    folders = {(crate["package"]["name"], crate["package"]["version"]): Path(crate["package"]["manifest_path"]).parent for crate in about["crates"]}
    standard = {(use["crate"]["name"], use["crate"]["version"]) for licence in about["licenses"] if not licence["source_path"] for use in licence["used_by"]}
    overlooked = {
        f"{name} {version}: {files}"
        for name, version in standard
        if (files := sorted(path.name for path in folders[name, version].iterdir() if LICENCE_LOOKING.match(path.name)))
    }
    assert overlooked == set()


def test_the_deb_carries_the_apps_notices_and_licences_beside_the_runtime(tmp_path: Path) -> None:
    resources = unpack(deb_path(), tmp_path / "installed") / "usr" / "lib" / PRODUCT
    for name in ("LICENSE", "LICENSE-MIT", "LICENSE-APACHE"):
        assert (resources / name).read_bytes() == (REPO / name).read_bytes(), name
    notices = (resources / "THIRD-PARTY-NOTICES").read_text(encoding="utf-8")
    for crate in ("tauri", "tokio", "serde"):
        assert f"\n  {crate} {locked_version(crate)}\n" in notices, crate
    assert "Copyright (c) 2017 - Present Tauri Apps Contributors" in notices  # tauri's own MIT file, not the standard text
    assert (resources / "runtime" / TRIPLE / "THIRD-PARTY-NOTICES").is_file()


def test_the_frontend_ships_no_npm_package() -> None:
    """What the app embeds is the frontend's dist/: the project's static files and its TypeScript as tsc
    compiled it. No npm package is a runtime dependency and no module imports one, so the notices need
    none (the Tauri API the page calls comes with the tauri crate)."""
    package = json.loads((UI / "package.json").read_text())
    assert "dependencies" not in package, "a runtime npm dependency ships: list its licence in the app's notices"
    dist = UI / "dist"
    assert (dist / "index.html").is_file(), "no frontend build in src-tauri/app-ui/dist; ./scripts/bundle makes it"
    own = {path.relative_to(UI / "static").as_posix() for path in (UI / "static").rglob("*") if path.is_file()}
    own |= {f"js/{path.relative_to(UI / 'src').with_suffix('.js').as_posix()}" for path in (UI / "src").rglob("*.ts") if not path.name.endswith(".d.ts")}
    shipped = {path.relative_to(dist).as_posix() for path in dist.rglob("*") if path.is_file()}
    assert shipped - own == set()
    specifiers = {spec for path in dist.rglob("*.js") for spec in re.findall(r"""(?:\bfrom|\bimport)\s*\(?\s*["']([^"']+)["']""", path.read_text())}
    assert specifiers and {spec for spec in specifiers if not spec.startswith(("./", "../"))} == set()
