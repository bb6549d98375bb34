"""Requests that break the spec get Xero's answers: a body it cannot read is a 400
PostDataInvalidException that writes nothing, a query parameter it cannot read a 400
QueryParseException, a missing tenant a 403.
"""

from __future__ import annotations

import pytest


@pytest.mark.parametrize(
    "element",
    [
        {"Quantity": "three"},
        {"UnitAmount": {"amount": 1}},
        {"Description": ["a"]},
    ],
)
def test_a_line_of_the_wrong_type_fails_the_whole_request(xero, element):
    contact = xero.new_contact()["ContactID"]
    bodies = [
        xero.invoice_body(contact),
        xero.invoice_body(contact, LineItems=[xero.line(**element)]),
    ]
    answer = xero.put("/Invoices?summarizeErrors=false", {"Invoices": bodies})
    assert answer.status_code == 400
    assert answer.json()["ErrorNumber"] == 14
    assert answer.json()["Type"] == "PostDataInvalidException"
    assert xero.get("/Invoices").json()["Invoices"] == []


@pytest.mark.parametrize(
    "body",
    [None, [], {"Invoices": {"Type": "ACCREC"}}, {"Invoices": ["ACCREC"]}, {}],
)
def test_bodies_that_are_not_invoices_are_post_data_invalid(xero, body):
    answer = xero.put("/Invoices", body)
    assert answer.status_code == 400
    assert answer.json()["Type"] == "PostDataInvalidException"


def test_unknown_enumerations_in_a_body_are_post_data_invalid(xero):
    contact = xero.new_contact()["ContactID"]
    body = xero.invoice_body(contact, LineAmountTypes="Gross")
    assert xero.put("/Invoices", {"Invoices": [body]}).status_code == 400
    phones = {"Contacts": [{"Name": "X", "Phones": [{"PhoneType": "PAGER"}]}]}
    assert xero.put("/Contacts", phones).status_code == 400


@pytest.mark.parametrize("change", [{"Type": "QUOTE"}, {"Status": "SENT"}])
def test_an_invoice_type_or_status_outside_the_spec_is_post_data_invalid(xero, change):
    contact = xero.new_contact()["ContactID"]
    bodies = [xero.invoice_body(contact), xero.invoice_body(contact, **change)]
    answer = xero.put("/Invoices?summarizeErrors=false", {"Invoices": bodies})
    assert answer.status_code == 400
    assert answer.json()["Type"] == "PostDataInvalidException"


def test_invoice_types_the_sandbox_does_not_keep_are_refused_per_element(xero):
    contact = xero.new_contact()["ContactID"]
    body = xero.invoice_body(contact, Type="ACCRECCREDIT")
    answer = xero.put("/Invoices?summarizeErrors=false", {"Invoices": [body]})
    refused = answer.json()["Invoices"][0]
    assert refused["HasErrors"] is True
    assert refused["Type"] == "ACCRECCREDIT"


@pytest.mark.parametrize(
    "params",
    [{"page": "first"}, {"page": 1, "pageSize": "many"}, {"summaryOnly": "maybe"}],
)
def test_query_parameters_of_the_wrong_type_are_query_parse_exceptions(xero, params):
    answer = xero.get("/Invoices", params=params)
    assert answer.status_code == 400
    assert answer.json()["Type"] == "QueryParseException"


def test_a_bad_if_modified_since_is_a_400(xero):
    answer = xero.get("/Invoices", headers={"If-Modified-Since": "last tuesday"})
    assert answer.status_code == 400


def test_summarize_errors_must_be_true_or_false(xero):
    answer = xero.put("/Contacts?summarizeErrors=perhaps", {"Contacts": [{"Name": "A"}]})
    assert answer.status_code == 400
    assert xero.get("/Contacts").json()["Contacts"] == []
