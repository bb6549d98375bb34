"""Emulator of the Keap REST v2 API."""

from keap_xero_sandbox.keap.emulator import KeapEmulator

__all__ = ["KeapEmulator"]
