"""Airbyte destination writing the shared invoices stream into Keap as orders (and, on request,
payments as manual payments)."""

from destination_keap.destination import DestinationKeap

__all__ = ["DestinationKeap"]
