"""The JSON Schemas: valid draft-07, describing every field, and accepting the examples."""

import copy

import pytest
from jsonschema import Draft7Validator

from invoice_model import INVOICES, PAYMENTS, STREAMS, examples, problems, stream


@pytest.mark.parametrize("contract", [INVOICES, PAYMENTS], ids=lambda c: c.name)
def test_schema_is_valid_draft_07(contract):
    Draft7Validator.check_schema(contract.json_schema)
    assert contract.json_schema["$schema"] == "http://json-schema.org/draft-07/schema#"


def _properties(schema, definitions, path=""):
    for name, declared in schema.get("properties", {}).items():
        prop = definitions[declared["$ref"].rsplit("/", 1)[-1]] if "$ref" in declared else declared
        yield f"{path}{name}", prop
        yield from _properties(prop, definitions, f"{path}{name}.")
        if "items" in prop:
            items = prop["items"]
            if "$ref" in items:
                items = definitions[items["$ref"].rsplit("/", 1)[-1]]
            yield from _properties(items, definitions, f"{path}{name}[].")


@pytest.mark.parametrize("contract", [INVOICES, PAYMENTS], ids=lambda c: c.name)
def test_every_field_is_typed_and_every_top_level_field_described(contract):
    schema = contract.json_schema
    for path, prop in _properties(schema, schema.get("definitions", {})):
        assert "type" in prop, f"{path} has no type"
    for name, prop in schema["properties"].items():
        target = schema["definitions"][prop["$ref"].rsplit("/", 1)[-1]] if "$ref" in prop else prop
        assert target.get("description"), f"{name} has no description"


@pytest.mark.parametrize("contract", [INVOICES, PAYMENTS], ids=lambda c: c.name)
def test_keys_and_cursors_are_required_properties(contract):
    schema = contract.json_schema
    for field in (*contract.primary_key, *contract.cursor_fields):
        assert field in schema["required"]
        assert field in schema["properties"]
    assert contract.default_cursor == "updated_at"


def test_invoice_cursor_candidates_are_documented():
    assert INVOICES.cursor_fields == ("updated_at", "created_at", "paid_at")
    assert PAYMENTS.cursor_fields == ("updated_at",)
    assert "Cursor candidate" in INVOICES.json_schema["properties"]["paid_at"]["description"]


def test_examples_are_valid():
    assert problems("invoices", examples.invoice()) == []
    assert problems("payments", examples.payment()) == []


def test_nullable_fields_accept_null():
    record = examples.invoice(
        number=None, due_date=None, paid_at=None, status="open", amount_paid=0, amount_due=99.13
    )
    record["contact"].update(email=None, company=None, phone=None, billing_address=None)
    record["line_items"][0]["sku"] = None
    assert problems("invoices", record) == []
    assert problems("payments", examples.payment(method=None, reference=None)) == []


@pytest.mark.parametrize("contract", [INVOICES, PAYMENTS], ids=lambda c: c.name)
def test_a_record_off_the_wire_gets_its_null_fields_back(contract):
    record = (
        examples.invoice(number=None) if contract is INVOICES else examples.payment(method=None)
    )
    wire = {key: value for key, value in record.items() if value is not None}

    assert contract.with_nulls(wire) == record
    assert problems(contract.name, contract.with_nulls(wire)) == []
    assert contract.with_nulls(record) is not record


def test_only_nullable_fields_are_put_back():
    wire = examples.payment()
    del wire["amount"], wire["reference"]

    restored = PAYMENTS.with_nulls(wire)

    assert "amount" not in restored
    assert restored["reference"] is None
    assert [p.path for p in problems("payments", restored)] == ["amount"]


def test_json_schema_is_a_copy():
    schema = INVOICES.json_schema
    schema["properties"].clear()
    assert INVOICES.json_schema["properties"]


def test_unknown_stream_names_the_known_ones():
    with pytest.raises(KeyError, match=r"\['invoices', 'payments'\]"):
        stream("orders")
    assert set(STREAMS) == {"invoices", "payments"}


def test_example_builders_return_fresh_records():
    first = examples.invoice()
    copy.deepcopy(first)["contact"]["name"] = "changed"
    first["line_items"].clear()
    assert examples.invoice()["line_items"]
