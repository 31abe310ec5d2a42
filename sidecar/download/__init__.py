"""Media downloads with yt-dlp, embedded as a library in a worker child per job.

The sidecar process never imports yt-dlp: ``jobs`` (the process-wide job service)
has ``launcher`` start ``worker`` children (forked from a warm ``template``, or a
warm spare), each in its own process group, and reads their events from a private
channel. ``urls`` and ``paths`` hold the policy checks, ``presets`` the format
choices, ``types`` the wire shapes.
"""
