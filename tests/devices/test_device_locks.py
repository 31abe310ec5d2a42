"""Per-device locks: one holder per device, devices in parallel, and no lock kept for a device nobody uses."""

from __future__ import annotations

import anyio
import anyio.lowlevel
from hypothesis import given, settings
from hypothesis import strategies as st

from sidecar.devices.locks import DeviceLocks


def kept(locks: DeviceLocks) -> int:
    return len(locks._locks)  # the state this is about: what the process keeps between operations


def test_no_lock_is_kept_for_any_of_many_devices_once_their_operations_end() -> None:
    async def main() -> None:
        locks = DeviceLocks()
        for index in range(10_000):
            async with locks.lock("android", f"made-up-{index}"):
                assert kept(locks) == 1
        assert kept(locks) == 0

    anyio.run(main)


def test_a_waiter_keeps_the_lock_when_the_holder_leaves_and_gets_it_next() -> None:
    async def main() -> None:
        locks = DeviceLocks()
        order: list[str] = []
        holding = anyio.Event()

        async def second() -> None:
            await holding.wait()
            async with locks.lock("ios", "phone"):
                order.append("second")

        async with anyio.create_task_group() as tg:
            tg.start_soon(second)
            async with locks.lock("ios", "phone"):
                holding.set()
                await anyio.sleep(0.05)  # the second task is waiting now
                order.append("first")
        assert order == ["first", "second"] and kept(locks) == 0

    anyio.run(main)


# Each operation: the device it needs, how many scheduler turns it holds the lock, and whether it
# is cancelled (while waiting or while holding, depending on timing).
operations = st.lists(st.tuples(st.sampled_from(["a", "b", "c"]), st.integers(0, 3), st.booleans()), max_size=25)


@settings(max_examples=60, deadline=None)
@given(operations)
def test_any_mix_of_operations_and_cancellations_has_one_holder_per_device_and_leaves_nothing(ops) -> None:
    async def main() -> None:
        locks = DeviceLocks()
        holders: dict[str, int] = {}

        async def operate(device: str, turns: int, scope: anyio.CancelScope) -> None:
            with scope:
                async with locks.lock("android", device):
                    holders[device] = holders.get(device, 0) + 1
                    assert holders[device] == 1, f"two holders of {device}"
                    try:
                        for _ in range(turns):
                            await anyio.lowlevel.checkpoint()
                    finally:
                        holders[device] -= 1

        async with anyio.create_task_group() as tg:
            scopes = []
            for device, turns, cancel in ops:
                scope = anyio.CancelScope()
                scopes.append((scope, cancel))
                tg.start_soon(operate, device, turns, scope)
            await anyio.lowlevel.checkpoint()
            for scope, cancel in scopes:
                if cancel:
                    scope.cancel()
        assert kept(locks) == 0

    anyio.run(main)
