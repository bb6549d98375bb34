"""Airbyte's standard connector tests, run in-process against the sandbox: the pytest hooks every
connector's `tests/conftest.py` loads, and the mapping of `secrets/` configs to configs of the
running sandbox.

    pytest_plugins = ["invoice_model.connector.standard_suite"]

- The CDK's own hooks parametrize the suites with the scenarios of `acceptance-test-config.yml`.
- Its connector-image tests build an image from a template on GitHub and compare its spec with
  Airbyte's registry: they need a Docker daemon and the internet, and these tests reach nothing
  beyond loopback, so they are skipped (`airbyte-cdk image test` runs them where both are).
- A scenario's `secrets/*.json` is where a run against the real API reads real credentials; here
  it stands for a config of this session's sandbox, whose URL is known only at run time, written
  by the test to a folder of its own process, never into the repository.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from airbyte_cdk.test.models import ConnectorTestScenario

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


def with_secrets_in(
    folder: Path, scenarios: Iterable[ConnectorTestScenario]
) -> list[ConnectorTestScenario]:
    """The scenarios, each config under `secrets/` read from `folder` instead."""
    return [
        scenario.model_copy(update={"config_path": folder / scenario.config_path.name})
        if scenario.config_path is not None and scenario.config_path.parts[0] == SECRETS
        else scenario
        for scenario in scenarios
    ]


@contextmanager
def secrets_written(folder: Path, configs: Mapping[str, Mapping[str, Any]]) -> Iterator[None]:
    """Each config written to `folder` under its name (`config.json` ...) while the test runs."""
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
