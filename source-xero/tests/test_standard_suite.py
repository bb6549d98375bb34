"""Airbyte's standard source tests (`SourceTestSuiteBase`), in-process, against the Xero sandbox.

The scenarios come from `acceptance-test-config.yml`. Its `secrets/*.json` configs are where a
run against Xero puts real credentials; here they stand for configs of this session's sandbox,
whose URL is known only at run time: each test writes them to a folder of its own process (never
into the repository) just before running, with a seeded organisation behind them.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from airbyte_cdk.test.models import ConnectorTestScenario
from airbyte_cdk.test.standard_tests import SourceTestSuiteBase

from invoice_model.connector.standard_suite import secrets_written, with_secrets_in
from source_xero import SourceXero

if TYPE_CHECKING:
    from conftest import XeroSandbox

SANDBOX_CONFIGS = Path(tempfile.gettempdir()) / f"source-xero-{os.getpid()}"


class TestSourceXero(SourceTestSuiteBase):
    connector = SourceXero

    @classmethod
    def get_scenarios(cls) -> list[ConnectorTestScenario]:
        return with_secrets_in(SANDBOX_CONFIGS, super().get_scenarios())

    @pytest.fixture(autouse=True)
    def sandbox_configs(self, xero: XeroSandbox) -> Iterator[None]:
        """A seeded organisation, `config.json` for it (the OAuth2 app) and
        `invalid_config.json` with a refresh token Xero no longer accepts."""
        xero.user.seed(contacts=5, invoices=20, payments=5, statuses={"AUTHORISED": 3, "PAID": 2})
        invalid = xero.config(auth="oauth")
        invalid["credentials"]["refresh_token"] = "revoked"
        configs = {"config.json": xero.config(auth="oauth"), "invalid_config.json": invalid}
        with secrets_written(SANDBOX_CONFIGS, configs):
            yield
