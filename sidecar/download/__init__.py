"""Media downloads with yt-dlp, embedded as a library in a worker child per job.

The sidecar process never imports yt-dlp: ``jobs`` (the process-wide job service)
spawns ``worker`` children, each in its own process group, and reads their events
from a private pipe. ``urls`` and ``paths`` hold the policy checks, ``presets``
the format choices, ``types`` the wire shapes.
"""
