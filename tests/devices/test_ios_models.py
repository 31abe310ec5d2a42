"""Marketing names from Apple's device list (pymobiledevice3's table): the name the phone is sold
under, without the radio or region variant the table tells apart."""

from __future__ import annotations

import pytest

from sidecar.devices.findings import Findings
from sidecar.devices.ios.assemble import Readings, basic_info
from sidecar.devices.ios.models import model_name


@pytest.mark.parametrize(
    ("product_type", "sold_as"),
    [
        ("iPhone14,5", "iPhone 13"),
        ("iPhone10,3", "iPhone X"),  # "iPhone X (Global)" in the table
        ("iPhone10,6", "iPhone X"),  # "iPhone X (GSM)"
        ("iPhone11,4", "iPhone XS Max"),  # "(China)"
        ("iPhone12,8", "iPhone SE (2nd gen)"),  # the generation is part of the name
        ("iPad3,3", "iPad (3rd gen)"),  # "(3rd gen, GSM)"
    ],
)
def test_marketing_name_drops_only_the_variant(product_type: str, sold_as: str) -> None:
    assert model_name(product_type) == sold_as


def test_a_model_apple_s_list_does_not_know_is_null_and_said() -> None:
    findings = Findings("ios")
    info = basic_info(Readings(paired=True, values={"ProductType": "iPhone99,99"}), findings)
    assert info.model == "iPhone99,99" and info.model_name is None
    assert "model_name" in {w.field for w in findings.warnings}
