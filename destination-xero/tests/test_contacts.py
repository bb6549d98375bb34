"""Contacts: found by ContactNumber, email, then name; created under a free name; one look-up
and one write per batch, never one per record.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import TYPE_CHECKING, Any

from invoice_model import examples

if TYPE_CHECKING:
    from conftest import MakeConfig, XeroUser

    from keap_xero_sandbox.sandbox import Sandbox


def add_contact(xero: XeroUser, **fields: Any) -> dict[str, Any]:
    return xero.call("PUT", "/Contacts", {"Contacts": [fields]})["Contacts"][0]


def contact_of(xero: XeroUser, number: str) -> dict[str, Any]:
    invoice = xero.invoices()[number]
    return next(
        c for c in xero.books()["contacts"] if c["ContactID"] == invoice["Contact"]["ContactID"]
    )


def test_an_existing_contact_with_the_same_email_is_used_and_numbered(
    kit: SimpleNamespace, sandbox: Sandbox, sandbox_config: MakeConfig, xero: XeroUser
) -> None:
    zoe = add_contact(xero, Name="Zoe Fernandez", EmailAddress="ZOE@example.com")
    kit.write(sandbox_config(), kit.sync([examples.invoice()]))
    contact = contact_of(xero, "2087")
    assert contact["ContactID"] == zoe["ContactID"]
    assert contact["ContactNumber"] == "311"
    assert len(xero.books()["contacts"]) == 1


def test_an_existing_contact_with_the_same_name_is_used_when_enabled(
    kit: SimpleNamespace, sandbox_config: MakeConfig, xero: XeroUser
) -> None:
    zoe = add_contact(xero, Name="Zoë Fernández")
    kit.write(sandbox_config(**{"contacts.match_by_email": False}), kit.sync([examples.invoice()]))
    assert contact_of(xero, "2087")["ContactID"] == zoe["ContactID"]


def test_a_contact_holding_another_source_id_is_never_taken(
    kit: SimpleNamespace, sandbox_config: MakeConfig, xero: XeroUser
) -> None:
    other = add_contact(
        xero, Name="Zoë Fernández", EmailAddress="zoe@example.com", ContactNumber="999"
    )
    written = kit.write(sandbox_config(), kit.sync([examples.invoice()]))
    assert written.error is None
    contact = contact_of(xero, "2087")
    assert contact["ContactID"] != other["ContactID"]
    # Xero names are unique: the new contact is told apart by its source ID.
    assert (contact["Name"], contact["ContactNumber"]) == ("Zoë Fernández (311)", "311")


def test_a_taken_name_rejects_the_invoice_when_so_configured(
    kit: SimpleNamespace, sandbox_config: MakeConfig, xero: XeroUser
) -> None:
    add_contact(xero, Name="Zoë Fernández", ContactNumber="999")
    config = sandbox_config(**{"contacts.name_conflict": "reject"})
    written = kit.write(config, kit.sync([examples.invoice()]))
    assert "contact name 'Zoë Fernández' belongs to another Xero contact" in written.warnings[0]
    assert xero.invoices() == {}


def test_few_new_contacts_are_looked_up_in_one_filtered_call(
    kit: SimpleNamespace, sandbox: Sandbox, sandbox_config: MakeConfig, xero: XeroUser
) -> None:
    kit.write(sandbox_config(), kit.sync([kit.invoice(n) for n in range(5)]))
    [look_up] = [c for c in sandbox.stats.calls("xero") if c.endpoint.endswith("/Contacts")][:1]
    assert look_up.method == "GET"
    assert "where=" in look_up.query
    assert kit.calls(sandbox, "GET", "/Contacts") == 1
    assert kit.calls(sandbox, "POST", "/Contacts") == 1
    assert len(xero.books()["contacts"]) == 5


def test_many_contacts_are_read_once_and_created_fifty_a_call(
    kit: SimpleNamespace, sandbox: Sandbox, sandbox_config: MakeConfig, xero: XeroUser
) -> None:
    for n in range(3):
        add_contact(xero, Name=f"Someone else {n}")
    invoices = [kit.invoice(n) for n in range(120)]
    written = kit.write(sandbox_config(), kit.sync(invoices, state_every=60))
    assert written.error is None
    assert len(xero.books()["contacts"]) == 123
    # The organisation's contacts are read once for the run, not once per flush.
    assert kit.calls(sandbox, "GET", "/Contacts") == 1
    assert (
        "where="
        not in next(
            c
            for c in sandbox.stats.calls("xero")
            if c.method == "GET" and c.endpoint.endswith("/Contacts")
        ).query
    )
    assert kit.calls(sandbox, "POST", "/Contacts") == 4  # 60 + 60 new: 50 + 10, twice
    assert kit.calls(sandbox, "PUT", "/Invoices") == 4
    assert kit.calls(sandbox, "GET", "/Invoices") == 0
