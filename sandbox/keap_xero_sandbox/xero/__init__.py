"""Emulator of the Xero Accounting and Identity APIs."""

from keap_xero_sandbox.xero.emulator import XeroEmulator

__all__ = ["XeroEmulator"]
