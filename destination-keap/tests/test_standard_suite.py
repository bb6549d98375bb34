"""Airbyte's standard destination tests (`DestinationTestSuiteBase`), against the Keap sandbox;
`secrets/config.json` of `acceptance-test-config.yml` stands for a config of it (see
`keap_xero_sandbox.standard_suite`)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from airbyte_cdk.test.models import ConnectorTestScenario
from airbyte_cdk.test.standard_tests import DestinationTestSuiteBase

from destination_keap import DestinationKeap
from keap_xero_sandbox.standard_suite import sandbox_configs, sandbox_folder, sandbox_scenarios

CONFIGS = sandbox_folder("destination-keap")


class TestDestinationKeap(DestinationTestSuiteBase):
    connector = DestinationKeap

    @classmethod
    def get_scenarios(cls) -> list[ConnectorTestScenario]:
        return sandbox_scenarios(super().get_scenarios(), CONFIGS)

    @pytest.fixture(autouse=True)
    def sandbox_config_file(self, keap) -> Iterator[None]:
        with sandbox_configs(CONFIGS, {"config.json": keap.config("oauth2.0")}):
            yield
