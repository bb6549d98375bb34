"""Runs as a bookkeeper reads them: per direction, records read, written, unchanged, rejected,
each rejection with its reason, calls spent and time taken."""

from __future__ import annotations

from rich.console import Console, Group
from rich.table import Table
from rich.text import Text

from invoice_sync.history import DirectionRun, RunRecord

COLUMNS = ("read", "written", "unchanged", "rejected")
SHOWN_PER_KIND = 25  # rejections and notes listed per direction; `log --json` has them all
STATUS_STYLE = {"succeeded": "green", "failed": "red", "interrupted": "yellow", "running": "yellow"}


def run_view(run: RunRecord) -> Group:
    status = Text(run.status, style=STATUS_STYLE.get(run.status, ""))
    header = Text.assemble(
        (f"Run {run.number}", "bold"), f" · {run.started_at} · ", status, f" · {run.seconds} s"
    )
    parts: list = [header]
    if run.recovered:
        parts.append(
            Text(
                "  rotated credentials of an interrupted run written to their files: "
                + ", ".join(sorted(set(run.recovered))),
                style="yellow",
            )
        )
    parts += [direction_view(direction) for direction in run.directions]
    return Group(*parts)


def direction_view(direction: DirectionRun) -> Group:
    calls = ", ".join(f"{name} {count}" for name, count in direction.calls.items()) or "none"
    status = Text(direction.status, style=STATUS_STYLE.get(direction.status, ""))
    title = Text.assemble(
        "  ",
        (direction.title, "bold"),
        f"  {direction.settings} · ",
        status,
        f" · {direction.seconds} s · calls: {calls}",
    )
    table = Table(box=None, padding=(0, 2), pad_edge=False)
    table.add_column("    stream")
    for column in COLUMNS:
        table.add_column(column, justify="right")
    for stream, figures in direction.streams.items():
        table.add_row(f"    {stream}", *(str(getattr(figures, c)) for c in COLUMNS))
    parts: list = [title, table]
    if direction.error:
        parts.append(Text(f"    error: {direction.error}", style="red"))
    for label, entries in (("rejected", direction.rejections), ("note", direction.notices)):
        for entry in entries[:SHOWN_PER_KIND]:
            parts.append(Text(f"    {label} {entry.stream} {entry.record_id}: {entry.reason}"))
        if len(entries) > SHOWN_PER_KIND:
            more = len(entries) - SHOWN_PER_KIND
            parts.append(Text(f"    ... and {more} more {label} (invoice-sync log --json)"))
    return Group(*parts)


def print_runs(runs: list[RunRecord], console: Console | None = None) -> None:
    console = console or Console()
    for run in runs:
        console.print(run_view(run))
        console.print()
