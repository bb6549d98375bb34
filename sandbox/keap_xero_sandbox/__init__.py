"""Stateful local emulators of the Xero Accounting and Keap REST v2 APIs, with a control surface."""

from keap_xero_sandbox.clock import Clock
from keap_xero_sandbox.sandbox import Sandbox
from keap_xero_sandbox.server import SandboxServer

__all__ = ["Clock", "Sandbox", "SandboxServer"]
