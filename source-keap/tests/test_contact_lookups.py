"""The contacts of the invoices, fetched the cheaper way without knowing how many the account has:
by ID for a sync of a few pages of orders, the whole list once for a sync of many."""

from urllib.parse import parse_qs

CONTACTS = "/crm/rest/v2/contacts"


def _contact_calls(keap) -> tuple[int, int]:
    """Calls that looked contacts up by ID, and calls that read the whole list a page further."""
    by_id = listed = 0
    for call in keap.sandbox.stats.calls("keap"):
        if call.endpoint == CONTACTS and call.status == 200:
            condition = parse_qs(call.query).get("filter", [""])[0]
            if condition.startswith("ids=="):
                by_id += 1
            else:
                listed += 1
    return by_id, listed


def test_a_sync_of_many_pages_reads_the_whole_contact_list_once(keap):
    """30 pages of orders naming 300 contacts, Keap serving 100 a page: the list is read to its
    end (3 pages, and at most one more to find it ends), with at most as many calls by ID, where
    a look-up by ID for every page of orders took 30."""
    keap.emulator.largest_page = 100
    keap.seed(orders=3000, contacts=300)
    keap.sandbox.stats.reset()

    run = keap.read(keap.config(), keap.catalog("updated_at"))

    assert len(run.ids("invoices")) == len(keap.orders())
    by_id, listed = _contact_calls(keap)
    assert listed <= 3 + 1
    assert by_id <= listed
    phones = {
        c["id"]: {p["field"]: p["number"] for p in c["phone_numbers"]}.get("PHONE1")
        for c in keap.sandbox.dump("keap")["contacts"]
    }
    assert any(phones.values())
    for invoice in run.records("invoices"):
        assert invoice["contact"]["phone"] == phones[invoice["contact"]["source_id"]]


def test_a_sync_of_a_page_looks_its_contacts_up_by_id_only(keap):
    keap.seed(orders=200, contacts=100)
    config, catalog = keap.config(), keap.catalog("updated_at")
    first = keap.read(config, catalog)
    keap.new_order()
    keap.sandbox.stats.reset()

    keap.read(config, catalog, keap.last_states(first))

    assert _contact_calls(keap) == (1, 0)
