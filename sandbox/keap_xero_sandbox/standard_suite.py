"""Pytest hooks for Airbyte's standard connector test suites, as every connector of the workspace
runs them: in-process, against the sandbox. A connector's `tests/conftest.py` loads them with
`pytest_plugins = ["keap_xero_sandbox.standard_suite"]`.

The scenarios come from `acceptance-test-config.yml`, whose `secrets/*.json` configs are where a
run against the vendor puts real credentials; here they stand for configs of this session's
sandbox, whose URL is known only at run time: `sandbox_scenarios` points them at a folder of the
test process's own (never the repository, where another test session could read them), and
`sandbox_configs` writes them there for the length of a test.

The suite's image tests build the connector image from a template on GitHub and compare its
spec with Airbyte's registry: they need a Docker daemon and the internet, and the tests here
reach nothing beyond loopback, so they are skipped (`airbyte-cdk image test` runs them where
both are).
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from airbyte_cdk.test.models import ConnectorTestScenario

# Parametrizes the suites' tests with the scenarios of `acceptance-test-config.yml`.
pytest_plugins = ["airbyte_cdk.test.standard_tests.pytest_hooks"]

SECRETS = "secrets"


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "image_tests: the standard suite's connector-image tests")
    config.addinivalue_line("markers", "requires_creds: a standard-suite scenario with secrets")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    skip = pytest.mark.skip(reason="connector-image tests need Docker and the internet")
    for item in items:
        if item.get_closest_marker("image_tests"):
            item.add_marker(skip)


def sandbox_folder(connector: str) -> Path:
    """Where this test process keeps a connector's sandbox configs."""
    return Path(tempfile.gettempdir()) / f"{connector}-{os.getpid()}"


def sandbox_scenarios(
    scenarios: Iterable[ConnectorTestScenario], folder: Path
) -> list[ConnectorTestScenario]:
    """The scenarios, those of `secrets/` configs reading them from `folder` instead."""
    return [
        scenario.model_copy(update={"config_path": folder / scenario.config_path.name})
        if scenario.config_path is not None and scenario.config_path.parts[0] == SECRETS
        else scenario
        for scenario in scenarios
    ]


@contextmanager
def sandbox_configs(folder: Path, configs: Mapping[str, Mapping[str, Any]]) -> Iterator[None]:
    """`configs` written to `folder` by file name, and removed afterwards."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, config in configs.items():
        (folder / name).write_text(json.dumps(config))
    try:
        yield
    finally:
        for name in configs:
            (folder / name).unlink(missing_ok=True)
        with contextlib.suppress(OSError):  # another test of this process may still use it
            folder.rmdir()
