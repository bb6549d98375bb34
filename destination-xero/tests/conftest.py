"""Fixtures of destination-xero's tests: configs, and the standard test suite's hooks."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest

pytest_plugins = ["airbyte_cdk.test.standard_tests.pytest_hooks"]

Config = dict[str, Any]
MakeConfig = Callable[..., Config]

# A config that never reaches a network: for tests of settings and mapping.
OFFLINE: Config = {
    "credentials": {
        "auth_type": "oauth2_app",
        "client_id": "app-id",
        "client_secret": "app-secret",
        "refresh_token": "refresh-1",
        "tenant_id": "4a7ad9b0-3f6c-4b5e-9d5e-2d0f1c2b3a4e",
    },
    "invoices": {
        "sales_account_code": "200",
        "tax": {"mode": "source_tax_lines", "tax_account_code": "820"},
    },
}


def edited(base: Config, **changes: Any) -> Config:
    """A copy of `base` with dotted paths set (`"invoices.status": "DRAFT"`); None deletes."""
    result = copy.deepcopy(base)
    for path, value in changes.items():
        *parents, leaf = path.split(".")
        node = result
        for part in parents:
            node = node.setdefault(part, {})
        if value is None:
            node.pop(leaf, None)
        else:
            node[leaf] = value
    return result


@pytest.fixture
def config() -> MakeConfig:
    """`config(**changes)`: the offline config with changes (see `edited`)."""
    return lambda **changes: edited(OFFLINE, **changes)
