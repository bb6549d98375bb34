"""A run as the log shows it."""

from __future__ import annotations

import io

from rich.console import Console

from invoice_sync.history import DirectionRun, Rejection, RunRecord, StreamFigures
from invoice_sync.report import SHOWN_PER_KIND, print_runs


def shown(run: RunRecord) -> str:
    buffer = io.StringIO()
    print_runs([run], Console(file=buffer, width=200))
    return buffer.getvalue()


def test_a_direction_shows_its_columns_calls_and_each_rejection_with_its_reason():
    direction = DirectionRun("keap_to_xero", "Keap → Xero", "mode 2", seconds=4.2)
    direction.streams["invoices"] = StreamFigures(read=12, written=10, unchanged=1, rejected=1)
    direction.rejections.append(Rejection("invoices", "1042", "Xero refused it: lock date"))
    direction.calls = {"source-keap": 3, "destination-xero": 7}
    run = RunRecord(4, "2026-12-03T10:00:00Z", "succeeded", 5.0, directions=[direction])

    text = shown(run)

    assert "Run 4 · 2026-12-03T10:00:00Z · succeeded · 5.0 s" in text
    assert "calls: source-keap 3, destination-xero 7" in text
    assert text.split("invoices")[1].split()[:4] == ["12", "10", "1", "1"]
    assert "rejected invoices 1042: Xero refused it: lock date" in text


def test_a_long_list_of_rejections_is_cut_with_a_count():
    direction = DirectionRun("keap_to_xero", "Keap → Xero", "mode 2", status="failed", error="x")
    direction.rejections = [Rejection("payments", str(n), "no invoice") for n in range(30)]

    text = shown(RunRecord(1, "2026-12-03T10:00:00Z", "failed", directions=[direction]))

    assert text.count("rejected payments") == SHOWN_PER_KIND
    assert f"and {30 - SHOWN_PER_KIND} more rejected" in text
    assert "error: x" in text
