"""`check` against the Keap sandbox: the credential, the order custom field that remembers the
Xero invoice (created when missing and allowed), and the manual payment type when payments are
on; each problem said with what to fix and where."""

from __future__ import annotations

import logging

import pytest
from airbyte_cdk.models import Status

from destination_keap import DestinationKeap

FIELDS = "/crm/rest/v2/orders/model/customFields"


def check(config: dict) -> tuple[Status, str]:
    status = DestinationKeap().check(logging.getLogger("airbyte"), config)
    return status.status, status.message or ""


@pytest.mark.parametrize("auth", ["api_key", "oauth2.0"])
def test_a_good_config_succeeds(keap, auth):
    assert check(keap.config(auth)) == (Status.SUCCEEDED, "")


def test_the_custom_field_is_created_when_the_account_has_none(keap):
    keap.account.remove_order_field(keap.account.xero_invoice_field.id)

    assert check(keap.config()) == (Status.SUCCEEDED, "")

    [field] = keap.dump()["order_custom_fields"]
    assert (field["label"], field["field_name"], field["field_type"]) == (
        "Xero Invoice ID",
        "XeroInvoiceID",
        "TEXT",
    )
    assert check(keap.config()) == (Status.SUCCEEDED, "")
    assert keap.calls("POST", "orders/model/customFields") == 1


def test_a_custom_field_keap_refuses_to_create_says_where_to_create_it(keap):
    keap.account.remove_order_field(keap.account.xero_invoice_field.id)
    keap.sandbox.faults.add(
        api="keap",
        method="POST",
        path=FIELDS,
        status=403,
        body={"code": 403, "message": "Not allowed to manage custom fields", "status": "Forbidden"},
    )

    status, message = check(keap.config())

    assert status == Status.FAILED
    assert message.startswith("Config field 'credentials.api_key': Keap answered POST ")
    assert "needs access to the order custom fields" in message
    assert message.endswith(
        "Or: Create it in Keap, Settings > Custom Fields (Keap Max Classic: Admin > Settings > "
        "Custom Fields, for Order): a Text field labelled 'Xero Invoice ID', then run again"
    )


def test_a_custom_field_the_account_cannot_take_says_where_to_create_it(keap):
    keap.account.remove_order_field(keap.account.xero_invoice_field.id)
    keap.sandbox.faults.add(
        api="keap",
        method="POST",
        path=FIELDS,
        status=400,
        body={"code": 400, "message": "Custom field limit reached", "status": "Bad Request"},
    )

    status, message = check(keap.config())

    assert status == Status.FAILED
    assert message == (
        "Keap refused to create the order custom field 'Xero Invoice ID' (Keap answered POST "
        "/orders/model/customFields with 400: Custom field limit reached). Create it in Keap, "
        "Settings > Custom Fields (Keap Max Classic: Admin > Settings > Custom Fields, for "
        "Order): a Text field labelled 'Xero Invoice ID', then run again"
    )


def test_without_creating_the_field_check_names_the_setting_and_where(keap):
    keap.account.remove_order_field(keap.account.xero_invoice_field.id)

    status, message = check(keap.config(**{"orders.create_custom_field": False}))

    assert status == Status.FAILED
    assert message.startswith(
        "Config field 'orders.create_custom_field': is off, and Keap has no order custom field "
        "'Xero Invoice ID': create it (type Text) in Keap, Settings > Custom Fields"
    )
    assert keap.dump()["order_custom_fields"] == []


def test_a_marker_field_of_another_type_is_refused(keap):
    keap.account.remove_order_field(keap.account.xero_invoice_field.id)
    with keap.account.lock:
        keap.account.define_order_field("Xero Invoice ID", "WHOLE_NUMBER")

    status, message = check(keap.config())

    assert status == Status.FAILED
    assert "is of type WHOLE_NUMBER; it must be Text" in message


def test_with_payments_on_the_manual_payment_type_must_exist(keap):
    keap.account.configure({"manual_payment_types": ["Cash", "Check"]})
    paying = {"payments.write_payments": True}

    good = check(keap.config(**paying, **{"payments.payment_type": "Check"}))
    unknown = check(keap.config(**paying, **{"payments.payment_type": "Bank transfer"}))

    assert good == (Status.SUCCEEDED, "")
    assert unknown == (
        Status.FAILED,
        "Config field 'payments.payment_type': 'Bank transfer' is not a manual payment type of "
        "this Keap account (it has: Cash, Check). Add it in Keap, E-Commerce > Settings > "
        "Orders > Manual Payment Types, or choose one of these (exactly as written)",
    )


def test_a_refused_api_key_names_it(keap):
    status, message = check(keap.config(**{"credentials.api_key": "KeapAK-revoked"}))

    assert status == Status.FAILED
    assert message.startswith(
        "Config field 'credentials.api_key': Keap rejected the API key; create a new key"
    )


@pytest.mark.parametrize(
    ("change", "field", "words"),
    [
        (
            {"credentials.client_secret": "not-the-secret"},
            "credentials.client_secret",
            "Keap does not accept this client ID and secret",
        ),
        (
            {"credentials.refresh_token": "spent-or-revoked"},
            "credentials.refresh_token",
            "Keap rejected the refresh token (it accepts the app's client ID and secret)",
        ),
    ],
)
def test_a_wrong_client_secret_is_told_from_a_refused_refresh_token(keap, change, field, words):
    status, message = check(keap.config("oauth2.0", **change))

    assert status == Status.FAILED
    assert message.startswith(f"Config field '{field}': {words}")
    assert "re-authenticate the destination" in message or field.endswith("secret")


@pytest.mark.parametrize(
    ("body", "said"),
    [
        ({"error": "request_blocked"}, "400: request_blocked"),
        ("<html><body><h1>Bad Request</h1></body></html>", "400: Bad Request"),
    ],
    ids=["an error OAuth does not list", "a page that is not JSON"],
)
def test_any_refusal_of_a_refresh_names_the_field_and_what_keap_said(keap, body, said):
    config = keap.config("oauth2.0")
    keap.sandbox.faults.add(api="keap", method="POST", path="/token", status=400, body=body)

    status, message = check(config)

    assert status == Status.FAILED
    assert message.startswith("Config field 'credentials.refresh_token': Keap rejected")
    assert message.endswith(f"Keap's token endpoint answered {said}")
    assert config["credentials"]["client_secret"] not in message
