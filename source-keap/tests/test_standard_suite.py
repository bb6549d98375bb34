"""Airbyte's standard source tests (`SourceTestSuiteBase`), in-process, against the Keap sandbox.

The scenarios come from `acceptance-test-config.yml`. Its `secrets/*.json` configs are where a
run against Keap puts real credentials; here they stand for configs of this session's sandbox,
whose URL is known only at run time, so each test writes them to files of its own process
(never into the repository) just before running, with a seeded account behind them.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from airbyte_cdk.test.models import ConnectorTestScenario
from airbyte_cdk.test.standard_tests import SourceTestSuiteBase

from invoice_model.connector.standard_suite import secrets_written, with_secrets_in
from source_keap import SourceKeap

SANDBOX_CONFIGS = Path(tempfile.gettempdir()) / f"source-keap-{os.getpid()}"


class TestSourceKeap(SourceTestSuiteBase):
    connector = SourceKeap

    @classmethod
    def get_scenarios(cls) -> list[ConnectorTestScenario]:
        return with_secrets_in(SANDBOX_CONFIGS, super().get_scenarios())

    @pytest.fixture(autouse=True)
    def sandbox_configs(self, keap) -> Iterator[None]:
        """A seeded account, `config.json` for it and `invalid_config.json` with a refused key."""
        keap.seed(orders=30, contacts=10)
        invalid = keap.config()
        invalid["credentials"]["api_key"] = "KeapAK-revoked"
        configs = {"config.json": keap.config(), "invalid_config.json": invalid}
        with secrets_written(SANDBOX_CONFIGS, configs):
            yield
