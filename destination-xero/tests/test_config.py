"""Config → settings: defaults, and every mistake reported as a config error naming its field."""

from __future__ import annotations

import logging
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from airbyte_cdk.models import DestinationSyncMode, FailureType
from airbyte_cdk.test.standard_tests._spec_lint import assert_spec_is_valid
from airbyte_cdk.utils.traced_exception import AirbyteTracedException

from destination_xero import DestinationXero
from destination_xero.config import SourceTaxLines, XeroCalculatedTax, read_settings
from invoice_model.connector.destination import RecordError
from invoice_model.connector.xero.access import CUSTOM_CONNECTION

if TYPE_CHECKING:
    from conftest import MakeConfig


def field_error(cfg: dict[str, Any]) -> str:
    with pytest.raises(AirbyteTracedException) as caught:
        read_settings(cfg)
    assert caught.value.failure_type == FailureType.config_error
    return caught.value.message or ""


def test_defaults_of_a_minimal_config(config: MakeConfig) -> None:
    settings = read_settings(config())
    invoices = settings.invoices
    assert invoices.status == "AUTHORISED"
    assert invoices.due_days == 30
    assert invoices.number_template.text == "{source_invoice_id}"
    assert invoices.shipping_account_code == invoices.fee_account_code == "200"
    assert invoices.tax == SourceTaxLines("820")
    assert settings.api_url == "https://api.xero.com/api.xro/2.0"
    assert settings.token_url == "https://identity.xero.com/connect/token"
    assert settings.tenant_id == config()["credentials"]["tenant_id"]
    assert settings.contacts.name_conflict == "suffix_source_id"
    assert not settings.fail_on_invalid_record


def test_xero_calculated_tax_reads_its_tolerance_exactly(config: MakeConfig) -> None:
    settings = read_settings(
        config(
            **{
                "invoices.tax": {
                    "mode": "xero_calculated",
                    "tax_type": "TAX001",
                    "rounding_account_code": "860",
                    "rounding_tolerance": 0.1,
                }
            }
        )
    )
    assert settings.invoices.tax == XeroCalculatedTax("TAX001", "NONE", "860", Decimal("0.1"))
    assert settings.tax_type_fields() == {
        "invoices.tax.tax_type": "TAX001",
        "invoices.tax.exempt_tax_type": "NONE",
    }


def test_custom_connection_needs_no_tenant_or_refresh_token(config: MakeConfig) -> None:
    settings = read_settings(
        config(
            credentials={
                "auth_type": CUSTOM_CONNECTION,
                "client_id": "cc-id",
                "client_secret": "cc-secret",
            }
        )
    )
    assert settings.tenant_id is None


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"credentials.tenant_id": None}, "credentials.tenant_id"),
        ({"credentials.refresh_token": ""}, "credentials.refresh_token"),
        ({"credentials.auth_type": "api_key"}, "credentials.auth_type"),
        ({"invoices.sales_account_code": None}, "invoices.sales_account_code"),
        ({"invoices.status": "PAID"}, "invoices.status"),
        ({"invoices.due_days": -1}, "invoices.due_days"),
        ({"invoices.invoice_number_template": "{order_id}"}, "invoices.invoice_number_template"),
        ({"invoices.reference_template": "{source.__class__}"}, "invoices.reference_template"),
        (
            {"invoices.invoice_number_template": "{source_id:>10}"},
            "invoices.invoice_number_template",
        ),
        ({"invoices.tax.tax_account_code": None}, "invoices.tax.tax_account_code"),
        (
            {"invoices.tax": {"mode": "xero_calculated", "rounding_account_code": "860"}},
            "invoices.tax.tax_type",
        ),
        ({"contacts.name_conflict": "merge"}, "contacts.name_conflict"),
        ({"on_invalid_record": "ignore"}, "on_invalid_record"),
        ({"advanced.api_base_url": "http://xero.example.com"}, "advanced.api_base_url"),
        ({"advanced.identity_base_url": "ftp://127.0.0.1"}, "advanced.identity_base_url"),
    ],
)
def test_each_mistake_names_its_field(
    change: dict[str, Any], field: str, config: MakeConfig
) -> None:
    assert f"'{field}'" in field_error(config(**change))


def test_plain_http_is_accepted_for_a_loopback_sandbox(config: MakeConfig) -> None:
    settings = read_settings(config(**{"advanced.api_base_url": "http://127.0.0.1:8765/"}))
    assert settings.api_url == "http://127.0.0.1:8765/api.xro/2.0"
    assert settings.connections_url == "http://127.0.0.1:8765/connections"


def test_templates_render_placeholders_and_refuse_to_lose_an_identifier(
    config: MakeConfig,
) -> None:
    number = read_settings(
        config(**{"invoices.invoice_number_template": "KEAP-{source_invoice_id}"})
    ).invoices.number_template
    assert number.render({"source_invoice_id": "2087"}, required=True) == "KEAP-2087"
    with pytest.raises(RecordError, match="source_invoice_id"):
        number.render({"source_invoice_id": None}, required=True)
    assert number.render({"source_invoice_id": None}, required=False) == "KEAP-"


def spec_leaves(schema: dict[str, Any], prefix: str = "") -> set[str]:
    """Dotted paths of every non-object property of a schema, `oneOf` options included."""
    found = set()
    for name, field in schema.get("properties", {}).items():
        path = f"{prefix}{name}"
        if field.get("type") != "object":
            found.add(path)
        found |= spec_leaves(field, f"{path}.")
        for option in field.get("oneOf", []):
            found |= spec_leaves(option, f"{path}.")
    return found


def test_the_spec_marks_every_secret_as_the_cdk_checks() -> None:
    spec = DestinationXero().spec(logging.getLogger("airbyte"))
    assert_spec_is_valid(spec, connector_name="destination-xero")
    assert spec.supported_destination_sync_modes == [
        DestinationSyncMode.append,
        DestinationSyncMode.append_dedup,
    ]


def test_every_config_field_is_documented_in_the_readme() -> None:
    spec = DestinationXero().spec(logging.getLogger("airbyte")).connectionSpecification
    readme = (Path(__file__).parents[1] / "README.md").read_text()
    documented = readme.split("## Config reference")[1].split("\n## ")[0]
    for path in sorted(spec_leaves(spec)):
        name = path.rsplit(".", 1)[-1]
        assert f"`{path}`" in documented or f"`{name}`" in documented, path
