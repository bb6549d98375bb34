"""Config → settings: defaults, and every mistake reported as a config error naming its field."""

from __future__ import annotations

import json
import logging
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from airbyte_cdk.models import DestinationSyncMode, FailureType
from airbyte_cdk.test.standard_tests._spec_lint import assert_spec_is_valid
from airbyte_cdk.utils.traced_exception import AirbyteTracedException
from hypothesis import HealthCheck, example, given, settings

from destination_xero import DestinationXero
from destination_xero.config import SourceTaxLines, XeroCalculatedTax, read_settings
from invoice_model.connector.destination import RecordError
from invoice_model.connector.spec import check_config
from invoice_model.connector.xero.access import CUSTOM_CONNECTION
from keap_xero_sandbox.config_fuzz import (
    JSONSCHEMA_WORDS,
    assert_told_by_field,
    changed,
    changes,
)

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


@pytest.mark.parametrize(
    ("template", "reason"),
    [
        ("KEAP", "would give every invoice the same number: include one of {number}, "
         "{source_id}, {source_invoice_id}"),
        ("{source}-INV", "would give every invoice the same number"),
        ("KEAP,{source_invoice_id}", "has a comma, which Xero's look-up by invoice numbers "
         "splits on"),
        ("Nº {source_invoice_id}", "has characters Xero does not take in an invoice number"),
        ("K\t{source_id}", "has characters Xero does not take in an invoice number"),
    ],
)  # fmt: skip
def test_an_invoice_number_template_that_cannot_identify_an_invoice_is_refused(
    template: str, reason: str, config: MakeConfig
) -> None:
    message = field_error(config(**{"invoices.invoice_number_template": template}))
    assert message.startswith("Config field 'invoices.invoice_number_template': ")
    assert reason in message


def test_a_reference_template_may_be_plain_text(config: MakeConfig) -> None:
    template = read_settings(config(**{"invoices.reference_template": "Keap, an order"}))
    assert template.invoices.reference_template.render({}, required=False) == "Keap, an order"


@pytest.mark.parametrize(
    "url",
    [
        "https://169.254.169.254",
        "http://[::ffff:169.254.169.254]",
        "https://metadata.google.internal",
    ],
)
def test_base_urls_of_metadata_services_are_refused(url: str, config: MakeConfig) -> None:
    for field in ("advanced.api_base_url", "advanced.identity_base_url"):
        message = field_error(config(**{field: url}))
        assert message.startswith(f"Config field '{field}': '{url}' names ")
        assert "which a connector never calls" in message


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"credentials.tenant_id": ""},
         "Config field 'credentials.tenant_id': '' is not in the form"),
        ({"credentials": {"auth_type": "oauth2_app"}},
         "Config field 'credentials.client_id': is missing"),
        ({"credentials.auth_type": "oauth2"},
         "Config field 'credentials.auth_type': 'oauth2' is not one of 'oauth2_app' (Xero OAuth2 "
         "app), 'custom_connection' (Custom Connection)"),
        ({"invoices.due_days": "30"},
         "Config field 'invoices.due_days': must be a whole number, not a string"),
        ({"invoices.tax": {"mode": "xero_calculated"}},
         "Config field 'invoices.tax.rounding_account_code': is missing"),
    ],
)  # fmt: skip
def test_spec_violations_name_the_field_through_check_and_write(
    change: dict[str, Any], expected: str, config: MakeConfig, tmp_path: Path
) -> None:
    destination = DestinationXero()
    path = tmp_path / "config.json"
    path.write_text(json.dumps(config(**change)))
    [status] = destination.run_cmd(destination.parse_args(["check", "--config", str(path)]))
    message = status.connectionStatus.message
    assert message.startswith(expected)
    assert not any(raw in message for raw in JSONSCHEMA_WORDS)
    catalog = tmp_path / "catalog.json"
    catalog.write_text(json.dumps({"streams": []}))
    with pytest.raises(AirbyteTracedException) as caught:
        list(
            destination.run_cmd(
                destination.parse_args(["write", "--config", str(path), "--catalog", str(catalog)])
            )
        )
    assert caught.value.message.startswith(expected)
    assert caught.value.failure_type == FailureType.config_error


SPEC = DestinationXero().spec(logging.getLogger("airbyte")).connectionSpecification
PATHS = [*sorted(spec_leaves(SPEC)), "credentials", "invoices", "invoices.tax", "advanced"]
LIKELY = ("", "{source_id}", "KEAP,{source_id}", "https://169.254.169.254", "DRAFT")


# `config` builds a fresh config on every call, so sharing it between examples is safe.
@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(config_changes=changes(PATHS, *LIKELY))
@example(config_changes=[("invoices.invoice_number_template", 5)])
@example(config_changes=[("invoices.reference_template", ["x"])])
@example(config_changes=[("invoices.tax", "source_tax_lines")])
@example(config_changes=[("advanced.api_base_url", "https://169.254.169.254")])
def test_any_config_is_read_or_refused_by_field_never_crashes(
    config_changes, config: MakeConfig
) -> None:
    """The spec check first, as `check` and `write` do, then the connector's own reading."""
    cfg = changed(config(), config_changes)
    try:
        check_config(cfg, SPEC)
        read_settings(cfg)
    except AirbyteTracedException as error:
        assert_told_by_field(error, secrets=["app-secret", "refresh-1"])
