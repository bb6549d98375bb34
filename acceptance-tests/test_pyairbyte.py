"""Every way PyAirbyte (0.71) offers to run the connectors, against the sandbox on loopback.

PyAirbyte runs offline (`AIRBYTE_OFFLINE_MODE`) with the workspace's console scripts as local
executables, except in the install test, which installs source-keap from the wheels `make dist`
builds, by `pip_url`, with its dependencies from PyPI. Xero's books are checked against Keap's,
invoice by invoice, to the cent, whichever path the records took (through PyAirbyte's DuckDB
cache they come back with its `_airbyte_*` columns, numbers as decimal strings and timestamps
without `Z`, which the destinations take as the same records).
"""

from __future__ import annotations

import os
import subprocess
import sys
import warnings
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from invoice_sync.reconcile import keap_to_xero_checks
from invoice_sync.sandbox import Shop, demo_tenant, keap_config, xero_config
from keap_xero_sandbox.sandbox import Sandbox

os.environ.setdefault("AIRBYTE_OFFLINE_MODE", "1")
os.environ.setdefault("DO_NOT_TRACK", "1")
with warnings.catch_warnings():
    warnings.simplefilter("ignore", FutureWarning)
    import airbyte as ab
    from airbyte.caches import DuckDBCache

BIN = Path(sys.executable).parent
ROOT = Path(__file__).resolve().parents[1]


def rotating(name: str, config: dict[str, Any], connect: Any, **kwargs: Any) -> Any:
    """A connector whose rotated refresh tokens are kept in its in-memory config, which
    PyAirbyte's `config_change_callback` does not do by itself."""
    holder: list[Any] = []

    def keep(new_config: dict[str, Any]) -> None:
        holder[0].set_config(new_config, validate=False)

    holder.append(connect(name, config=config, config_change_callback=keep, **kwargs))
    return holder[0]


@pytest.fixture
def shop(sandbox: Sandbox) -> Sandbox:
    sandbox.seed(keap={"orders": 40, "contacts": 15, "currencies": {"USD": 0.8, "EUR": 0.2}})
    return sandbox


@pytest.fixture
def source(shop: Sandbox) -> Any:
    source = rotating(
        "source-keap",
        keap_config(shop) | {"start_from": {"start_type": "beginning"}},
        ab.get_source,
        local_executable=BIN / "source-keap",
    )
    source.select_streams(["invoices", "payments"])
    return source


@pytest.fixture
def destination(shop: Sandbox) -> Any:
    return rotating(
        "destination-xero",
        xero_config(shop),
        ab.get_destination,
        local_executable=BIN / "destination-xero",
    )


@pytest.fixture
def cache(tmp_path: Path) -> DuckDBCache:
    return DuckDBCache(db_path=tmp_path / "pyairbyte.duckdb", cache_dir=tmp_path / "cache")


def assert_books_match_keap(sandbox: Sandbox) -> None:
    tenant = demo_tenant(sandbox)
    checks = keap_to_xero_checks(sandbox, tenant)
    assert checks, "the account has invoices"
    assert [c.number for c in checks if not c.matches] == [], "totals and amounts due to the cent"
    numbers = Counter(
        i["InvoiceNumber"] for i in sandbox.xero.dump()["tenants"][tenant]["invoices"]
    )
    assert max(numbers.values()) == 1, "no invoice twice"


def xero_writes(sandbox: Sandbox) -> int:
    return sum(sandbox.stats.count("xero", method=verb) for verb in ("PUT", "POST"))


def test_write_from_the_source_without_the_cache(shop, source, destination, cache):
    destination.write(source, cache=False, state_cache=cache)
    assert_books_match_keap(shop)

    Shop(shop).pay(Shop(shop).new_order())
    destination.write(source, cache=False, state_cache=cache)
    assert_books_match_keap(shop)

    shop.stats.reset()
    destination.write(source, cache=False, state_cache=cache)
    assert xero_writes(shop) == 0, "a sync with nothing new writes nothing"


def test_read_into_the_cache_then_write_from_it(shop, source, destination, cache):
    result = source.read(cache)
    destination.write(result)
    assert_books_match_keap(shop)


def test_write_from_the_source_through_the_cache(shop, source, destination, cache):
    destination.write(source, cache=cache)
    assert_books_match_keap(shop)


def test_contacts_and_products_are_read_in_full_on_every_sync(shop, source, cache):
    source.select_streams(["contacts", "products"])
    account = shop.dump("keap")
    expected = {"contacts": len(account["contacts"]), "products": len(account["products"])}

    for _ in range(2):
        result = source.read(cache)
        read = {name: len(list(result[name])) for name in expected}
        assert read == expected


@pytest.mark.pypi
def test_source_keap_installs_by_pip_url_from_the_wheels_make_dist_builds(
    shop, tmp_path, monkeypatch, cache
):
    wheels = tmp_path / "dist"
    subprocess.run(  # noqa: S603
        ["make", "-s", "dist", f"DIST={wheels}"],  # noqa: S607
        cwd=ROOT,
        check=True,
        timeout=300,
        capture_output=True,
    )
    pip_url = " ".join(
        str(next(wheels.glob(f"{package}-*.whl"))) for package in ("source_keap", "invoice_model")
    )
    monkeypatch.setenv("PATH", f"{BIN}{os.pathsep}{os.environ['PATH']}")  # PyAirbyte runs `uv`

    installed = rotating(
        "source-keap",
        keap_config(shop) | {"start_from": {"start_type": "beginning"}},
        ab.get_source,
        pip_url=pip_url,
        install_root=tmp_path / "connectors",
    )
    installed.select_streams(["invoices"])
    result = installed.read(cache)

    keap_orders = {o["id"] for o in shop.dump("keap")["orders"]}
    assert {r["source_id"] for r in result["invoices"]} == keap_orders
    executable = tmp_path / "connectors" / ".venv-source-keap" / "bin" / "source-keap"
    assert executable.is_file(), "installed in its own virtual environment under install_root"
