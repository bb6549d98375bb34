"""Airbyte source for Keap (Infusionsoft) REST v2, in the shared invoices/payments contract."""

from source_keap.source import SourceKeap

__all__ = ["SourceKeap"]
