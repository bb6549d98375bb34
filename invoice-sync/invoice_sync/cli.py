"""`invoice-sync`: run | log | sandbox | demo.

Exit status: 0 when every direction synced; 1 when one failed (its error is in the output and
the run log); 2 for a connection file or arguments that cannot be used; 75 when another run of
the same connection is still going (cron may simply try again at its next tick).
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict
from pathlib import Path

from rich.console import Console

from invoice_sync import report
from invoice_sync.connection import Connection, ConnectionFileError
from invoice_sync.directions import Plan
from invoice_sync.engine import StateFolder
from invoice_sync.history import History

EXIT_FAILED = 1
EXIT_UNUSABLE = 2
EXIT_IN_PROGRESS = 75  # EX_TEMPFAIL


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    options = parser.parse_args(argv)
    try:
        return options.command(options)
    except ConnectionFileError as error:
        print(f"invoice-sync: {error}", file=sys.stderr)
        return EXIT_UNUSABLE


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="invoice-sync",
        description="Keep Xero's books in step with Keap, and bring Xero's invoices into Keap.",
    )
    commands = parser.add_subparsers(required=True, metavar="COMMAND")

    run = commands.add_parser("run", help="one sync of each enabled direction")
    run.add_argument("connection", type=Path, help="the connection file (YAML)")
    run.set_defaults(command=_run)

    log = commands.add_parser("log", help="the history of runs of a connection")
    log.add_argument("connection", type=Path, help="the connection file (YAML)")
    log.add_argument("--runs", type=int, default=10, help="how many recent runs (default 10)")
    log.add_argument("--json", action="store_true", help="one JSON object per run")
    log.set_defaults(command=_log)

    sandbox = commands.add_parser(
        "sandbox", help="both emulators on loopback with a seeded demo account"
    )
    sandbox.add_argument("--port", type=int, default=0, help="port (default: a free one)")
    sandbox.add_argument(
        "--folder",
        type=Path,
        default=Path("invoice-sync-sandbox"),
        help="where to write the demo configs and connection file (default ./invoice-sync-sandbox)",
    )
    sandbox.set_defaults(command=_sandbox)

    demo = commands.add_parser("demo", help="the product end to end against the sandbox")
    demo.add_argument(
        "--folder",
        type=Path,
        default=Path(".invoice-sync-demo"),
        help="where the demo keeps its configs, state and run log (default ./.invoice-sync-demo)",
    )
    demo.set_defaults(command=_demo)
    return parser


def _run(options: argparse.Namespace) -> int:
    from invoice_sync.runner import RunInProgressError, run  # noqa: PLC0415 (PyAirbyte is slow)

    connection = Connection.load(options.connection)
    console = Console(stderr=True)

    def starting(plan: Plan) -> None:
        console.print(f"[bold]{plan.direction.title}[/bold]: {plan.description}")

    try:
        record = run(connection, on_start=starting)
    except RunInProgressError as error:
        print(f"invoice-sync: {error}", file=sys.stderr)
        return EXIT_IN_PROGRESS
    report.print_runs([record])
    return 0 if record.status == "succeeded" else EXIT_FAILED


def _log(options: argparse.Namespace) -> int:
    connection = Connection.load(options.connection)
    runs = History(StateFolder(connection.state_dir).history).runs()[-options.runs :]
    if options.json:
        for record in runs:
            print(json.dumps(asdict(record)))
    elif not runs:
        print(f"no runs yet of {options.connection}")
    else:
        report.print_runs(runs)
    return 0


def _sandbox(options: argparse.Namespace) -> int:
    from invoice_sync.sandbox import serve  # noqa: PLC0415

    return serve(options.folder, options.port)


def _demo(options: argparse.Namespace) -> int:
    from invoice_sync.demo import demo  # noqa: PLC0415

    return demo(options.folder)


if __name__ == "__main__":
    sys.exit(main())
