"""Contacts: create, create-or-update, per-element results, unique names, look-ups by where,
IDs, If-Modified-Since, paging and archived contacts.
"""

from __future__ import annotations

ZERO = "00000000-0000-0000-0000-000000000000"
TAKEN = (
    "The contact name Ada Lovelace is already assigned to another contact. The contact name must "
    "be unique across all active contacts."
)


def test_put_creates_contacts_with_ids_and_rendered_fields(xero):
    answer = xero.put(
        "/Contacts",
        {
            "Contacts": [
                {
                    "Name": "Ada Lovelace",
                    "ContactNumber": "keap-1",
                    "FirstName": "Ada",
                    "EmailAddress": "ada@example.com",
                    "Phones": [{"PhoneType": "DEFAULT", "PhoneNumber": "555-0100"}],
                    "Addresses": [
                        {"AddressType": "POBOX", "City": "London"},
                        {
                            "AddressType": "STREET",
                            "AddressLine1": "Flat 2",
                            "AddressLine2": "12 St James's Square",
                            "AddressLine3": "Westminster",
                            "AddressLine4": "Greater London",
                        },
                    ],
                }
            ]
        },
    )
    contact = xero.only(answer, "Contacts")
    assert contact["ContactID"] != ZERO
    assert contact["ContactStatus"] == "ACTIVE"
    assert contact["Phones"] == [{"PhoneType": "DEFAULT", "PhoneNumber": "555-0100"}]
    assert contact["Addresses"][0] == {"AddressType": "POBOX", "City": "London"}
    assert [contact["Addresses"][1][f"AddressLine{n}"] for n in range(1, 5)] == [
        "Flat 2",
        "12 St James's Square",
        "Westminster",
        "Greater London",
    ]
    assert contact["UpdatedDateUTC"].startswith("/Date(")
    again = xero.only(xero.get(f"/Contacts/{contact['ContactID']}"), "Contacts")
    assert again["EmailAddress"] == "ada@example.com"
    by_number = xero.only(xero.get("/Contacts/keap-1"), "Contacts")
    assert by_number["ContactID"] == contact["ContactID"]


def test_names_are_unique_among_active_contacts(xero):
    xero.new_contact("Ada Lovelace")
    answer = xero.put(
        "/Contacts?summarizeErrors=false",
        {"Contacts": [{"Name": "ada lovelace"}, {"Name": "Grace Hopper"}]},
    )
    assert answer.status_code == 200
    refused, created = answer.json()["Contacts"]
    assert refused["HasValidationErrors"] is True
    assert refused["StatusAttributeString"] == "ERROR"
    assert refused["ContactID"] == ZERO
    assert refused["ValidationErrors"] == [
        {"Message": TAKEN.replace("Ada Lovelace", "ada lovelace")}
    ]
    assert created["HasValidationErrors"] is False
    assert created["ContactID"] != ZERO


def test_summarized_errors_are_a_400_but_the_valid_contacts_are_still_created(xero):
    xero.new_contact("Ada Lovelace")
    answer = xero.put("/Contacts", {"Contacts": [{"Name": "Ada Lovelace"}, {"Name": "Grace"}]})
    assert answer.status_code == 400
    body = answer.json()
    assert body["ErrorNumber"] == 10
    assert body["Type"] == "ValidationException"
    assert [e["ValidationErrors"][0]["Message"] for e in body["Elements"]] == [TAKEN]
    names = [c["Name"] for c in xero.get("/Contacts").json()["Contacts"]]
    assert sorted(names) == ["Ada Lovelace", "Grace"]


def test_an_archived_contact_frees_its_name_and_leaves_the_default_list(xero):
    ada = xero.new_contact("Ada Lovelace")
    archived = xero.post(
        "/Contacts", {"Contacts": [{"ContactID": ada["ContactID"], "ContactStatus": "ARCHIVED"}]}
    )
    assert xero.only(archived, "Contacts")["ContactStatus"] == "ARCHIVED"
    second = xero.new_contact("Ada Lovelace")
    assert second["ContactID"] != ada["ContactID"]
    listed = [c["ContactID"] for c in xero.get("/Contacts").json()["Contacts"]]
    assert listed == [second["ContactID"]]
    everything = xero.get("/Contacts", params={"includeArchived": "true"}).json()["Contacts"]
    assert {c["ContactID"] for c in everything} == {ada["ContactID"], second["ContactID"]}
    revived = xero.post(
        "/Contacts?summarizeErrors=false",
        {"Contacts": [{"ContactID": ada["ContactID"], "ContactStatus": "ACTIVE"}]},
    )
    assert revived.json()["Contacts"][0]["ValidationErrors"] == [{"Message": TAKEN}]


def test_contact_number_has_at_most_50_characters(xero):
    answer = xero.put(
        "/Contacts?summarizeErrors=false",
        {
            "Contacts": [
                {"Name": "Long", "ContactNumber": "k" * 51},
                {"Name": "Ok", "ContactNumber": "k" * 50},
            ]
        },
    )
    too_long, fine = answer.json()["Contacts"]
    assert too_long["HasValidationErrors"] is True
    assert "50 characters" in too_long["ValidationErrors"][0]["Message"]
    assert fine["HasValidationErrors"] is False


def test_a_contact_needs_a_name(xero):
    answer = xero.put("/Contacts?summarizeErrors=false", {"Contacts": [{"EmailAddress": "x@y.z"}]})
    refused = answer.json()["Contacts"][0]
    assert refused["HasValidationErrors"] is True
    assert refused["ContactID"] == ZERO


def test_post_updates_by_contact_id_and_by_contact_number_and_creates_otherwise(xero):
    ada = xero.new_contact("Ada Lovelace", ContactNumber="keap-1")
    answer = xero.post(
        "/Contacts?summarizeErrors=false",
        {
            "Contacts": [
                {"ContactID": ada["ContactID"], "EmailAddress": "ada@example.com"},
                {"ContactNumber": "keap-1", "FirstName": "Augusta"},
                {"Name": "Grace Hopper", "ContactNumber": "keap-2"},
            ]
        },
    )
    by_id, by_number, created = answer.json()["Contacts"]
    assert by_id["ContactID"] == by_number["ContactID"] == ada["ContactID"]
    assert by_number["EmailAddress"] == "ada@example.com"
    assert by_number["FirstName"] == "Augusta"
    assert by_number["Name"] == "Ada Lovelace"
    assert created["ContactID"] not in (ZERO, ada["ContactID"])


def test_post_to_an_unknown_contact_id_is_refused(xero):
    answer = xero.post(
        "/Contacts?summarizeErrors=false",
        {"Contacts": [{"ContactID": "5f6e7d8c-0000-4000-8000-000000000000", "Name": "Nobody"}]},
    )
    assert answer.json()["Contacts"][0]["HasValidationErrors"] is True
    assert xero.get("/Contacts/5f6e7d8c-0000-4000-8000-000000000000").status_code == 404


def test_renaming_to_a_taken_name_is_refused(xero):
    xero.new_contact("Ada Lovelace")
    grace = xero.new_contact("Grace Hopper")
    answer = xero.post(f"/Contacts/{grace['ContactID']}", {"Contacts": [{"Name": "Ada Lovelace"}]})
    assert answer.status_code == 400
    assert answer.json()["Elements"][0]["ValidationErrors"] == [{"Message": TAKEN}]


def test_where_with_or_ed_contact_numbers_emails_and_names_finds_each_match(xero):
    people = [
        {"Name": f"Customer {n}", "ContactNumber": f"k{n}", "EmailAddress": f"c{n}@example.com"}
        for n in range(1, 61)
    ]
    assert xero.put("/Contacts", {"Contacts": people}).status_code == 200
    terms = [f'ContactNumber=="k{n}"' for n in range(1, 51)]
    terms += ['EmailAddress=="C55@EXAMPLE.COM"', 'Name=="customer 60"', 'Name=="Nobody"']
    answer = xero.get("/Contacts", params={"where": " OR ".join(terms), "page": 1})
    numbers = sorted(int(c["ContactNumber"][1:]) for c in answer.json()["Contacts"])
    assert numbers == [*range(1, 51), 55, 60]


def test_where_with_string_methods_and_and(xero):
    xero.new_contact("Acme Ltd", EmailAddress="sales@acme.test")
    xero.new_contact("Acme Holdings", EmailAddress="hq@acme.test")
    xero.new_contact("Zeta", EmailAddress="z@zeta.test")
    where = 'Name.StartsWith("acme") AND EmailAddress.Contains("sales")'
    found = xero.get("/Contacts", params={"where": where}).json()["Contacts"]
    assert [c["Name"] for c in found] == ["Acme Ltd"]
    not_acme = xero.get("/Contacts", params={"where": 'NOT Name.StartsWith("Acme")'})
    assert [c["Name"] for c in not_acme.json()["Contacts"]] == ["Zeta"]


def test_ids_filter_and_order(xero):
    made = [xero.new_contact(name) for name in ("Bravo", "Alpha", "Charlie")]
    ids = ",".join(c["ContactID"] for c in made[:2])
    found = xero.get("/Contacts", params={"IDs": ids, "order": "Name ASC"}).json()["Contacts"]
    assert [c["Name"] for c in found] == ["Alpha", "Bravo"]


def test_if_modified_since_returns_contacts_changed_since_to_the_second(xero, sandbox):
    sandbox.clock.freeze()
    old = xero.new_contact("Old")
    sandbox.clock.advance(10)
    since = sandbox.clock.now().strftime("%Y-%m-%dT%H:%M:%S")  # dropping this second's fraction
    sandbox.clock.advance(0.001)
    new = xero.new_contact("New")
    found = xero.get("/Contacts", headers={"If-Modified-Since": since}).json()["Contacts"]
    assert [c["ContactID"] for c in found] == [new["ContactID"]]
    xero.post("/Contacts", {"Contacts": [{"ContactID": old["ContactID"], "FirstName": "Was"}]})
    found = xero.get("/Contacts", headers={"If-Modified-Since": since}).json()["Contacts"]
    assert [c["Name"] for c in found] == ["New", "Old"], "ordered by UpdatedDateUTC"


def test_pages_of_contacts_with_pagination(xero):
    for n in range(7):
        xero.new_contact(f"Customer {n}")
    first = xero.get("/Contacts", params={"page": 1, "pageSize": 3}).json()
    assert first["pagination"] == {"page": 1, "pageSize": 3, "pageCount": 3, "itemCount": 7}
    last = xero.get("/Contacts", params={"page": 3, "pageSize": 3}).json()
    assert [c["Name"] for c in last["Contacts"]] == ["Customer 6"]
    beyond = xero.get("/Contacts", params={"page": 4, "pageSize": 3}).json()
    assert beyond["Contacts"] == []


def test_page_size_is_capped_at_1000(xero):
    answer = xero.get("/Contacts", params={"page": 1, "pageSize": 5000})
    assert answer.json()["pagination"]["pageSize"] == 1000


def test_a_body_xero_cannot_read_is_post_data_invalid_and_writes_nothing(xero):
    answer = xero.call(
        "PUT", "/Contacts", data=b"{not json", headers={"Content-Type": "application/json"}
    )
    assert answer.status_code == 400
    assert answer.json()["Type"] == "PostDataInvalidException"
    wrong_type = xero.put("/Contacts", {"Contacts": [{"Name": "A"}, {"Name": ["B"]}]})
    assert wrong_type.status_code == 400
    assert xero.get("/Contacts").json()["Contacts"] == []
