"""Emulated devices that speak the real wire protocols, for development and tests."""
