"""Airbyte's standard source tests (`SourceTestSuiteBase`), in-process, against the Keap sandbox;
the `secrets/*.json` configs of `acceptance-test-config.yml` stand for configs of it (see
`keap_xero_sandbox.standard_suite`), with a seeded account behind them."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from airbyte_cdk.test.models import ConnectorTestScenario
from airbyte_cdk.test.standard_tests import SourceTestSuiteBase

from keap_xero_sandbox.standard_suite import sandbox_configs, sandbox_folder, sandbox_scenarios
from source_keap import SourceKeap

CONFIGS = sandbox_folder("source-keap")


class TestSourceKeap(SourceTestSuiteBase):
    connector = SourceKeap

    @classmethod
    def get_scenarios(cls) -> list[ConnectorTestScenario]:
        return sandbox_scenarios(super().get_scenarios(), CONFIGS)

    @pytest.fixture(autouse=True)
    def sandbox_config_files(self, keap) -> Iterator[None]:
        """A seeded account, `config.json` for it and `invalid_config.json` with a refused key."""
        keap.seed(orders=30, contacts=10)
        invalid = keap.config()
        invalid["credentials"]["api_key"] = "KeapAK-revoked"
        with sandbox_configs(
            CONFIGS, {"config.json": keap.config(), "invalid_config.json": invalid}
        ):
            yield
