"""Airbyte destination writing the shared invoices and payments streams into Xero."""

from destination_xero.destination import DestinationXero

__all__ = ["DestinationXero"]
