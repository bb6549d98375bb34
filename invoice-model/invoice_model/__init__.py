"""The record contract every Keap and Xero connector shares: streams, money, dates, validation."""

from invoice_model.contract import INVOICES, PAYMENTS, STREAMS, StreamContract, stream
from invoice_model.money import Money, MoneyError
from invoice_model.validation import InvalidRecordError, Problem, problems, validate

__all__ = [
    "INVOICES",
    "PAYMENTS",
    "STREAMS",
    "InvalidRecordError",
    "Money",
    "MoneyError",
    "Problem",
    "StreamContract",
    "problems",
    "stream",
    "validate",
]
