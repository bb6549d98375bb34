"""Airbyte's standard destination tests (`DestinationTestSuiteBase`), against the Keap sandbox.

The scenarios come from `acceptance-test-config.yml`. Its `secrets/config.json` is where a run
against Keap puts real credentials; here it stands for a config of this session's sandbox,
whose URL is known only at run time, so each test writes it to a file of its own process (never
into the repository, where another test session could read it) just before running.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from airbyte_cdk.test.models import ConnectorTestScenario
from airbyte_cdk.test.standard_tests import DestinationTestSuiteBase

from destination_keap import DestinationKeap

SECRETS_CONFIG = Path("secrets/config.json")
SANDBOX_CONFIG = Path(tempfile.gettempdir()) / f"destination-keap-{os.getpid()}" / "config.json"


class TestDestinationKeap(DestinationTestSuiteBase):
    connector = DestinationKeap

    @classmethod
    def get_scenarios(cls) -> list[ConnectorTestScenario]:
        return [
            scenario.model_copy(update={"config_path": SANDBOX_CONFIG})
            if scenario.config_path == SECRETS_CONFIG
            else scenario
            for scenario in super().get_scenarios()
        ]

    @pytest.fixture(autouse=True)
    def sandbox_config_file(self, keap) -> Iterator[None]:
        SANDBOX_CONFIG.parent.mkdir(exist_ok=True)
        SANDBOX_CONFIG.write_text(json.dumps(keap.config("oauth2.0")))
        yield
        SANDBOX_CONFIG.unlink(missing_ok=True)
        SANDBOX_CONFIG.parent.rmdir()
