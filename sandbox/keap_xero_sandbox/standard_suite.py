"""Pytest hooks for Airbyte's standard connector test suites, as every connector of the workspace
runs them: in-process, against the sandbox. A connector's `tests/conftest.py` loads them with
`pytest_plugins = ["keap_xero_sandbox.standard_suite"]`.

The suite's image tests build the connector image from a template on GitHub and compare its
spec with Airbyte's registry: they need a Docker daemon and the internet, and the tests here
reach nothing beyond loopback, so they are skipped (`airbyte-cdk image test` runs them where
both are).
"""

from __future__ import annotations

import pytest

# Parametrizes the suites' tests with the scenarios of `acceptance-test-config.yml`.
pytest_plugins = ["airbyte_cdk.test.standard_tests.pytest_hooks"]


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "image_tests: the standard suite's connector-image tests")
    config.addinivalue_line("markers", "requires_creds: a standard-suite scenario with secrets")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    skip = pytest.mark.skip(reason="connector-image tests need Docker and the internet")
    for item in items:
        if item.get_closest_marker("image_tests"):
            item.add_marker(skip)
