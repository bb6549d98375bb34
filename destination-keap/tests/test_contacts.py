"""Contacts: matched by email, else by name and company, created otherwise; looked up in
batches and kept for the run, never one search per invoice."""

from __future__ import annotations

EMAIL = [{"email": "mei@example.com", "field": "EMAIL1"}]
PHONE = [{"number": "+1 555 0100", "field": "PHONE1"}]


def contact_of(keap, xero_id: str) -> str:
    return keap.orders()[xero_id]["contact"]["id"]


def test_a_contact_with_an_email_is_the_keap_contact_with_that_email(keap, kit):
    keap.contact(given_name="Someone", email_addresses=EMAIL)  # another email
    mei = keap.contact(
        given_name="Mei",
        family_name="Lin",
        email_addresses=[
            {"email": "work@example.com", "field": "EMAIL1"},
            {"email": "Customer0001@Example.com", "field": "EMAIL2"},
        ],
    )
    written = kit.write(keap.config(), kit.sync([kit.invoice(1)]), ["invoices"])

    assert written.error is None
    assert contact_of(keap, kit.xero_id(1)) == str(mei.id)
    assert len(keap.contacts()) == 2
    mei_now = next(c for c in keap.contacts() if c["id"] == str(mei.id))
    assert mei_now["given_name"] == "Mei"  # never changed by the sync


def test_a_new_contact_is_created_with_what_the_invoice_knows(keap, kit):
    kit.write(keap.config(), kit.sync([kit.invoice(1)]), ["invoices"])

    [made] = keap.contacts()
    assert made["given_name"] == "Customer"
    assert made["family_name"] == "0001"
    assert made["email_addresses"] == [{"email": "customer0001@example.com", "field": "EMAIL1"}]
    assert made["phone_numbers"][0]["number"] == "+64 9 555 0100"
    assert made["addresses"] == [
        {
            "field": "BILLING",
            "line1": "1 Queen St",
            "locality": "Auckland",
            "postal_code": "1010",
            "country_code": "NZL",
        }
    ]
    [created] = [c for c in keap.sandbox.stats.calls("keap") if c.method == "POST"][:1]
    assert "duplicate_option=Email" in created.query


def test_a_contact_without_email_is_matched_by_name_and_company(keap, kit):
    acme = keap.contact(
        given_name="Sam", family_name="Lee", company={"company_name": "Acme"}, phone_numbers=PHONE
    )
    keap.contact(given_name="Sam", family_name="Lee", phone_numbers=PHONE)  # no company
    at_acme = kit.contact(20, first_name="SAM", last_name="lee", company="ACME", email=None)
    elsewhere = kit.contact(21, first_name="Sam", last_name="Lee", company="Globex", email=None)
    records = [kit.invoice(1, contact=at_acme), kit.invoice(2, contact=elsewhere)]

    written = kit.write(keap.config(), kit.sync(records), ["invoices"])

    assert written.error is None
    assert contact_of(keap, kit.xero_id(1)) == str(acme.id)
    new = contact_of(keap, kit.xero_id(2))
    assert new not in (str(acme.id),)
    assert len(keap.contacts()) == 3


def test_of_several_keap_contacts_with_the_same_name_the_oldest_is_taken(keap, kit):
    oldest = keap.contact(given_name="Sam", family_name="Lee", phone_numbers=PHONE)
    keap.contact(given_name="Sam", family_name="Lee", phone_numbers=PHONE)
    sam = kit.contact(20, first_name="Sam", last_name="Lee", company=None, email=None)

    kit.write(keap.config(), kit.sync([kit.invoice(1, contact=sam)]), ["invoices"])

    assert contact_of(keap, kit.xero_id(1)) == str(oldest.id)


def test_matching_by_name_can_be_turned_off(keap, kit):
    keap.contact(given_name="Sam", family_name="Lee", phone_numbers=PHONE)
    sam = kit.contact(20, first_name="Sam", last_name="Lee", company=None, email=None)
    config = keap.config(**{"contacts.match_by_name_and_company": False})

    kit.write(config, kit.sync([kit.invoice(1, contact=sam)]), ["invoices"])

    assert len(keap.contacts()) == 2
    assert keap.calls("GET", "contacts") == 0


def test_a_contact_keap_cannot_create_rejects_only_its_invoices(keap, kit):
    nameless = kit.contact(20, email=None, phone=None, billing_address=None, company=None)
    records = [kit.invoice(1, contact=nameless), kit.invoice(2)]

    written = kit.write(keap.config(), kit.sync(records), ["invoices"])

    assert list(keap.orders()) == [kit.xero_id(2)]
    [warning] = written.warnings
    assert warning == (
        f"invoices record {kit.xero_id(1)}: rejected: its contact 'Customer 0020' has no email, "
        "phone or address, one of which Keap needs to create a contact: add one in Xero, or "
        "create the contact in Keap"
    )


def test_a_company_known_by_its_name_alone_is_a_keap_company_contact(keap, kit):
    acme = kit.contact(
        20, name="Acme Ltd", first_name=None, last_name=None, company=None, email=None
    )
    kit.write(keap.config(), kit.sync([kit.invoice(1, contact=acme)]), ["invoices"])

    [made] = keap.contacts()
    assert made["company"]["company_name"] == "Acme Ltd"
    assert "given_name" not in made


def test_a_contact_of_many_invoices_is_created_once_and_found_once(keap, kit):
    records = [kit.invoice(n, contact_n=n % 4) for n in range(12)]
    written = kit.write(keap.config(), kit.sync(records, state_every=5), ["invoices"])

    assert written.error is None
    assert len(keap.contacts()) == 4
    assert keap.calls("POST", "contacts") == 4
    # Searched for on their own (few per flush), each once for the whole run.
    assert keap.calls("GET", "contacts", status=200) == 4


def test_many_unknown_contacts_are_found_in_one_listing_of_the_account(keap, kit):
    keap.sandbox.seed(keap={"contacts": 40, "orders": 0, "subscriptions": 0})
    records = [kit.invoice(n, contact_n=n) for n in range(30)]
    written = kit.write(keap.config("oauth2.0"), kit.sync(records), ["invoices"])

    assert written.error is None
    assert keap.calls("GET", "contacts", status=200) == 1
    assert len(keap.contacts()) == 40 + 30


def test_colliding_email_and_name_of_two_xero_contacts_make_one_keap_contact_each_rule(keap, kit):
    """Two Xero contacts with the same email are one Keap contact (Keap keys contacts by email);
    two without email with the same name and company are one as well."""
    first = kit.contact(1)
    second = kit.contact(2, email=first["email"])
    third = kit.contact(3, first_name="Ana", last_name="Ruiz", email=None)
    fourth = kit.contact(4, first_name="Ana", last_name="Ruiz", email=None)
    records = [
        kit.invoice(n, contact=who) for n, who in enumerate([first, second, third, fourth], 1)
    ]

    kit.write(keap.config(), kit.sync(records), ["invoices"])

    orders = keap.orders()
    assert orders[kit.xero_id(1)]["contact"]["id"] == orders[kit.xero_id(2)]["contact"]["id"]
    assert orders[kit.xero_id(3)]["contact"]["id"] == orders[kit.xero_id(4)]["contact"]["id"]
    assert len(keap.contacts()) == 2


def test_a_contact_created_in_one_flush_is_found_by_the_next(keap, kit):
    """Once the account's contacts are listed (many unknown in a flush), those the run creates
    are found by what they were created with: without an email, name and company."""

    def ana(n):
        return kit.contact(n, first_name="Ana", last_name="Ruiz", company="Acme", email=None)

    first = [kit.invoice(n, contact_n=n) for n in range(26)] + [kit.invoice(26, contact=ana(26))]
    second = [kit.invoice(27, contact=ana(27))]
    config = keap.config("oauth2.0")
    assert kit.write(config, kit.sync(first + second, state_every=27)).error is None

    assert keap.calls("GET", "contacts", status=200) == 1  # the listing; no search after it
    orders = keap.orders()
    assert orders[kit.xero_id(26)]["contact"]["id"] == orders[kit.xero_id(27)]["contact"]["id"]
    assert len(keap.contacts()) == 27
