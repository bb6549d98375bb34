"""The discovered schemas: the contract's, in the form Airbyte catalogs carry."""

import jsonschema
import pytest

from invoice_model import INVOICES, PAYMENTS, examples
from invoice_model.connector.catalog import airbyte_schema


@pytest.mark.parametrize("contract", [INVOICES, PAYMENTS], ids=lambda c: c.name)
def test_references_are_inlined_and_objects_open(contract):
    schema = airbyte_schema(contract.json_schema)
    text = str(schema)
    assert "$ref" not in text
    assert "'additionalProperties': False" not in text
    assert set(schema["properties"]) == set(contract.json_schema["properties"])
    jsonschema.Draft7Validator.check_schema(schema)


def test_top_level_fields_that_may_be_null_may_be_absent_and_the_others_not():
    schema = airbyte_schema(INVOICES.json_schema)
    assert "source_id" in schema["required"]
    assert "paid_at" not in schema["required"]
    record = examples.invoice(paid_at=None, status="open", amount_paid=0, amount_due=99.13)
    del record["paid_at"], record["number"]
    jsonschema.validate(record, schema)
    del record["source_id"]
    with pytest.raises(jsonschema.ValidationError, match="source_id"):
        jsonschema.validate(record, schema)


def test_nested_objects_keep_their_rules():
    schema = airbyte_schema(INVOICES.json_schema)
    line = schema["properties"]["line_items"]["items"]
    assert "kind" in line["required"]
    assert (
        line["properties"]["kind"]["enum"]
        == INVOICES.json_schema["definitions"]["line_item"]["properties"]["kind"]["enum"]
    )
