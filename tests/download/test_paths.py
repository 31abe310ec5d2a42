"""Where a download's files may go: template checks, confinement of prepared names, byte-wise trimming."""

from __future__ import annotations

import os

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sidecar.download.paths import SUFFIX_RESERVE, check_template, confined_name
from sidecar.protocol.errors import RpcError

BASE = "/roots/downloads/music"


@pytest.mark.parametrize("template", ["%(title)s.%(ext)s", "%(uploader)s/%(title).100B [%(id)s].%(ext)s", "a/b/c.%(ext)s", "..%(title)s.%(ext)s"])
def test_relative_templates_are_accepted(template: str) -> None:
    assert check_template(template) == template


@pytest.mark.parametrize(
    "template",
    ["../%(title)s.%(ext)s", "a/../../b.%(ext)s", "/etc/%(title)s", "C:/x.%(ext)s", "a\\..\\b", "-", "$HOME/x", "~/x", "a//b", "./a", "a/", "a\0b"],
)
def test_templates_that_could_leave_the_output_directory_are_invalid_params(template: str) -> None:
    with pytest.raises(RpcError) as caught:
        check_template(template)
    assert caught.value.kind == "invalid_params"


def test_dot_and_dot_dot_components_from_site_values_are_neutralised() -> None:
    assert confined_name(f"{BASE}/../x.mp4", BASE, 255) == f"{BASE}/_/x.mp4"
    assert confined_name(f"{BASE}/a/./../../b/x.mp4", BASE, 255) == f"{BASE}/a/_/_/_/b/x.mp4"


def test_a_name_not_below_the_base_is_refused() -> None:
    for outside in ("/roots/downloads/other/x.mp4", "/roots/downloads/music2/x.mp4", BASE):
        with pytest.raises(ValueError, match="below"):
            confined_name(outside, BASE, 255)


def test_long_names_are_trimmed_by_bytes_keeping_the_extension_and_room_for_suffixes() -> None:
    name = confined_name(f"{BASE}/{'語' * 300}.webm", BASE, 255)
    stem = os.path.basename(name)
    assert stem.endswith(".webm") and len(stem.encode()) <= 255 - SUFFIX_RESERVE
    assert stem.removesuffix(".webm") == "語" * ((255 - SUFFIX_RESERVE - len(".webm")) // 3)  # whole characters only


@given(st.lists(st.text(alphabet=st.characters(exclude_categories=("Cs",), exclude_characters="/\0"), min_size=1, max_size=300), min_size=1, max_size=4))
def test_every_confined_name_stays_below_the_base_and_fits_the_name_limit(parts: list[str]) -> None:
    name = confined_name(os.path.join(BASE, *parts), BASE, 255)
    relative = name[len(BASE) + 1 :].split("/")
    assert name.startswith(BASE + "/") and os.path.normpath(name).startswith(BASE + "/")
    assert all(part not in ("", ".", "..") and len(part.encode()) <= 255 for part in relative)
    assert len(relative[-1].encode()) <= 255 - SUFFIX_RESERVE
