"""Every sync mode from every start point again, this time through the runner: a connection file
per cell (`invoice-sync run`), over the same Keap account and expectations as
`test_modes_and_start_points.py` (see `matrix`). The runner turns the mode into the stream
selection and the `invoices` cursor, and the start point into source-keap's `start_from`; after
the first run and after a second, incremental one, each cell's Xero organisation must hold
exactly what the mode promises. Mode 4 alone is refused (nothing to sync): nothing runs.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from invoice_sync.connection import Connection as ConnectionFile
from invoice_sync.connection import ConnectionFileError
from invoice_sync.directions import plans
from invoice_sync.history import RunRecord
from invoice_sync.runner import run
from keap_xero_sandbox.clock import Clock
from keap_xero_sandbox.sandbox import Sandbox
from keap_xero_sandbox.server import SandboxServer

from .matrix import (
    MODES,
    START_POINTS,
    STORY_START,
    KeapState,
    Story,
    assert_books,
    connection,
    expected_books,
)
from .pipeline import DESTINATION_SAMPLE

pytestmark = pytest.mark.timeout(900)
CELLS = [(mode, start) for mode in MODES for start in START_POINTS]


def connection_file(story: Story, mode: int, start: str, folder: Path) -> tuple[Path, str]:
    """The cell's accounts as config files, and a connection file naming its mode and start."""
    cell = connection(story, mode, start)
    url = story.sandbox.url
    keap = story.sandbox.keap.connector_credentials() | {"refresh_token": cell.keap_refresh_token}
    (folder / "keap.json").write_text(json.dumps({"credentials": keap, "api_url": url}))
    xero = json.loads(DESTINATION_SAMPLE.read_text())
    xero["credentials"] = {
        "auth_type": "custom_connection",
        "client_id": cell.xero["client_id"],
        "client_secret": cell.xero["client_secret"],
    }
    xero["advanced"] = {"api_base_url": url, "identity_base_url": url}
    (folder / "xero.json").write_text(json.dumps(xero))
    start_from = {k: v for k, v in cell.start_from.items() if k != "start_type"}
    forward = {"mode": mode, "start": start_from or "beginning"}
    path = folder / "connection.yaml"
    path.write_text(
        yaml.safe_dump({"keap": "keap.json", "xero": "xero.json", "keap_to_xero": forward})
    )
    if MODES[mode] is not None:
        assert plans(ConnectionFile.load(path))[0].source_overrides == {
            "start_from": cell.start_from
        }, "the runner hands source-keap the start point the matrix means"
    return path, cell.xero["tenant_id"]


def sync(path: Path) -> RunRecord | ConnectionFileError:
    try:
        connection_ = ConnectionFile.load(path)
    except ConnectionFileError as refused:
        return refused
    return run(connection_)


@pytest.fixture(scope="module")
def matrix(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    sandbox = Sandbox(clock=Clock(start=STORY_START))
    with SandboxServer(sandbox):
        story = Story(sandbox)
        story.build()
        cells = {
            cell: connection_file(story, *cell, tmp_path_factory.mktemp(f"mode{cell[0]}-{cell[1]}"))
            for cell in CELLS
        }
        states, runs, books = [], {cell: [] for cell in CELLS}, {cell: [] for cell in CELLS}
        for change in (None, story.change):
            if change:
                change()
            states.append(KeapState.of(sandbox))
            for cell, (path, _) in cells.items():
                runs[cell].append(sync(path))
            organisations = sandbox.xero.dump()["tenants"]
            for cell, (_, tenant) in cells.items():
                books[cell].append(organisations[tenant])
        yield {"story": story, "states": states, "runs": runs, "books": books}


@pytest.mark.parametrize("sync_number", [1, 2], ids=["first", "second"])
@pytest.mark.parametrize(("mode", "start"), CELLS, ids=[f"mode{m}-{s}" for m, s in CELLS])
def test_the_runner_lands_what_each_mode_promises_from_each_start_point(
    matrix, mode, start, sync_number
):
    ran = matrix["runs"][mode, start][sync_number - 1]
    books = matrix["books"][mode, start][sync_number - 1]
    if MODES[mode] is None:
        assert isinstance(ran, ConnectionFileError)
        assert ran.key == "keap_to_xero.mode"
        assert books["invoices"] == books["payments"] == [], "nothing"
        return
    assert isinstance(ran, RunRecord)
    assert ran.status == "succeeded", [d.error for d in ran.directions]
    expected = expected_books(matrix["story"], mode, start, matrix["states"][:sync_number])
    assert_books(books, expected)
    if mode == 1:
        assert books["payments"] == [], "no payment in mode 1"
