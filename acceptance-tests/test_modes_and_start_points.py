"""Every sync mode from every start point: `source-keap read | destination-xero write` through the
console scripts, each cell into a fresh Xero organisation, over one Keap account built through
Keap's API (see `matrix`); then a second, incremental sync after new orders, partial payments,
edits, refunds and a void. After each sync each organisation must hold exactly the invoices and
payments the product promises, totals and amounts due to the cent: no payment in mode 1, no
invoice that was not paid in full in mode 3, nothing in mode 4.

The cells share the account (a sync only reads Keap) and run three at a time.
"""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import pytest

from keap_xero_sandbox.clock import Clock
from keap_xero_sandbox.sandbox import Sandbox
from keap_xero_sandbox.server import SandboxServer

from .books import money
from .matrix import (
    MODES,
    START_POINTS,
    STORY_START,
    Books,
    Connection,
    KeapState,
    Story,
    assert_books,
    assert_written_as_first_read,
    connection,
    expected_books,
)
from .pipeline import Pipeline, Sync

PARALLEL_CELLS = 3
# The first test builds the whole matrix (18 syncs, about 60 s of CPU): room for a busy machine.
pytestmark = pytest.mark.timeout(900)
CELLS = [(mode, start) for mode in MODES for start in START_POINTS]


def cells(**marks: pytest.MarkDecorator) -> list[Any]:
    """The cells as parameters, `mode3_beginning=mark` marking one."""
    return [
        pytest.param(
            mode, start, id=f"mode{mode}-{start}", marks=marks.get(f"mode{mode}_{start}", ())
        )
        for mode, start in CELLS
    ]


@dataclass
class Cell:
    connection: Connection
    pipeline: Pipeline | None  # None: mode 4, no Keap → Xero connection runs
    syncs: list[Sync] = field(default_factory=list)
    books: list[dict[str, Any]] = field(default_factory=list)  # the organisation after each sync

    def sync(self) -> None:
        if self.pipeline is not None:
            previous = self.syncs[-1].last_states() if self.syncs else None
            self.syncs.append(self.pipeline.sync(previous))


@dataclass
class Matrix:
    story: Story
    states: list[KeapState]  # Keap as each sync found it
    cells: dict[tuple[int, str], Cell]

    def expected(self, mode: int, start: str, syncs: int) -> Books:
        """What the organisation holds after the first `syncs` syncs."""
        return expected_books(self.story, mode, start, self.states[:syncs])


@pytest.fixture(scope="module")
def matrix(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Matrix]:
    sandbox = Sandbox(clock=Clock(start=STORY_START))
    with SandboxServer(sandbox):
        story = Story(sandbox)
        story.build()
        opened = {cell: _open(story, *cell, tmp_path_factory) for cell in CELLS}
        states = [KeapState.of(sandbox)]
        _sync_every_cell(sandbox, opened)
        story.change()
        states.append(KeapState.of(sandbox))
        _sync_every_cell(sandbox, opened)
        yield Matrix(story, states, opened)


def _open(story: Story, mode: int, start: str, folders: pytest.TempPathFactory) -> Cell:
    opened = connection(story, mode, start)
    if opened.catalog is None:
        return Cell(opened, None)
    pipeline = Pipeline(
        story.sandbox,
        folders.mktemp(f"mode{mode}-{start}"),
        start_from=opened.start_from,
        keap_refresh_token=opened.keap_refresh_token,
        xero_connection=opened.xero,
    )
    pipeline.use_catalog(opened.catalog)
    return Cell(opened, pipeline)


def _sync_every_cell(sandbox: Sandbox, opened: dict[tuple[int, str], Cell]) -> None:
    with ThreadPoolExecutor(max_workers=PARALLEL_CELLS) as pool:
        for running in [pool.submit(cell.sync) for cell in opened.values()]:
            running.result()
    organisations = sandbox.xero.dump()["tenants"]
    for cell in opened.values():
        cell.books.append(organisations[cell.connection.xero["tenant_id"]])


def assert_ran(cell: Cell, sync: int) -> None:
    """The sync ran and both connectors ended well; in mode 4 no connection, so none ran."""
    if cell.pipeline is None:
        assert cell.connection.catalog is None
        assert cell.syncs == []
        return
    ran = cell.syncs[sync]
    assert (ran.source_exit, ran.destination_exit) == (0, 0), "\n".join(ran.logs[-20:])
    assert ran.errors == []


@pytest.mark.parametrize("sync", [pytest.param(1, id="first"), pytest.param(2, id="second")])
@pytest.mark.parametrize(("mode", "start"), cells())
def test_xero_holds_what_the_mode_promises_from_the_start_point(matrix, mode, start, sync):
    """After the first sync, and after the second, incremental one (new orders, partial and
    final payments, edits, refunds, a void)."""
    cell = matrix.cells[mode, start]
    assert_ran(cell, sync - 1)
    books = cell.books[sync - 1]
    assert_books(books, matrix.expected(mode, start, sync))
    if mode == 1:
        assert books["payments"] == [], "no payment in mode 1"
    if mode == 3 and sync == 1:
        assert all(money(i["AmountDue"]) == 0 for i in books["invoices"]), "all paid"
    if MODES[mode] is None:
        assert books["invoices"] == books["payments"] == books["contacts"] == [], "nothing"


@pytest.mark.parametrize("start", START_POINTS)
def test_mode_1_leaves_an_invoice_edited_after_it_was_written_as_it_was(matrix, start):
    expected = matrix.expected(1, start, 2)
    assert any(i.edited_since_written for i in expected.invoices.values())
    assert_written_as_first_read(matrix.cells[1, start].books[1], expected)


@pytest.mark.parametrize(("mode", "start"), cells())
def test_no_record_is_rejected(matrix, mode, start):
    for sync in matrix.cells[mode, start].syncs:
        assert sync.rejections == []
