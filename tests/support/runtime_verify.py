"""`build_runtime.py --verify DIR`, as users and the release process run it (shared by the runtime and app tests)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from ..conftest import REPO


def verify(root: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(REPO / "build_runtime.py"), "--verify", str(root)], capture_output=True, text=True, timeout=120)
