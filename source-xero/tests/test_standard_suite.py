"""Airbyte's standard source tests (`SourceTestSuiteBase`), in-process, against the Xero sandbox;
the `secrets/*.json` configs of `acceptance-test-config.yml` stand for configs of it (see
`keap_xero_sandbox.standard_suite`), with a seeded organisation behind them."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest
from airbyte_cdk.test.models import ConnectorTestScenario
from airbyte_cdk.test.standard_tests import SourceTestSuiteBase

from keap_xero_sandbox.standard_suite import sandbox_configs, sandbox_folder, sandbox_scenarios
from source_xero import SourceXero

if TYPE_CHECKING:
    from conftest import XeroSandbox

CONFIGS = sandbox_folder("source-xero")


class TestSourceXero(SourceTestSuiteBase):
    connector = SourceXero

    @classmethod
    def get_scenarios(cls) -> list[ConnectorTestScenario]:
        return sandbox_scenarios(super().get_scenarios(), CONFIGS)

    @pytest.fixture(autouse=True)
    def sandbox_config_files(self, xero: XeroSandbox) -> Iterator[None]:
        """A seeded organisation, `config.json` for it (the OAuth2 app) and
        `invalid_config.json` with a refresh token Xero no longer accepts."""
        xero.user.seed(contacts=5, invoices=20, payments=5, statuses={"AUTHORISED": 3, "PAID": 2})
        invalid = xero.config(auth="oauth")
        invalid["credentials"]["refresh_token"] = "revoked"
        configs = {"config.json": xero.config(auth="oauth"), "invalid_config.json": invalid}
        with sandbox_configs(CONFIGS, configs):
            yield
