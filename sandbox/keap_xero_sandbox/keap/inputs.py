"""Request bodies read into typed values, or refused with a 400 naming the property.

This is the shape of what a client may send (types, enums, required properties), as the spec's
request schemas say; what the account then accepts (a contact that exists, a payment within the
balance) is the account's business. Each body is read into a dict of API property names to
values, so an `update_mask` can pick from it by name. Properties the emulator does not know are
ignored, as Keap's JSON binding does.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping
from decimal import Decimal
from typing import Any

import iso3166

from invoice_model.dates import DateParseError, parse_date, parse_datetime
from invoice_model.money import MoneyError, to_decimal
from keap_xero_sandbox.keap.errors import BadRequestError
from keap_xero_sandbox.keap.models import CREATABLE_ITEM_TYPES, CUSTOM_FIELD_TYPES

Reader = Callable[[str, Any], Any]

EMAIL_SLOTS = ("EMAIL1", "EMAIL2", "EMAIL3")
PHONE_SLOTS = ("PHONE1", "PHONE2", "PHONE3", "PHONE4", "PHONE5")
ADDRESS_SLOTS = ("BILLING", "SHIPPING", "OTHER")
DUPLICATE_OPTIONS = ("Email", "EmailAndName", "EmailAndNameAndCompany")


def json_object(body: Any) -> Mapping[str, Any]:
    if not isinstance(body, Mapping):
        raise BadRequestError("The request body must be a JSON object")
    return body


def read(body: Mapping[str, Any], readers: Mapping[str, Reader]) -> dict[str, Any]:
    """Every known property present in `body`, read by its reader (None stays None)."""
    return {
        name: None if body[name] is None else reader(name, body[name])
        for name, reader in readers.items()
        if name in body
    }


def require(values: Mapping[str, Any], names: Iterable[str]) -> None:
    missing = [name for name in names if values.get(name) in (None, "", [])]
    if missing:
        raise BadRequestError(f"Missing required properties: {', '.join(missing)}")


# --- property readers ------------------------------------------------------------------------


def text(name: str, value: Any, max_length: int | None = None) -> str:
    if not isinstance(value, str):
        raise BadRequestError(f"'{name}' must be a string")
    if not value.strip():
        raise BadRequestError(f"'{name}' must not be blank")
    if max_length is not None and len(value) > max_length:
        raise BadRequestError(f"'{name}' must be at most {max_length} characters")
    return value


def limited(max_length: int) -> Reader:
    return lambda name, value: text(name, value, max_length)


def any_text(name: str, value: Any) -> str:
    if not isinstance(value, str):
        raise BadRequestError(f"'{name}' must be a string")
    return value


def identifier(name: str, value: Any) -> int:
    """IDs are strings in v2 (`"123"`); a JSON integer is taken too."""
    if isinstance(value, bool) or not isinstance(value, (str, int)) or not str(value).isdigit():
        raise BadRequestError(f"'{name}' must be an ID, not {value!r}")
    return int(value)


def date_time(name: str, value: Any) -> dt.datetime:
    try:
        if not isinstance(value, str) or "T" not in value.upper():
            raise DateParseError(str(value))
        return parse_datetime(value)
    except DateParseError as error:
        raise BadRequestError(
            f"'{name}' must be an ISO-8601 date-time such as 2024-05-21T23:00:00Z"
        ) from error


def date(name: str, value: Any) -> dt.date:
    try:
        if not isinstance(value, str) or len(value) != 10:
            raise DateParseError(str(value))
        return parse_date(value)
    except DateParseError as error:
        raise BadRequestError(f"'{name}' must be an ISO-8601 date such as 2024-05-21") from error


def boolean(name: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise BadRequestError(f"'{name}' must be true or false")
    return value


def integer(name: str, value: Any, minimum: int | None = None) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise BadRequestError(f"'{name}' must be an integer")
    if minimum is not None and value < minimum:
        raise BadRequestError(f"'{name}' must be greater than or equal to {minimum}")
    return value


def at_least(minimum: int) -> Reader:
    return lambda name, value: integer(name, value, minimum)


def number(name: str, value: Any) -> Decimal:
    """A JSON number, read exactly (Keap's create requests take money as doubles)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise BadRequestError(f"'{name}' must be a number")
    try:
        return to_decimal(value)
    except MoneyError as error:
        raise BadRequestError(f"'{name}' must be a finite number") from error


def one_of(*choices: str) -> Reader:
    def reader(name: str, value: Any) -> str:
        if value not in choices:
            raise BadRequestError(f"'{name}' must be one of {', '.join(choices)}, not {value!r}")
        return value

    return reader


def text_list(name: str, value: Any) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise BadRequestError(f"'{name}' must be a list of strings")
    return value


def objects(name: str, value: Any) -> list[Mapping[str, Any]]:
    if not isinstance(value, list) or not all(isinstance(v, Mapping) for v in value):
        raise BadRequestError(f"'{name}' must be a list of objects")
    return value


def custom_field_values(name: str, value: Any) -> dict[int, Any]:
    """`[{id, content}]` -> {field ID: content}; the account checks IDs and content types."""
    values = {}
    for index, entry in enumerate(objects(name, value)):
        if "id" not in entry:
            raise BadRequestError(f"'{name}[{index}].id' is required")
        values[identifier(f"{name}[{index}].id", entry["id"])] = entry.get("content")
    return values


# --- request bodies --------------------------------------------------------------------------


def order_item(name: str, value: Any) -> dict[str, Any]:
    """A `CreateOrderItemRequest`."""
    item = read(
        json_object(value),
        {
            "item_type": one_of(*CREATABLE_ITEM_TYPES),
            "quantity": at_least(1),
            "product_id": identifier,
            "subscription_plan_id": identifier,
            "subscription_plan_description": text,
            "price_per_unit": number,
            "cost_per_unit": number,
            "name": text,
            "description": text,
            "notes": text,
        },
    )
    item.setdefault("item_type", "PRODUCT")
    if item.get("quantity") is None:
        raise BadRequestError(f"'{name}.quantity' is required")
    if item["item_type"] in ("PRODUCT", "SUBSCRIPTION") and item.get("product_id") is None:
        raise BadRequestError(f"'{name}.product_id' is required for item_type {item['item_type']}")
    if item["item_type"] == "SUBSCRIPTION" and item.get("subscription_plan_id") is None:
        raise BadRequestError(
            f"'{name}.subscription_plan_id' is required for item_type SUBSCRIPTION"
        )
    return item


def order_items(name: str, value: Any) -> list[dict[str, Any]]:
    return [order_item(f"{name}[{i}]", entry) for i, entry in enumerate(objects(name, value))]


def shipping_address(name: str, value: Any) -> dict[str, Any]:
    """An `AddressInformation`."""
    names = ("line1", "line2", "locality", "region", "company", "phone", "zip_code")
    names += ("zip_four", "country_code", "first_name", "middle_name", "last_name")
    readers: dict[str, Reader] = dict.fromkeys(names, any_text)
    readers["is_invoice_to_company"] = boolean
    return read(json_object(value), readers)


def payment_plan(name: str, value: Any) -> dict[str, Any]:
    """An `UpdatedPaymentPlan`."""
    plan = read(
        json_object(value),
        {
            "auto_charge": boolean,
            "max_charge_attempts": at_least(0),
            "days_between_retries": at_least(0),
            "payment_method_id": any_text,
            "initial_payment_amount": number,
            "initial_payment_date": date,
            "plan_start_date": date,
            "number_of_payments": at_least(1),
            "days_between_payments": at_least(1),
        },
    )
    require(plan, ("plan_start_date", "number_of_payments", "days_between_payments"))
    return plan


ORDER_READERS: dict[str, Reader] = {
    "contact_id": identifier,
    "order_title": text,
    "order_time": date_time,
    "order_type": one_of("ONLINE", "OFFLINE"),
    "order_items": order_items,
    "title": text,
    "notes": any_text,
    "terms": any_text,
    "promo_codes": text_list,
    "lead_affiliate_id": identifier,
    "sales_affiliate_id": identifier,
    "shipping_address": shipping_address,
    "custom_fields": custom_field_values,
    "sent_time": date_time,
    "due_time": date_time,
    "invoice_number": any_text,
    "external_create_user": any_text,
    "external_create_time": date_time,
    "external_update_time": date_time,
}
ORDER_REQUIRED = ("contact_id", "order_time", "order_title", "order_type")
# What PATCH /orders/{id} can change (its `update_mask` enum).
ORDER_UPDATABLE = (
    "contact_id",
    "order_items",
    "order_title",
    "order_time",
    "order_type",
    "promo_codes",
    "lead_affiliate_id",
    "sales_affiliate_id",
    "shipping_address",
    "notes",
    "terms",
    "payment_plan",
    "custom_fields",
    "sent_time",
    "title",
    "due_time",
    "invoice_number",
    "external_create_user",
    "external_create_time",
    "external_update_time",
)


def new_order(body: Any) -> dict[str, Any]:
    """A `RestCreateOrderRequest`."""
    values = read(json_object(body), ORDER_READERS)
    require(values, ORDER_REQUIRED)
    return values


def order_changes(body: Any, update_mask: list[str]) -> dict[str, Any]:
    """An `UpdateOrderRequest`, narrowed to the `update_mask` when one is given."""
    mask = parse_update_mask(update_mask, ORDER_UPDATABLE)
    readers = {**ORDER_READERS, "payment_plan": payment_plan}
    values = read(json_object(body), {k: v for k, v in readers.items() if k in ORDER_UPDATABLE})
    if mask is not None:
        values = {name: values.get(name) for name in mask if name in values}
    for name in ORDER_REQUIRED:
        if name in values and values[name] is None:
            raise BadRequestError(f"'{name}' cannot be removed from an order")
    return values


def parse_update_mask(raw: list[str], allowed: Iterable[str]) -> list[str] | None:
    """`update_mask` as repeated keys or comma-separated; None when absent."""
    names = [name.strip() for entry in raw for name in entry.split(",") if name.strip()]
    if not names:
        return None
    allowed = tuple(allowed)
    unknown = [name for name in names if name not in allowed]
    if unknown:
        raise BadRequestError(
            f"Invalid update_mask value(s) {', '.join(unknown)}: allowed are {', '.join(allowed)}"
        )
    return names


def new_payment(body: Any) -> dict[str, Any]:
    """A `RestCreatePaymentRequest`."""
    values = read(
        json_object(body),
        {
            "payment_amount": number,
            "apply_to_commissions": boolean,
            "payment_method_id": any_text,
            "payment_method_type": any_text,
            "payment_time": date_time,
            "notes": any_text,
            "external_source": any_text,
            "external_source_value": any_text,
            "external_status_value": any_text,
            "external_create_time": date_time,
            "external_update_time": date_time,
            "external_create_user": any_text,
        },
    )
    require(values, ("payment_amount",))
    if values.get("apply_to_commissions") is None:
        raise BadRequestError("Missing required properties: apply_to_commissions")
    if not values.get("payment_method_id") and not values.get("payment_method_type"):
        raise BadRequestError("One of payment_method_id or payment_method_type is required")
    return values


def email_addresses(name: str, value: Any) -> list[dict[str, Any]]:
    """`EmailAddressRequest`s, each in its own slot (EMAIL1..EMAIL3, assigned in order when a
    slot is not named)."""
    entries = objects(name, value)
    taken = {e.get("field") for e in entries if e.get("field")}
    free = [slot for slot in EMAIL_SLOTS if slot not in taken]
    result = []
    for index, entry in enumerate(entries):
        where = f"{name}[{index}]"
        email = text(f"{where}.email", entry.get("email"), 100)
        if "@" not in email or email.startswith("@") or email.endswith("@"):
            raise BadRequestError(f"'{where}.email' is not a valid email address: {email!r}")
        slot = entry.get("field") or (free.pop(0) if free else None)
        if slot not in EMAIL_SLOTS:
            raise BadRequestError(f"'{where}.field' must be one of {', '.join(EMAIL_SLOTS)}")
        result.append({"email": email, "field": slot})
    _unique_slots(name, result)
    return result


def phone_numbers(name: str, value: Any) -> list[dict[str, Any]]:
    result = []
    for index, entry in enumerate(objects(name, value)):
        where = f"{name}[{index}]"
        phone = {"number": text(f"{where}.number", entry.get("number"), 40)}
        phone["field"] = entry.get("field") or PHONE_SLOTS[min(index, 4)]
        if phone["field"] not in PHONE_SLOTS:
            raise BadRequestError(f"'{where}.field' must be one of {', '.join(PHONE_SLOTS)}")
        for key in ("type", "extension"):
            if entry.get(key) is not None:
                phone[key] = any_text(f"{where}.{key}", entry[key])
        result.append(phone)
    _unique_slots(name, result)
    return result


def address_limits(slot: str) -> dict[str, int]:
    """The spec's maximum lengths of an `Address`'s properties, which depend on its slot."""
    billing = slot == "BILLING"
    return {
        "line1": 75 if billing else 100,
        "line2": 75 if billing else 100,
        "locality": 50 if billing else 100,
        "region": 50,
        "postal_code": 20 if slot == "SHIPPING" else 15,
        "zip_code": 20 if slot == "SHIPPING" else 15,
        "zip_four": 10,
    }


def addresses(name: str, value: Any) -> list[dict[str, Any]]:
    """`Address`es: Keap requires `country_code` (ISO 3166-1 alpha-3) when a region is given,
    and limits each line's length by the address's slot."""
    keys = ("line1", "line2", "locality", "region", "region_code", "country_code")
    keys += ("postal_code", "zip_code", "zip_four")
    result = []
    for index, entry in enumerate(objects(name, value)):
        where = f"{name}[{index}]"
        slot = entry.get("field")
        if slot not in ADDRESS_SLOTS:
            raise BadRequestError(f"'{where}.field' must be one of {', '.join(ADDRESS_SLOTS)}")
        limits = address_limits(slot)
        address = {"field": slot}
        for key in keys:
            if entry.get(key) is not None:
                address[key] = text(f"{where}.{key}", entry[key], limits.get(key))
        country = address.get("country_code")
        if country is not None and country not in iso3166.countries_by_alpha3:
            raise BadRequestError(
                f"'{where}.country_code' must be an ISO 3166-1 alpha-3 country code, not "
                f"{country!r}"
            )
        if (address.get("region") or address.get("region_code")) and not country:
            raise BadRequestError(f"'{where}.country_code' is required when a region is specified")
        result.append(address)
    _unique_slots(name, result)
    return result


def company(name: str, value: Any) -> dict[str, Any]:
    """A `BasicCompany`: an existing company's `id`, or a `company_name`."""
    entry = json_object(value)
    if entry.get("id") is not None:
        return {"id": identifier(f"{name}.id", entry["id"])}
    return {"company_name": text(f"{name}.company_name", entry.get("company_name"), 100)}


CONTACT_READERS: dict[str, Reader] = {
    "given_name": limited(40),
    "family_name": limited(40),
    "middle_name": limited(100),
    "job_title": limited(255),
    "company": company,
    "email_addresses": email_addresses,
    "phone_numbers": phone_numbers,
    "addresses": addresses,
    "contact_type": any_text,
    "owner_id": identifier,
    "source_type": one_of(
        "SOURCE_TYPE_UNSPECIFIED",
        "API",
        "APPOINTMENT",
        "FORM_API_HOSTED",
        "FORM_API_INTERNAL",
        "IMPORT",
        "INTERNAL_FORM",
        "LANDING_PAGE",
        "MANUAL",
        "OTHER",
        "UNKNOWN",
        "WEBFORM",
    ),
}


def contact(body: Any) -> dict[str, Any]:
    """A `CreateUpdateContactRequest`."""
    return read(json_object(body), CONTACT_READERS)


def new_product(body: Any) -> dict[str, Any]:
    """A `CreateProductRequest`: `price` in minor units."""
    values = read(
        json_object(body),
        {
            "name": text,
            "sku": any_text,
            "price": at_least(0),
            "active": boolean,
            "description": any_text,
            "short_description": any_text,
            "shippable": boolean,
            "taxable": boolean,
            "weight": number,
            "subscription_only": boolean,
        },
    )
    require(values, ("name", "short_description"))
    if values.get("price") is None:
        raise BadRequestError("Missing required properties: price")
    return values


def new_custom_field(body: Any) -> dict[str, Any]:
    """A `CreateCustomFieldRequest`."""
    values = read(
        json_object(body),
        {"label": limited(100), "field_type": one_of(*CUSTOM_FIELD_TYPES), "options": objects},
    )
    require(values, ("label", "field_type"))
    values["options"] = [
        text(f"options[{i}].label", option.get("label"))
        for i, option in enumerate(values.get("options") or [])
    ]
    return values


# The modules `GET /settings/applications:getConfiguration` returns besides `application`.
CONFIGURATION_MODULES = (
    "AFFILIATE",
    "APPOINTMENT",
    "CONTACT",
    "ECOMMERCE",
    "EMAIL",
    "FORMS",
    "FULFILLMENT",
    "INVOICE",
    "NOTE",
    "OPPORTUNITY",
    "TASK",
    "TEMPLATE",
)


def configuration_modules(raw: list[str]) -> list[str]:
    """The `fields` of an application-configuration request (repeated or comma-separated)."""
    names = [name.strip().upper() for entry in raw for name in entry.split(",") if name.strip()]
    unknown = [name for name in names if name not in CONFIGURATION_MODULES]
    if unknown:
        raise BadRequestError(
            f"Invalid fields value(s) {', '.join(unknown)}: allowed are "
            f"{', '.join(CONFIGURATION_MODULES)}"
        )
    return names


def _unique_slots(name: str, entries: list[dict[str, Any]]) -> None:
    slots = [entry["field"] for entry in entries]
    if len(slots) != len(set(slots)):
        raise BadRequestError(f"'{name}' has more than one entry in the same field slot")
