"""source-xero: Xero's sales invoices and payments as the shared `invoices` and `payments`
streams, and its contacts as Xero has them."""

from source_xero.source import SourceXero

__all__ = ["SourceXero"]
