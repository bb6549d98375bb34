"""Airbyte's standard destination tests (`DestinationTestSuiteBase`), against the Xero sandbox;
`secrets/config.json` of `acceptance-test-config.yml` stands for a config of it (see
`keap_xero_sandbox.standard_suite`)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest
from airbyte_cdk.test.models import ConnectorTestScenario
from airbyte_cdk.test.standard_tests import DestinationTestSuiteBase

from destination_xero import DestinationXero
from keap_xero_sandbox.standard_suite import sandbox_configs, sandbox_folder, sandbox_scenarios

if TYPE_CHECKING:
    from conftest import MakeConfig

CONFIGS = sandbox_folder("destination-xero")


class TestDestinationXero(DestinationTestSuiteBase):
    connector = DestinationXero

    @classmethod
    def get_scenarios(cls) -> list[ConnectorTestScenario]:
        return sandbox_scenarios(super().get_scenarios(), CONFIGS)

    @pytest.fixture(autouse=True)
    def sandbox_config_file(self, sandbox_config: MakeConfig) -> Iterator[None]:
        with sandbox_configs(CONFIGS, {"config.json": sandbox_config(oauth=True)}):
            yield
