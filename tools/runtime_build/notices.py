"""THIRD-PARTY-NOTICES at the runtime's top: the licence texts of everything it ships that others wrote.

What it gathers, verbatim: CPython's LICENSE.txt; for every installed distribution, the licence
files of its *.dist-info (PEP 639's License-File entries, or the LICENSE/COPYING/NOTICE files that
older wheels put beside METADATA) under the licence its METADATA declares; the Debian copyright file
of each system library copied into licenses/; and the licence files inside the sidecar's own package
(its report fonts). A component without a licence text stops the build: shipping it would be shipping
something whose terms nobody can read.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from email.message import Message
from email.parser import BytesHeaderParser
from pathlib import Path

from .common import BuildError, log

NOTICES = "THIRD-PARTY-NOTICES"
OWN = "sidecar"  # the distribution these notices are for, listed by its own licence rather than as a third party
# What older wheels (before PEP 639's licenses/ folder) name their licence files, beside METADATA.
LICENCE_NAME = re.compile(r"(?i)^(licen[cs]e|copying|notice|copyright|authors)([.\-_].*)?$")
RULE = "=" * 78


@dataclass(frozen=True)
class Component:
    title: str  # "certifi 2026.10.18"
    licence: str  # as declared (SPDX expression, License field or classifiers); "" when nothing is declared
    texts: tuple[tuple[str, str], ...]  # (path inside the runtime, text)


def write_notices(root: Path, target: str) -> Path:
    """Write root/THIRD-PARTY-NOTICES from what root holds; BuildError names every component with no licence text."""
    (stdlib,) = [path.parent for path in root.glob("lib/python3.*/os.py")]
    site = stdlib / "site-packages"
    distributions = _distributions(root, site)
    own = distributions.pop(OWN, None)
    if own is None:
        raise BuildError(f"the runtime holds no {OWN} distribution in {site}")
    components = [_cpython(root, stdlib), *distributions.values(), *_system_libraries(root), *_bundled_in_own(root, site)]
    bare = [component.title for component in [own, *components] if not component.texts]
    if bare:
        raise BuildError(
            f"no licence text found for {', '.join(bare)}: the runtime would ship them with no terms to read "
            "(tools/runtime_build/notices.py says where texts are looked for)"
        )
    notices = root / NOTICES
    notices.write_text(_render(own, components, target), encoding="utf-8")
    log.info("wrote %s: %d components, %d kB", NOTICES, len(components), notices.stat().st_size // 1000)
    return notices


def _cpython(root: Path, stdlib: Path) -> Component:
    licence = stdlib / "LICENSE.txt"
    texts = ((_relative(root, licence), _read(licence)),) if licence.is_file() else ()
    return Component(f"CPython {stdlib.name.removeprefix('python')}", "PSF-2.0", texts)


def _distributions(root: Path, site: Path) -> dict[str, Component]:
    """Every installed distribution by name, sorted by name."""
    found = {}
    for dist_info in sorted(site.glob("*.dist-info"), key=lambda path: path.name.lower()):
        metadata = _metadata(dist_info)
        texts = tuple((_relative(root, path), _read(path)) for path in licence_files(dist_info, metadata))
        found[metadata["Name"]] = Component(f"{metadata['Name']} {metadata['Version']}", declared_licence(metadata), texts)
    return found


def _system_libraries(root: Path) -> list[Component]:
    components = []
    for path in sorted((root / "licenses").glob("*.copyright")):
        text = _read(path)
        # The copyright file covers the library's whole source package, so it may name more licences than the library's.
        named = debian_licences(text)
        licence = f"as its Debian copyright file says ({named})" if named else "as its Debian copyright file says"
        components.append(
            Component(f"{path.name.removesuffix('.copyright')} (shared library, from its Debian package)", licence, ((_relative(root, path), text),))
        )
    return components


def debian_licences(copyright_text: str) -> str:
    """The licences a machine-readable Debian copyright file names (its License: fields), in order."""
    names = [line.removeprefix("License:").strip() for line in copyright_text.splitlines() if line.startswith("License:")]
    return ", ".join(dict.fromkeys(name for name in names if name))


def _bundled_in_own(root: Path, site: Path) -> list[Component]:
    """Licence files inside the sidecar's package belong to material it bundles (the report fonts)."""
    return [
        Component(f"bundled in the sidecar's package: {path.parent.relative_to(site).as_posix()}/", "see the text", ((_relative(root, path), _read(path)),))
        for path in sorted((site / OWN).rglob("*"))
        if path.is_file() and LICENCE_NAME.match(path.name)
    ]


def licence_files(dist_info: Path, metadata: Message) -> list[Path]:
    """A distribution's licence files: those its METADATA names (License-File; PEP 639 puts them in
    licenses/, older wheels beside METADATA), else the licence-looking files it holds."""
    named = [
        path
        for entry in metadata.get_all("License-File") or []
        if (path := next((p for p in (dist_info / "licenses" / entry, dist_info / entry) if p.is_file()), None))
    ]
    return named or sorted(path for path in [*dist_info.iterdir(), *dist_info.glob("licenses/**/*")] if path.is_file() and LICENCE_NAME.match(path.name))


def declared_licence(metadata: Message) -> str:
    """License-Expression (PEP 639), else a one-line License field, else the License :: classifiers."""
    if expression := metadata.get("License-Expression"):
        return expression.strip()
    field = (metadata.get("License") or "").strip()
    if field and "\n" not in field and len(field) <= 80:  # some put the whole text here; the files carry it
        return field
    classifiers = [c.split("::")[-1].strip() for c in metadata.get_all("Classifier") or [] if c.startswith("License ::")]
    return " / ".join(classifiers)


def _metadata(dist_info: Path) -> Message:
    with open(dist_info / "METADATA", "rb") as file:
        return BytesHeaderParser().parse(file)


def _read(path: Path) -> str:
    """A licence text as it is, with line ends made uniform (some wheels ship CRLF)."""
    return path.read_bytes().decode("utf-8", errors="replace").replace("\r\n", "\n").strip("\n")


def _relative(root: Path, path: Path) -> str:
    return path.relative_to(root).as_posix()


def _render(own: Component, components: list[Component], target: str) -> str:
    lines = [
        f"THIRD-PARTY NOTICES: the sidecar's Python runtime ({target})",
        "",
        f"This runtime runs {own.title}, licensed {own.licence} ({', '.join(path for path, _ in own.texts)}).",
        "It ships the components below, which others wrote. Each is listed with the licence it declares,",
        "followed by the licence texts it ships, verbatim. A text that repeats one given earlier is named",
        "rather than printed again.",
        "",
        "Contents:",
        *(
            f"  {number:>3}. {component.title}: {component.licence or 'no licence declared in its metadata; see its text'}"
            for number, component in enumerate(components, 1)
        ),
    ]
    printed: dict[str, str] = {}  # text -> where it was given
    for number, component in enumerate(components, 1):
        lines += ["", RULE, f"{number}. {component.title}", f"Licence: {component.licence or 'not declared in its metadata'}", RULE]
        for path, text in component.texts:
            if text in printed:
                lines += ["", f"--- {path}: the same text as {printed[text]} above"]
                continue
            printed[text] = path
            lines += ["", f"--- {path}", "", text]
    return "\n".join(lines) + "\n"
