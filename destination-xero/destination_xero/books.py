"""What the destination must know about the organisation before writing: its currency, lock
date, chart of accounts, tax rates and (for SKU matching) items. Read once per run, in three or
four calls, and checked against the config.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from airbyte_cdk.utils.traced_exception import AirbyteTracedException

from destination_xero.client import XeroClient
from destination_xero.config import Settings
from invoice_model.connector.config import config_error
from invoice_model.dates import parse_date
from invoice_model.money import to_decimal


@dataclass(frozen=True)
class Account:
    code: str
    name: str
    type: str
    status: str
    payments_enabled: bool

    @property
    def takes_payments(self) -> bool:
        return self.type == "BANK" or self.payments_enabled


@dataclass(frozen=True)
class TaxRate:
    tax_type: str
    name: str
    status: str
    effective_rate: Decimal  # percent


@dataclass(frozen=True)
class Books:
    name: str
    base_currency: str
    lock_date: dt.date | None  # documents dated on or before it cannot be created or edited
    accounts: Mapping[str, Account]
    tax_rates: Mapping[str, TaxRate]
    items: Mapping[str, str | None]  # item code -> its sales account code, if it has one

    @classmethod
    def read(cls, client: XeroClient, *, with_items: bool) -> Books:
        organisation = (client.get("/Organisation").get("Organisations") or [{}])[0]
        accounts = [_account(a) for a in client.get("/Accounts").get("Accounts") or []]
        rates = [_tax_rate(r) for r in client.get("/TaxRates").get("TaxRates") or []]
        items: dict[str, str | None] = {}
        if with_items:
            for item in client.get("/Items").get("Items") or []:
                sales = item.get("SalesDetails") or {}
                items[str(item.get("Code"))] = sales.get("AccountCode") or None
        lock_dates = [
            parse_date(organisation[key])
            for key in ("PeriodLockDate", "EndOfYearLockDate")
            if organisation.get(key)
        ]
        return cls(
            name=str(organisation.get("Name") or ""),
            base_currency=str(organisation.get("BaseCurrency") or ""),
            lock_date=max(lock_dates) if lock_dates else None,
            accounts={a.code: a for a in accounts if a.code},
            tax_rates={r.tax_type: r for r in rates},
            items=items,
        )

    def problems(self, settings: Settings, *, with_payments: bool) -> list[AirbyteTracedException]:
        """Every way the config does not fit this organisation, each naming its field."""
        found = []
        for field, code in settings.account_fields().items():
            account = self.accounts.get(code)
            if account is None:
                found.append(config_error(field, f"account {code} does not exist in {self.name}"))
            elif account.status != "ACTIVE":
                found.append(config_error(field, f"account {code} is {account.status.lower()}"))
        payment_code = settings.payment_account_code
        payment_account = self.accounts.get(payment_code or "")
        if payment_account is not None and not payment_account.takes_payments:
            found.append(
                config_error(
                    "payments.account_code",
                    f"account {payment_code} ({payment_account.name}) cannot take payments: "
                    "choose a bank account or enable payments to it in Xero",
                )
            )
        if with_payments and not payment_code:
            found.append(config_error("payments.account_code", "is required to write payments"))
        for field, tax_type in settings.tax_type_fields().items():
            rate = self.tax_rates.get(tax_type)
            if rate is None:
                known = ", ".join(sorted(self.tax_rates)) or "none"
                found.append(
                    config_error(field, f"tax type {tax_type} does not exist (tax types: {known})")
                )
            elif rate.status != "ACTIVE":
                found.append(config_error(field, f"tax type {tax_type} is {rate.status.lower()}"))
        return found


def _account(data: Mapping[str, Any]) -> Account:
    return Account(
        code=str(data.get("Code") or ""),
        name=str(data.get("Name") or ""),
        type=str(data.get("Type") or ""),
        status=str(data.get("Status") or ""),
        payments_enabled=bool(data.get("EnablePaymentsToAccount")),
    )


def _tax_rate(data: Mapping[str, Any]) -> TaxRate:
    return TaxRate(
        tax_type=str(data.get("TaxType") or ""),
        name=str(data.get("Name") or ""),
        status=str(data.get("Status") or ""),
        effective_rate=to_decimal(data.get("EffectiveRate") or data.get("DisplayTaxRate") or 0),
    )
