"""The organisation's settings as the destination reads them before writing: organisation,
chart of accounts, tax rates, items and currencies.
"""

from __future__ import annotations

import requests


def test_organisation_is_a_us_demo_company_with_its_envelope(xero):
    answer = xero.get("/Organisation")
    assert answer.status_code == 200
    body = answer.json()
    assert list(body)[:4] == ["Id", "Status", "ProviderName", "DateTimeUTC"]
    assert body["Status"] == "OK"
    assert body["DateTimeUTC"].startswith("/Date(")
    assert "+" not in body["DateTimeUTC"]
    organisation = body["Organisations"][0]
    assert organisation["BaseCurrency"] == "USD"
    assert organisation["CountryCode"] == "US"
    assert "PeriodLockDate" not in organisation


def test_lock_dates_set_through_the_control_surface_show_on_the_organisation(xero, sandbox):
    answer = requests.post(
        f"{sandbox.url}/_sandbox/xero/tenants/{xero.demo}/lock-dates",
        json={"period_lock_date": "2024-03-31", "end_of_year_lock_date": "2023-12-31"},
        timeout=30,
    )
    assert answer.status_code == 200
    organisation = xero.get("/Organisation").json()["Organisations"][0]
    assert organisation["PeriodLockDate"] == "/Date(1711843200000+0000)/"
    assert organisation["EndOfYearLockDate"] == "/Date(1703980800000+0000)/"


def test_chart_of_accounts_has_what_a_sales_integration_needs(xero):
    accounts = {a["Code"]: a for a in xero.get("/Accounts").json()["Accounts"]}
    assert accounts["090"]["Type"] == "BANK"
    assert accounts["200"]["Type"] == "REVENUE"
    assert accounts["200"]["TaxType"] == "TAX001"
    assert accounts["860"]["SystemAccount"] == "ROUNDING"
    paying = [a for a in accounts.values() if a["EnablePaymentsToAccount"] and a["Type"] != "BANK"]
    assert paying, "an account that takes payments without being a bank account"
    assert any(a["Status"] == "ARCHIVED" for a in accounts.values())
    assert list(accounts) == sorted(accounts), "ordered by code"


def test_accounts_filter_with_where_and_order(xero):
    banks = xero.get("/Accounts", params={"where": 'Type=="BANK"', "order": "Code DESC"})
    assert [a["Code"] for a in banks.json()["Accounts"]] == ["091", "090"]
    payable = xero.get("/Accounts", params={"where": "EnablePaymentsToAccount==true"})
    assert [a["Code"] for a in payable.json()["Accounts"]] == ["130"]


def test_one_account_by_id_and_an_unknown_one(xero):
    first = xero.get("/Accounts").json()["Accounts"][0]
    again = xero.only(xero.get(f"/Accounts/{first['AccountID']}"), "Accounts")
    assert again == first
    missing = xero.get("/Accounts/00000000-0000-4000-8000-000000000000")
    assert missing.status_code == 404


def test_tax_rates_carry_effective_rates_from_their_components(xero):
    rates = {r["TaxType"]: r for r in xero.get("/TaxRates").json()["TaxRates"]}
    assert rates["NONE"]["EffectiveRate"] == 0
    nyc = rates["TAX001"]
    assert [c["Rate"] for c in nyc["TaxComponents"]] == [4.0, 4.875]
    assert nyc["EffectiveRate"] == 8.875
    assert nyc["CanApplyToRevenue"] is True
    assert rates["INPUT"]["CanApplyToRevenue"] is False
    assert rates["TAX003"]["Status"] == "ARCHIVED"
    one = xero.get("/TaxRates", params={"where": 'TaxType=="TAX002"'}).json()["TaxRates"]
    assert [r["EffectiveRate"] for r in one] == [7.25]


def test_items_carry_codes_and_sales_details(xero):
    items = {i["Code"]: i for i in xero.get("/Items").json()["Items"]}
    widget = items["WIDGET-S"]
    assert widget["SalesDetails"] == {"UnitPrice": 25.0, "AccountCode": "200", "TaxType": "TAX001"}
    assert items["GIFT-CARD"]["IsSold"] is False
    by_code = xero.only(xero.get("/Items/WIDGET-L"), "Items")
    assert by_code["Name"] == "Large Widget"


def test_currencies_are_the_organisations(xero):
    codes = [c["Code"] for c in xero.get("/Currencies").json()["Currencies"]]
    assert {"USD", "EUR", "GBP", "JPY"} <= set(codes)
    euro = xero.get("/Currencies", params={"where": 'Code=="EUR"'}).json()["Currencies"]
    assert euro == [{"Code": "EUR", "Description": "Euro"}]


def test_an_unparseable_where_is_xeros_query_parse_exception(xero):
    answer = xero.get("/Accounts", params={"where": 'Type=="BANK" AND'})
    assert answer.status_code == 400
    assert answer.json()["Type"] == "QueryParseException"
    unknown = xero.get("/Accounts", params={"where": 'Colour=="red"'})
    assert unknown.status_code == 400
    assert "Colour" in unknown.json()["Message"]


def test_unknown_endpoints_answer_404_after_authentication(xero, sandbox):
    assert xero.get("/NoSuchThing").status_code == 404
    assert requests.get(f"{sandbox.url}/api.xro/2.0/NoSuchThing", timeout=30).status_code == 401


def test_one_tax_rate_by_tax_type(xero):
    rate = xero.only(xero.get("/TaxRates/TAX002"), "TaxRates")
    assert rate["Name"] == "Sales Tax (California)"
    assert xero.get("/TaxRates/NOPE").status_code == 404
