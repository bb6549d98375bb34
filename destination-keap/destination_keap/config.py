"""The connector's config, read once into typed settings; every mistake is a config error naming
the field to fix, before any call to Keap.
"""

from __future__ import annotations

from collections.abc import Mapping, MutableMapping
from dataclasses import dataclass
from typing import Any

from invoice_model.connector.config import base_url, config_error
from invoice_model.connector.keap.auth import Credential, credential
from invoice_model.connector.keap.http import DEFAULT_API_URL, REST_PATH, TOKEN_PATH


@dataclass(frozen=True)
class Settings:
    """Everything the connector needs from its config, validated."""

    config: MutableMapping[str, Any]  # kept whole: rotated tokens are written back into it
    credential: Credential
    rest_url: str
    match_by_name_and_company: bool
    products_by_sku: bool
    create_custom_field: bool
    write_payments: bool
    payment_type: str | None
    fail_on_invalid_record: bool


def read_settings(config: MutableMapping[str, Any], *, checking: bool = False) -> Settings:
    """Validate `config` and read it into `Settings`; raises a config error naming the field.
    `checking`: for a run of `check`, which gives up on an unreachable Keap at once."""
    api_url = base_url(config, "api_url", DEFAULT_API_URL)
    contacts = _section(config, "contacts")
    orders = _section(config, "orders")
    payments = _section(config, "payments")
    write_payments = _flag(payments, "write_payments", "payments.write_payments", default=False)
    payment_type = payments.get("payment_type")
    if payment_type is not None and not isinstance(payment_type, str):
        raise config_error("payments.payment_type", "must be the name of a manual payment type")
    payment_type = (payment_type or "").strip() or None
    if write_payments and payment_type is None:
        raise config_error(
            "payments.payment_type",
            "is required to write payments: the Keap manual payment type they are recorded "
            "with, e.g. 'Bank transfer' (E-Commerce > Settings > Orders > Manual Payment Types)",
        )
    on_invalid = config.get("on_invalid_record") or "skip"
    if on_invalid not in ("skip", "fail"):
        raise config_error("on_invalid_record", "must be 'skip' or 'fail'")
    return Settings(
        config=config,
        credential=credential(
            config, api_url + TOKEN_PATH, connector="destination", checking=checking
        ),
        rest_url=api_url + REST_PATH,
        match_by_name_and_company=_flag(
            contacts, "match_by_name_and_company", "contacts.match_by_name_and_company"
        ),
        products_by_sku=_flag(orders, "match_products_by_sku", "orders.match_products_by_sku"),
        create_custom_field=_flag(orders, "create_custom_field", "orders.create_custom_field"),
        write_payments=write_payments,
        payment_type=payment_type,
        fail_on_invalid_record=on_invalid == "fail",
    )


def _section(config: Mapping[str, Any], name: str) -> Mapping[str, Any]:
    value = config.get(name)
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise config_error(name, "must be an object")
    return value


def _flag(section: Mapping[str, Any], name: str, field: str, *, default: bool = True) -> bool:
    value = section.get(name, default)
    if not isinstance(value, bool):
        raise config_error(field, "must be true or false")
    return value
