"""`check` against the Xero sandbox: credentials, tenant, accounts and tax types, each problem
reported as a config error naming its field.
"""

from __future__ import annotations

import json
import logging
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from airbyte_cdk.models import Status

from destination_xero import DestinationXero

if TYPE_CHECKING:
    from conftest import MakeConfig

    from keap_xero_sandbox.sandbox import Sandbox

XERO_TAX = {
    "mode": "xero_calculated",
    "tax_type": "TAX002",
    "rounding_account_code": "860",
}


def check(config: dict[str, Any]) -> tuple[Status, str]:
    status = DestinationXero().check(logging.getLogger("airbyte"), config)
    return status.status, status.message or ""


@pytest.mark.parametrize("oauth", [False, True], ids=["custom connection", "oauth2 app"])
def test_a_good_config_succeeds(sandbox_config: MakeConfig, oauth: bool) -> None:
    assert check(sandbox_config(oauth=oauth, **{"invoices.tax": XERO_TAX})) == (
        Status.SUCCEEDED,
        "",
    )


@pytest.mark.parametrize(
    ("changes", "field", "words"),
    [
        ({"credentials.client_secret": "wrong"}, "credentials.client_secret", "rejected"),
        (
            {"oauth": True, "credentials.refresh_token": "expired"},
            "credentials.refresh_token",
            "authorise the app again",
        ),
        (
            {"oauth": True, "credentials.tenant_id": "33333333-3333-4333-8333-333333333333"},
            "credentials.tenant_id",
            "not connected to organisation 33333333",
        ),
        ({"invoices.sales_account_code": "999"}, "invoices.sales_account_code", "does not exist"),
        ({"invoices.fee_account_code": "270"}, "invoices.fee_account_code", "is archived"),
        ({"payments.account_code": "200"}, "payments.account_code", "cannot take payments"),
        (
            {"invoices.tax": {**XERO_TAX, "tax_type": "TAX003"}},
            "invoices.tax.tax_type",
            "TAX003 is archived",
        ),
        (
            {"invoices.tax": {**XERO_TAX, "exempt_tax_type": "VAT20"}},
            "invoices.tax.exempt_tax_type",
            "VAT20 does not exist",
        ),
    ],
)
def test_each_problem_names_its_field(
    sandbox_config: MakeConfig, changes: dict[str, Any], field: str, words: str
) -> None:
    status, message = check(sandbox_config(**changes))
    assert status == Status.FAILED
    assert f"Config field '{field}'" in message
    assert words in message


def test_every_problem_is_reported_at_once(sandbox_config: MakeConfig) -> None:
    config = sandbox_config(
        **{"invoices.sales_account_code": "999", "payments.account_code": "220"}
    )
    status, message = check(config)
    assert status == Status.FAILED
    assert "'invoices.sales_account_code'" in message
    assert "'payments.account_code'" in message


def test_only_the_account_fields_the_user_set_are_named(sandbox_config: MakeConfig) -> None:
    # Shipping, discount and fee lines go to the sales account unless set: a bad sales account
    # is one problem, under the one field the user set.
    unset = {f"invoices.{kind}_account_code": None for kind in ("shipping", "discount", "fee")}
    status, message = check(sandbox_config(**unset, **{"invoices.sales_account_code": "999"}))
    assert status == Status.FAILED
    assert message.startswith("Config field 'invoices.sales_account_code': account 999 does not")
    assert message.count("Config field") == 1, message
    # A line account the user set is named as well, once.
    changes = {**unset, "invoices.sales_account_code": "999", "invoices.fee_account_code": "999"}
    status, message = check(sandbox_config(**changes))
    assert message.count("Config field") == 2, message
    assert message.count("'invoices.sales_account_code'") == 1
    assert message.count("'invoices.fee_account_code'") == 1


def test_a_custom_connection_is_not_asked_for_a_tenant(
    sandbox: Sandbox, sandbox_config: MakeConfig
) -> None:
    assert check(sandbox_config())[0] == Status.SUCCEEDED
    assert sandbox.stats.count("xero", endpoint="/connections") == 0


def test_the_cli_prints_one_connection_status(sandbox_config: MakeConfig, tmp_path: Path) -> None:
    config_path = tmp_path / "config.json"
    config_path.write_text(json.dumps(sandbox_config(**{"invoices.sales_account_code": "999"})))
    done = subprocess.run(  # noqa: S603 (the connector's own console script)
        [_console_script(), "check", "--config", str(config_path)],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    statuses = [
        json.loads(line)["connectionStatus"]
        for line in done.stdout.splitlines()
        if '"CONNECTION_STATUS"' in line
    ]
    assert [s["status"] for s in statuses] == ["FAILED"]
    assert "'invoices.sales_account_code'" in statuses[0]["message"]
    assert "sandbox-custom-connection-secret" not in done.stdout + done.stderr


def _console_script() -> str:
    return str(Path(sys.executable).with_name("destination-xero"))
