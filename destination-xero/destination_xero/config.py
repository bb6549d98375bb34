"""The connector's config, read once into typed settings; every mistake is a config error naming
the field to fix, before any call to Xero.
"""

from __future__ import annotations

import string
from collections.abc import Mapping, MutableMapping
from dataclasses import dataclass, fields
from decimal import Decimal
from typing import Any

from invoice_model.connector.config import config_error
from invoice_model.connector.destination import RecordError
from invoice_model.connector.xero.access import XeroAccess, read_access
from invoice_model.money import to_decimal


class Template:
    """A `str.format` template limited to named placeholders, e.g. `KEAP-{source_invoice_id}`.

    Only plain names are accepted (no attribute or index access), so a config cannot reach
    into the objects a template is rendered with.
    """

    def __init__(
        self,
        field: str,
        text: Any,
        placeholders: frozenset[str],
        identifying: frozenset[str] = frozenset(),
    ) -> None:
        self.field = field
        self.text = text
        if not isinstance(text, str):
            raise config_error(field, "must be text, e.g. '{source_invoice_id}'")
        try:
            parsed = list(string.Formatter().parse(text))
        except ValueError as error:
            raise config_error(field, f"{text!r} is not a valid template: {error}") from None
        self.names = tuple(name for _, name, _, _ in parsed if name is not None)
        for name in self.names:
            if name not in placeholders:
                raise config_error(
                    field,
                    f"unknown placeholder {{{name}}} in {text!r}; "
                    f"placeholders: {', '.join(f'{{{p}}}' for p in sorted(placeholders))}",
                )
        for _, _, spec, conversion in parsed:
            if spec or conversion:
                raise config_error(field, f"{text!r}: placeholders take no format spec")
        if identifying:
            self._check_identifier(parsed, identifying)

    def _check_identifier(
        self,
        parsed: list[tuple[str, str | None, str | None, str | None]],
        identifying: frozenset[str],
    ) -> None:
        """A template that identifies a record (the invoice number, by which an invoice is found
        again): unique per record, and in the characters Xero and its look-ups take.
        """
        choices = ", ".join(f"{{{name}}}" for name in sorted(identifying))
        if not identifying & set(self.names):
            raise config_error(
                self.field,
                f"{self.text!r} would give every invoice the same number: include one of {choices}",
            )
        literal = "".join(text for text, _, _, _ in parsed)
        if "," in literal:
            raise config_error(
                self.field,
                f"{self.text!r} has a comma, which Xero's look-up by invoice numbers splits on: "
                "remove it",
            )
        if not (literal.isascii() and literal.isprintable()):
            raise config_error(
                self.field,
                f"{self.text!r} has characters Xero does not take in an invoice number: use "
                "printable ASCII only",
            )

    def render(self, values: Mapping[str, str | None], *, required: bool) -> str:
        """The text with every placeholder filled; a null value is a `RecordError` when
        `required` (an identifier must not silently collapse), else an empty string.
        """
        missing = [name for name in self.names if values.get(name) in (None, "")]
        if missing and required:
            raise RecordError(
                f"{self.field} {self.text!r} needs {', '.join(missing)}, which the record lacks"
            )
        return self.text.format_map({name: values.get(name) or "" for name in self.names})


NUMBER_PLACEHOLDERS = frozenset({"source", "source_id", "source_invoice_id", "number"})
# The placeholders that tell one invoice from another (`{source}` alone does not).
IDENTIFYING_PLACEHOLDERS = NUMBER_PLACEHOLDERS - {"source"}
REFERENCE_PLACEHOLDERS = NUMBER_PLACEHOLDERS | {"reference"}


@dataclass(frozen=True)
class SourceTaxLines:
    """The source's tax is written as lines to `account_code`; Xero adds no tax."""

    account_code: str


@dataclass(frozen=True)
class XeroCalculatedTax:
    """Xero calculates tax per line; a rounding line absorbs differences up to `tolerance`."""

    tax_type: str
    exempt_tax_type: str
    rounding_account_code: str
    tolerance: Decimal


@dataclass(frozen=True)
class InvoiceSettings:
    status: str
    number_template: Template
    reference_template: Template
    due_days: int
    sales_account_code: str
    shipping_account_code: str
    discount_account_code: str
    fee_account_code: str
    match_items_by_sku: bool
    tax: SourceTaxLines | XeroCalculatedTax
    # The config fields of line accounts the user set; the others default to the sales account.
    line_account_fields: frozenset[str] = frozenset()


@dataclass(frozen=True)
class ContactSettings:
    match_by_email: bool
    match_by_name: bool
    name_conflict: str  # "suffix_source_id" | "reject"


@dataclass(frozen=True)
class Settings(XeroAccess):
    """Everything the connector needs from its config, validated: how to reach the
    organisation (`XeroAccess`, shared with source-xero) and how to write to it."""

    invoices: InvoiceSettings
    payment_account_code: str | None
    contacts: ContactSettings
    fail_on_invalid_record: bool

    def account_fields(self) -> dict[str, str]:
        """Every account code the config sets, by the config field that holds it (a line
        account left to default to the sales account is the sales account's field alone).
        """
        invoices = self.invoices
        lines = {
            "invoices.shipping_account_code": invoices.shipping_account_code,
            "invoices.discount_account_code": invoices.discount_account_code,
            "invoices.fee_account_code": invoices.fee_account_code,
        }
        fields = {"invoices.sales_account_code": invoices.sales_account_code}
        fields |= {f: code for f, code in lines.items() if f in invoices.line_account_fields}
        if isinstance(invoices.tax, SourceTaxLines):
            fields["invoices.tax.tax_account_code"] = invoices.tax.account_code
        else:
            fields["invoices.tax.rounding_account_code"] = invoices.tax.rounding_account_code
        if self.payment_account_code:
            fields["payments.account_code"] = self.payment_account_code
        return fields

    def tax_type_fields(self) -> dict[str, str]:
        """Every configured tax type, by the config field that holds it."""
        tax = self.invoices.tax
        if isinstance(tax, XeroCalculatedTax):
            return {
                "invoices.tax.tax_type": tax.tax_type,
                "invoices.tax.exempt_tax_type": tax.exempt_tax_type,
            }
        return {}


def read_settings(config: MutableMapping[str, Any]) -> Settings:
    """Validate `config` and read it into `Settings`; raises a config error naming the field."""
    access = read_access(config)
    payments = _section(config, "payments")
    contacts = _section(config, "contacts")
    on_invalid = config.get("on_invalid_record") or "skip"
    if on_invalid not in ("skip", "fail"):
        raise config_error("on_invalid_record", "must be 'skip' or 'fail'")
    return Settings(
        **{field.name: getattr(access, field.name) for field in fields(XeroAccess)},
        invoices=_invoice_settings(_section(config, "invoices", required=True)),
        payment_account_code=_text(payments, "account_code", "payments.account_code"),
        contacts=ContactSettings(
            match_by_email=bool(contacts.get("match_by_email", True)),
            match_by_name=bool(contacts.get("match_by_name", True)),
            name_conflict=_choice(
                contacts,
                "name_conflict",
                "contacts.name_conflict",
                ("suffix_source_id", "reject"),
            ),
        ),
        fail_on_invalid_record=on_invalid == "fail",
    )


def _invoice_settings(section: Mapping[str, Any]) -> InvoiceSettings:
    sales = _text(section, "sales_account_code", "invoices.sales_account_code", required=True)
    due_days = section.get("due_days", 30)
    if not isinstance(due_days, int) or isinstance(due_days, bool) or due_days < 0:
        raise config_error("invoices.due_days", "must be a whole number of days, 0 or more")
    lines = {}  # the line accounts set, by name
    for name in ("shipping_account_code", "discount_account_code", "fee_account_code"):
        code = _text(section, name, f"invoices.{name}")
        if code:
            lines[name] = code
    return InvoiceSettings(
        status=_choice(section, "status", "invoices.status", ("AUTHORISED", "DRAFT")),
        number_template=Template(
            "invoices.invoice_number_template",
            section.get("invoice_number_template") or "{source_invoice_id}",
            NUMBER_PLACEHOLDERS,
            IDENTIFYING_PLACEHOLDERS,
        ),
        reference_template=Template(
            "invoices.reference_template",
            section.get("reference_template", "{reference}") or "",
            REFERENCE_PLACEHOLDERS,
        ),
        due_days=due_days,
        sales_account_code=sales,
        shipping_account_code=lines.get("shipping_account_code") or sales,
        discount_account_code=lines.get("discount_account_code") or sales,
        fee_account_code=lines.get("fee_account_code") or sales,
        match_items_by_sku=bool(section.get("match_items_by_sku", False)),
        tax=_tax_settings(_section(section, "tax", field="invoices.tax")),
        line_account_fields=frozenset(f"invoices.{name}" for name in lines),
    )


def _tax_settings(section: Mapping[str, Any]) -> SourceTaxLines | XeroCalculatedTax:
    mode = section.get("mode") or "source_tax_lines"
    if mode == "source_tax_lines":
        return SourceTaxLines(
            _text(section, "tax_account_code", "invoices.tax.tax_account_code", required=True)
        )
    if mode != "xero_calculated":
        raise config_error("invoices.tax.mode", "must be 'source_tax_lines' or 'xero_calculated'")
    try:
        tolerance = to_decimal(section.get("rounding_tolerance", "0.05"))
    except ValueError:
        tolerance = Decimal(-1)
    if tolerance < 0:
        raise config_error("invoices.tax.rounding_tolerance", "must be an amount, 0 or more")
    return XeroCalculatedTax(
        tax_type=_text(section, "tax_type", "invoices.tax.tax_type", required=True),
        exempt_tax_type=_text(section, "exempt_tax_type", "") or "NONE",
        rounding_account_code=_text(
            section, "rounding_account_code", "invoices.tax.rounding_account_code", required=True
        ),
        tolerance=tolerance,
    )


def _section(
    config: Mapping[str, Any], name: str, *, required: bool = False, field: str | None = None
) -> Mapping[str, Any]:
    value = config.get(name)
    if value is None and not required:
        return {}
    if not isinstance(value, Mapping):
        raise config_error(field or name, "is required" if value is None else "must be an object")
    return value


def _text(section: Mapping[str, Any], name: str, field: str, *, required: bool = False) -> str:
    value = section.get(name)
    if isinstance(value, str):
        value = value.strip()
    if value in (None, ""):
        if required:
            raise config_error(field, "is required")
        return ""
    if not isinstance(value, str):
        raise config_error(field, "must be a string")
    return value


def _choice(section: Mapping[str, Any], name: str, field: str, choices: tuple[str, ...]) -> str:
    value = section.get(name) or choices[0]
    if value not in choices:
        raise config_error(field, f"must be one of {', '.join(choices)}, not {value!r}")
    return value
