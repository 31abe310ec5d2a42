"""The protocol server: transport, dispatch, lifecycle. See ``serve``."""
