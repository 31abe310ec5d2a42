"""sidecar_devkit: the sidecar's development tools, never shipped in the bundled runtime.

The emulated phones (``emulate``), the blocking test client (``client``), the terminal demo
(``demo``) and the ``call`` command. This package may import ``sidecar``; ``sidecar`` never
imports it (tests/devkit checks both that and the built runtime's contents).
"""
