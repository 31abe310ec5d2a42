"""The builder behind build_runtime.py: the Python runtime the desktop app bundles (docs/RUNTIME.md).

One module per stage, in the order a build runs them:

* ``lock``: the runtime's pins (requirements/*.txt) and their hashed lock (runtime/requirements.lock);
* ``base``: the CPython to start from, checked, and copied with its standard library pruned;
* ``install``: the locked wheels and the sidecar's, installed by the staged interpreter;
* ``elf``: shared libraries copied in and RPATHs pointed inside the runtime;
* ``output``: bytecode, the manifest and its check, the archive, the size report;
* ``build``: the whole build, and the unpruned comparison.
"""
