"""The marks destination-xero leaves on what it writes into Xero, by which the Xero → Keap
direction knows not to send it back (loop prevention).

- An invoice carries the source's address of the record it was written from in `Url` (shown as
  "Go to ..." in Xero), e.g. `https://api.infusionsoft.com/crm/rest/v2/orders/1042`.
- A payment's `Reference` starts with the source's name, `payment` and the source payment ID:
  `Keap payment 5001 · Credit Card · Paid at the door`.
"""

from __future__ import annotations

import re

# Where each source keeps the record a Xero invoice was written from.
SOURCE_LINKS = {"keap": "https://api.infusionsoft.com/crm/rest/v2/orders/{source_id}"}
SOURCE_NAMES = {"keap": "Keap", "xero": "Xero"}

PAYMENT_REFERENCE = re.compile(r"^(?P<source>[A-Za-z]+) payment (?P<id>[^\s·]+)")


def invoice_written_by_sync(url: str | None) -> bool:
    """Whether an invoice's `Url` is a source's address, as destination-xero sets it."""
    return bool(url) and any(
        str(url).startswith(link.partition("{")[0]) for link in SOURCE_LINKS.values()
    )


def payment_written_by_sync(reference: str | None) -> bool:
    """Whether a payment's `Reference` starts as destination-xero starts it."""
    match = PAYMENT_REFERENCE.match(reference or "")
    return match is not None and match["source"].lower() in SOURCE_LINKS
