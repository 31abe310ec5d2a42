"""Where a download's files may go: the filename template, name lengths, and the job's temp dir.

The output directory itself is confined by ``Policy.path_in``. Inside it, yt-dlp
expands the template with values from the site, and on POSIX it leaves a value of
``..`` (or a template component of ``..``) as it is, so the template is checked
here and every name yt-dlp prepares is passed through :func:`confined_name`.
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

from ..protocol.errors import RpcError

DEFAULT_TEMPLATE = "%(title).150B [%(id).60B].%(ext)s"
# Bytes yt-dlp may append to a prepared name: ".f1234-1.webm.part", "-Frag12345.part", ".temp".
SUFFIX_RESERVE = 48
DEFAULT_NAME_MAX = 255

_DRIVE = re.compile(r"^[A-Za-z]:")


def check_template(template: str) -> str:
    """``template`` if it can only name files below the output directory, else ``invalid_params``."""
    problem = _template_problem(template)
    if problem:
        raise RpcError("invalid_params", f"filename_template {template!r} {problem}", "Use a relative template such as '%(title)s.%(ext)s'.")
    return template


def _template_problem(template: str) -> str | None:
    if template == "-":
        return "would write to standard output"
    if "\0" in template or "\\" in template:
        return "contains a NUL or a backslash"
    if template.startswith("/") or _DRIVE.match(template):
        return "is absolute"
    if "$" in template or template.startswith("~"):
        return "would expand environment variables or a home directory"
    components = template.split("/")
    if any(part in ("", ".", "..") for part in components):
        return "has an empty, '.' or '..' path component"
    return None


def confined_name(path: str, base: str, name_max: int) -> str:
    """The name yt-dlp prepared below ``base``, made safe: '.'/'..' components replaced,
    each component trimmed to ``name_max`` bytes (the file name leaving room for yt-dlp's
    suffixes, and keeping its extension). ``ValueError`` if it is not below ``base`` at all."""
    base = base.rstrip(os.sep)
    if not path.startswith(base + os.sep):
        raise ValueError(f"{path!r} is not below {base!r}")
    relative = path[len(base) + 1 :]
    if os.altsep:
        relative = relative.replace(os.altsep, os.sep)
    parts = [("_" if part in (".", "..") else part) for part in relative.split(os.sep) if part]
    if not parts:
        raise ValueError(f"{path!r} names no file below {base!r}")
    trimmed = [_trim(part, name_max) for part in parts[:-1]]
    trimmed.append(_trim_keeping_extension(parts[-1], name_max - SUFFIX_RESERVE))
    return os.path.join(base, *trimmed)


def name_max(directory: Path) -> int:
    """The longest file name (bytes) the file system at ``directory`` (or its nearest existing parent) takes."""
    for candidate in (directory, *directory.parents):
        try:
            return os.pathconf(candidate, "PC_NAME_MAX")
        except FileNotFoundError:
            continue
        except (OSError, ValueError, AttributeError):  # no pathconf (Windows) or no answer
            break
    return DEFAULT_NAME_MAX


def _trim(name: str, limit: int) -> str:
    encoded = os.fsencode(name)
    if len(encoded) <= limit:
        return name
    # Cut on bytes, then drop a partial multi-byte character at the end.
    return encoded[:limit].decode("utf-8", "ignore") or "_"


def _trim_keeping_extension(name: str, limit: int) -> str:
    stem, dot, ext = name.rpartition(".")
    if not dot or not stem or len(os.fsencode(dot + ext)) > limit // 2:
        return _trim(name, limit)
    return _trim(stem, limit - len(os.fsencode(dot + ext))) + dot + ext


def job_temp_dir(output_dir: Path, job_id: str) -> Path:
    """Where a job's partial files live (``.part``, ``.ytdl``, fragments): removed whole when the job ends."""
    return output_dir / f".sidecar-download-{job_id}"


def remove_tree(path: Path) -> None:
    shutil.rmtree(path, ignore_errors=True)
