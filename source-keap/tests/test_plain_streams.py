"""`contacts` and `products`: full refresh, resumable page by page, read in full by every sync.

The CDK ends a full refresh with the state `{"__ab_full_refresh_sync_complete": true}`; PyAirbyte
and a user running the CLI with `--state` hand that state back to the next sync, which must read
everything again, while a page token saved mid-read still resumes from its page.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from source_keap.streams import Contacts, Products

FINISHED = {"__ab_full_refresh_sync_complete": True}
BIN = Path(sys.executable).parent


@pytest.fixture
def small_pages(monkeypatch):
    """Pages of 10, so that a few dozen contacts take several pages."""
    for stream in (Contacts, Products):
        monkeypatch.setattr(stream, "page_size", 10)


@pytest.fixture
def account(keap, small_pages):
    keap.seed(contacts=35, products=12, orders=0, subscriptions=0)
    return keap


@pytest.mark.parametrize(("stream", "count"), [("contacts", 35), ("products", 12)])
def test_a_full_refresh_reads_every_page_and_ends_with_the_finished_state(account, stream, count):
    run = account.read(account.config(), account.catalog(None, plain=(stream,)))

    assert len(run.ids(stream)) == count
    assert len(set(run.ids(stream))) == count
    states = run.states(stream)
    assert all("page_token" in state for state in states[:-1])
    assert states[-1] == FINISHED


@pytest.mark.parametrize("stream", ["contacts", "products"])
def test_the_finished_state_handed_back_reads_everything_again(account, stream):
    catalog = account.catalog(None, plain=(stream,))
    first = account.read(account.config(), catalog)

    finished = account.saved(stream, first.states(stream)[-1])
    again = account.read(account.config(), catalog, finished)

    assert again.ids(stream) == first.ids(stream)
    assert again.states(stream)[-1] == FINISHED


def test_a_page_token_saved_mid_read_resumes_from_its_page(account):
    catalog = account.catalog(None, plain=("contacts",))
    first = account.read(account.config(), catalog)
    after_two_pages = first.states("contacts")[1]

    resumed = account.read(account.config(), catalog, account.saved("contacts", after_two_pages))

    assert resumed.ids("contacts") == first.ids("contacts")[20:]


def test_the_cli_given_the_finished_state_reads_every_contact_again(keap, tmp_path):
    keap.seed(contacts=25, orders=0, subscriptions=0)
    config = tmp_path / "config.json"
    config.write_text(json.dumps(keap.config()))
    catalog = tmp_path / "catalog.json"
    catalog.write_text(
        json.dumps(
            {
                "streams": [
                    {
                        "stream": {
                            "name": "contacts",
                            "json_schema": {},
                            "supported_sync_modes": ["full_refresh"],
                        },
                        "sync_mode": "full_refresh",
                        "destination_sync_mode": "overwrite",
                    }
                ]
            }
        )
    )
    state = tmp_path / "state.json"
    state.write_text(
        json.dumps(
            [
                {
                    "type": "STREAM",
                    "stream": {"stream_descriptor": {"name": "contacts"}, "stream_state": FINISHED},
                }
            ]
        )
    )
    command = [str(BIN / "source-keap"), "read", "--config", str(config), "--catalog"]
    command += [str(catalog), "--state", str(state)]

    output = subprocess.run(command, capture_output=True, check=True, timeout=120)  # noqa: S603

    messages = [json.loads(line) for line in output.stdout.splitlines()]
    contacts = [m["record"]["data"]["id"] for m in messages if m["type"] == "RECORD"]
    assert len(contacts) == len(set(contacts)) == 25
