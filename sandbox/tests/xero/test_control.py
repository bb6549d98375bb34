"""The Xero control surface: credentials, deterministic seeding, the state dump, organisations,
apps, tokens and reset.
"""

from __future__ import annotations

import pytest
import requests


def control(sandbox, method: str, path: str, **kwargs) -> requests.Response:
    return requests.request(method, f"{sandbox.url}/_sandbox{path}", timeout=60, **kwargs)


def test_credentials_are_fixed_fake_and_served_over_http(sandbox):
    answer = control(sandbox, "GET", "/xero/credentials")
    assert answer.status_code == 200
    assert answer.json() == sandbox.xero.credentials()
    custom = answer.json()["custom_connection"]
    assert "not-real" in custom["client_secret"]
    sandbox.reset()
    assert sandbox.xero.credentials() == answer.json()


def test_seeding_is_deterministic_and_follows_xeros_rules(sandbox):
    options = {"contacts": 8, "invoices": 40, "payments": 5, "seed": 11}
    first = control(sandbox, "POST", "/seed", json={"xero": options}).json()["xero"]
    state = sandbox.dump("xero")["tenants"]
    demo = next(iter(first["tenants"]))
    summary = first["tenants"][demo]
    assert summary["contacts"] == 8
    assert sum(summary["invoices"].values()) == 40
    invoices = state[demo]["invoices"]
    assert len(invoices) == 40
    for invoice in invoices:
        paid = sum(p["Amount"] for p in invoice["Payments"])
        assert round(invoice["AmountPaid"], 2) == round(paid, 2)
        assert round(invoice["AmountDue"], 2) == round(invoice["Total"] - paid, 2)
        assert (invoice["Status"] == "PAID") == (invoice["AmountDue"] == 0 and paid > 0)
    sandbox.reset()
    control(sandbox, "POST", "/seed", json={"xero": options})
    again = sandbox.dump("xero")["tenants"][demo]
    assert [i["InvoiceID"] for i in again["invoices"]] == [i["InvoiceID"] for i in invoices]
    assert [i["Total"] for i in again["invoices"]] == [i["Total"] for i in invoices]
    sandbox.reset()
    control(sandbox, "POST", "/seed", json={"xero": {**options, "seed": 12}})
    other = sandbox.dump("xero")["tenants"][demo]
    assert [i["Total"] for i in other["invoices"]] != [i["Total"] for i in invoices]


def test_seeded_status_and_currency_mixes_and_tenants(sandbox, xero):
    sandbox.seed(
        xero={
            "invoices": 30,
            "statuses": {"VOIDED": 1, "DELETED": 1},
            "currencies": {"EUR": 1},
            "tenants": [xero.second],
        }
    )
    assert sandbox.xero.ledgers[xero.demo].counts()["invoices"] == 0
    seeded = xero.for_tenant(xero.second).get("/Invoices").json()["Invoices"]
    assert len(seeded) == 30
    assert {i["Status"] for i in seeded} == {"VOIDED", "DELETED"}
    assert {i["CurrencyCode"] for i in seeded} == {"EUR"}


@pytest.mark.parametrize(
    "bad",
    [
        {"colour": 1},
        {"statuses": {"PAID": -1}},
        {"statuses": {"LOST": 1}},
        {"currencies": {"CHF": 1}},
    ],
)
def test_bad_seed_options_are_refused(sandbox, bad):
    with pytest.raises(ValueError, match=r"\S"):
        sandbox.seed(xero=bad)


def test_seeded_data_is_readable_through_the_api(sandbox, xero):
    sandbox.seed(xero={"contacts": 3, "invoices": 12, "seed": 5})
    page = xero.get("/Invoices", params={"page": 1, "pageSize": 1000}).json()
    assert page["pagination"]["itemCount"] == 12
    contacts = xero.get("/Contacts").json()["Contacts"]
    assert [c["ContactNumber"] for c in contacts] == ["SEED-0001", "SEED-0002", "SEED-0003"]


def test_the_dump_reflects_writes_for_reconciliation(sandbox, xero):
    invoice = xero.new_invoice(InvoiceNumber="K-1")
    xero.pay(invoice["InvoiceID"], 25)
    state = control(sandbox, "GET", "/state", params={"api": "xero"}).json()
    demo = state["tenants"][xero.demo]
    assert demo["counts"] == {"contacts": 1, "invoices": 1, "payments": 1}
    assert demo["invoices"][0]["AmountPaid"] == 25
    assert demo["payments"][0]["Invoice"]["InvoiceNumber"] == "K-1"
    assert state["tenants"][xero.second]["counts"]["invoices"] == 0


def test_organisations_can_be_added_and_listed(sandbox):
    added = control(sandbox, "POST", "/xero/tenants", json={"name": "Branch"})
    assert added.status_code == 201
    tenants = control(sandbox, "GET", "/xero/tenants").json()
    assert [t["name"] for t in tenants] == [
        "Demo Company (US)",
        "Sandbox Trading Co (US)",
        "Branch",
    ]
    assert control(sandbox, "POST", "/xero/tenants", json={}).status_code == 400
    duplicate = control(
        sandbox, "POST", "/xero/tenants", json={"name": "X", "tenant_id": tenants[0]["tenant_id"]}
    )
    assert duplicate.status_code == 400


def test_lock_dates_can_be_cleared(sandbox, xero):
    path = f"/xero/tenants/{xero.demo}/lock-dates"
    control(sandbox, "POST", path, json={"period_lock_date": "2024-01-31"})
    cleared = control(sandbox, "POST", path, json={"period_lock_date": None}).json()
    assert cleared["period_lock_date"] is None
    assert "PeriodLockDate" not in xero.get("/Organisation").json()["Organisations"][0]
    assert control(sandbox, "POST", path, json={"period_lock_date": "soon"}).status_code == 400
    assert control(sandbox, "POST", "/xero/tenants/nope/lock-dates", json={}).status_code == 404


def test_another_app_has_its_own_app_minute_budget(sandbox, token_request):
    app = {"client_id": "SECOND-APP", "client_secret": "second-secret", "kind": "custom"}
    refused = control(sandbox, "POST", "/xero/apps", json=app)
    assert refused.status_code == 400, "a custom connection needs its organisation"
    tenant = sandbox.xero.credentials()["custom_connection"]["tenant_id"]
    assert (
        control(sandbox, "POST", "/xero/apps", json={**app, "tenant_id": tenant}).status_code == 201
    )
    token = token_request(
        {"grant_type": "client_credentials"}, auth=("SECOND-APP", "second-secret")
    )
    access = token.json()["access_token"]
    answer = requests.get(
        f"{sandbox.url}/api.xro/2.0/Organisation",
        headers={"Authorization": f"Bearer {access}"},
        timeout=30,
    )
    assert answer.status_code == 200
    assert answer.json()["ProviderName"] == "SECOND-APP"
    assert answer.headers["X-AppMinLimit-Remaining"] == "9999"


def test_expiring_tokens_through_the_control_surface(sandbox, xero):
    assert control(sandbox, "POST", "/xero/tokens/expire").status_code == 200
    assert xero.get("/Organisation").status_code == 401


def test_reset_forgets_everything_written(sandbox, xero):
    xero.new_contact()
    sandbox.reset()
    assert sandbox.xero.ledgers[xero.demo].counts() == {"contacts": 0, "invoices": 0, "payments": 0}
    assert xero.get("/Organisation").status_code == 401, "tokens are gone too"
