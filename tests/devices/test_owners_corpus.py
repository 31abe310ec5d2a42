"""Who manages an Android phone, read from real output (tests/corpus/android/{dpm,device_policy,users}).

Each capture's expectations were written from the raw text as a technician reads it (device
owner, profile owners, whether an organisation or a supervisor manages the phone, whether a work
profile exists); these tests hold ``sidecar.devices.android.owners`` to them. Sources are in
tests/corpus/SOURCES.md.
"""

from __future__ import annotations

from typing import Any

import pytest

from sidecar.devices.android import owners
from sidecar.devices.android.shell_errors import lf

from .corpus import Sample, samples

LISTED = samples("android/dpm")
DUMPED = samples("android/device_policy")


def _check_owners(found: owners.Owners | None, expect: dict[str, Any]) -> None:
    assert found is not None, "the capture was not recognised as owner output"
    device_owner = expect["device_owner"]
    assert found.device_owner is (device_owner is not None)
    assert bool(found.admins) is expect["managed"]
    if device_owner is not None:
        assert found.admins[0] == device_owner["component"]
    read_owners = {device_owner["package"]} if device_owner else set()
    read_owners |= {owner["package"] for owner in expect["profile_owners"]}
    assert {admin.split("/")[0] for admin in found.admins} <= read_owners


def test_the_owner_corpus_has_managed_and_unmanaged_phones_from_both_commands() -> None:
    for kind in (LISTED, DUMPED):
        assert {s.expect["managed"] for s in kind} == {True, False}, [str(s) for s in kind]
    assert any(s.expect["device_owner"] for s in DUMPED)


@pytest.mark.parametrize("sample", LISTED, ids=str)
def test_owners_read_from_real_list_owners_output(sample: Sample) -> None:
    _check_owners(owners.list_owners(lf(sample.text)), sample.expect)


@pytest.mark.parametrize("sample", DUMPED, ids=str)
def test_owners_read_from_real_device_policy_dumps(sample: Sample) -> None:
    _check_owners(owners.dumped_owners(lf(sample.text)), sample.expect)


def test_samsungs_secure_folder_is_not_an_owner_that_manages_the_phone() -> None:
    """Knox makes the Secure Folder a profile with its own admin: a private folder, not an MDM."""
    (sample,) = [s for s in DUMPED if "secure-folder" in str(s)]
    assert sample.expect["profile_owners"] and not sample.expect["managed"]
    assert owners.dumped_owners(lf(sample.text)) == owners.Owners([], device_owner=False)
    listed = "1 owner:\nUser 150: admin=com.samsung.knox.securefolder/.containeragent.detector.KnoxDeviceAdminReceiver,ProfileOwner\n"
    assert owners.list_owners(listed) == owners.Owners([], device_owner=False)


def test_a_vendors_app_clone_space_is_not_a_work_profile() -> None:
    """ColorOS marks its app-clone user with a managed-profile flag; its own flag tells it apart."""
    (sample,) = [s for s in samples("android/users") if "multi-app" in str(s)]
    assert not sample.expect["work_profile"]
    assert owners.has_managed_profile(lf(sample.text)) is False
