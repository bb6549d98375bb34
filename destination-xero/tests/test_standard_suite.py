"""Airbyte's standard destination tests (`DestinationTestSuiteBase`), against the Xero sandbox.

The scenarios come from `acceptance-test-config.yml`. Its `secrets/config.json` is where a run
against Xero puts real credentials; here it stands for a config of this session's sandbox,
whose URL is known only at run time, so each test writes it to a file of its own process (never
into the repository, where another test session could read it) just before running.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from airbyte_cdk.test.models import ConnectorTestScenario
from airbyte_cdk.test.standard_tests import DestinationTestSuiteBase

from destination_xero import DestinationXero
from invoice_model.connector.standard_suite import secrets_written, with_secrets_in

if TYPE_CHECKING:
    from conftest import MakeConfig

    from keap_xero_sandbox.sandbox import Sandbox

SANDBOX_CONFIGS = Path(tempfile.gettempdir()) / f"destination-xero-{os.getpid()}"


class TestDestinationXero(DestinationTestSuiteBase):
    connector = DestinationXero

    @classmethod
    def get_scenarios(cls) -> list[ConnectorTestScenario]:
        return with_secrets_in(SANDBOX_CONFIGS, super().get_scenarios())

    @pytest.fixture(autouse=True)
    def sandbox_config_file(self, sandbox: Sandbox, sandbox_config: MakeConfig) -> Iterator[None]:
        with secrets_written(SANDBOX_CONFIGS, {"config.json": sandbox_config(oauth=True)}):
            yield
