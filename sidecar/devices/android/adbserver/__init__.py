"""The user's adb server, reached the way ``adb`` itself reaches it.

Pure codecs (``wire``: the smart-socket requests and replies; ``shellv2``: the shell
protocol's packets; ``listing``: ``devices-l`` text; ``address``: where the server
listens) and one I/O module on anyio streams (``client``). Nothing here starts, stops
or reconfigures the server: the sidecar only lists devices and opens allowlisted shells.
"""
