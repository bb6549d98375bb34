"""The product through its runner: `invoice-sync run` against the sandbox, checked through the
sandbox's state (Xero's books against Keap's, invoice by invoice, to the cent).

Runs go through `invoice_sync.runner.run` in this process (PyAirbyte is imported once), except
where the process itself matters: the runner killed right after a credential rotation, and
`make demo`. Both accounts sign in with OAuth, so every run also proves the rotated refresh
tokens were kept.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from collections import Counter
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from invoice_sync.cli import main as invoice_sync
from invoice_sync.connection import Connection, ConnectionFileError
from invoice_sync.history import History, RunRecord
from invoice_sync.reconcile import keap_to_xero_checks, xero_to_keap_checks
from invoice_sync.runner import run
from invoice_sync.sandbox import (
    DEMO_XERO_BOOKS,
    Shop,
    XeroBooks,
    demo_tenant,
    write_connection,
)
from keap_xero_sandbox.sandbox import Sandbox

BIN = Path(sys.executable).parent
ROOT = Path(__file__).resolve().parents[1]
PAYMENT_ID = "Keap payment "


def sync(path: Path) -> RunRecord:
    record = run(Connection.load(path))
    errors = [d.error for d in record.directions if d.error]
    assert record.status == "succeeded", errors
    return record


def tenant(sandbox: Sandbox) -> str:
    return demo_tenant(sandbox)


def books(sandbox: Sandbox) -> dict[str, Any]:
    return sandbox.xero.dump()["tenants"][tenant(sandbox)]


def assert_books_match_keap(sandbox: Sandbox) -> None:
    """Every Keap invoice in Xero once, its total and amount due to the cent, and no Keap
    payment twice among Xero's live payments."""
    checks = keap_to_xero_checks(sandbox, tenant(sandbox))
    assert [c.number for c in checks if not c.matches] == []
    held = books(sandbox)
    numbers = Counter(i["InvoiceNumber"] for i in held["invoices"])
    assert max(numbers.values()) == 1, "no invoice twice"
    payments = Counter(
        p["Reference"].split()[2]
        for p in held["payments"]
        if p["Status"] != "DELETED" and (p.get("Reference") or "").startswith(PAYMENT_ID)
    )
    assert not payments or max(payments.values()) == 1, "no payment twice"


def figures(record: RunRecord, stream: str) -> Any:
    return record.directions[0].streams[stream]


@pytest.fixture
def shop(sandbox: Sandbox) -> dict[str, Any]:
    """A realistic Keap account: paid, partly paid, refunded and voided orders, payment plans,
    subscriptions, discounts, shipping, fees, tax, four currencies."""
    return sandbox.seed(
        keap={
            "orders": 40,
            "contacts": 15,
            "currencies": {"USD": 0.7, "EUR": 0.1, "GBP": 0.1, "JPY": 0.1},
        }
    )["keap"]


@pytest.fixture
def connection(sandbox: Sandbox, shop: dict[str, Any], tmp_path: Path) -> Path:
    return write_connection(tmp_path, sandbox, mode=2, start="beginning")


def a_paid_payment(sandbox: Sandbox, skip: set[str]) -> str:
    """A payment received in full on an order paid in full, not refunded yet."""
    refunded = {
        str(p["refund_payment_id"])
        for p in sandbox.dump("keap")["payments"]
        if p.get("refund_payment_id")
    }
    orders = {o["id"]: o for o in sandbox.dump("keap")["orders"]}
    for payment in sandbox.dump("keap")["payments"]:
        order = orders.get(payment["order_ids"][0]) if payment["order_ids"] else None
        if (
            payment["amount"] > 0
            and payment["id"] not in skip | refunded
            and order is not None
            and order["status"] == "PAID"
            and order["refund_total"]["amount"] == 0
        ):
            return payment["id"]
    raise AssertionError("the account has no paid order left to refund")


def test_several_incremental_syncs_keep_xero_exact_through_orders_payments_edits_refunds(
    sandbox, shop, connection
):
    keap_file = connection.parent / "keap.json"
    first_token = json.loads(keap_file.read_text())["credentials"]["refresh_token"]
    mode = keap_file.stat().st_mode
    first = sync(connection)
    assert_books_match_keap(sandbox)
    assert figures(first, "invoices").read == figures(first, "invoices").written > 0

    store = Shop(sandbox)
    refunded: set[str] = set()
    for round_ in range(2):
        new = store.new_order()
        store.pay(new, (store.due(new) / 3).quantize(Decimal("0.01")))
        edited = str(shop["samples"]["unpaid_order_id"])
        store.retitle(edited, f"Quote accepted, round {round_}")
        refund = a_paid_payment(sandbox, refunded)
        refunded.add(refund)
        store.refund(refund)

        record = sync(connection)

        assert_books_match_keap(sandbox)
        invoices = figures(record, "invoices")
        assert 3 <= invoices.read < 10, "only what changed is read again"
        assert invoices.written >= 2
        assert invoices.rejected == 0
        edited_invoice = next(
            i
            for i in books(sandbox)["invoices"]
            if i["InvoiceNumber"]
            == next(o["invoice_id"] for o in sandbox.dump("keap")["orders"] if o["id"] == edited)
        )
        assert edited_invoice["Reference"] == f"Quote accepted, round {round_}"

    sandbox.stats.reset()
    quiet = sync(connection)
    writes = sum(sandbox.stats.count("xero", method=verb) for verb in ("PUT", "POST"))
    assert writes == 0, "a sync with nothing new writes nothing to Xero"
    assert all(f.written == 0 for f in quiet.directions[0].streams.values())
    spent = quiet.directions[0].calls
    assert spent["source-keap"] == sandbox.stats.count("keap"), "calls counted as Keap saw them"
    assert spent["destination-xero"] == sandbox.stats.count("xero")
    config = json.loads(keap_file.read_text())
    assert config["credentials"]["refresh_token"] != first_token, "the rotated token was kept"
    assert "start_from" not in config, "the runner's settings stay out of the account's file"
    assert keap_file.stat().st_mode == mode, "the file keeps its permissions"


def test_a_replay_from_an_older_state_creates_no_duplicates(sandbox, shop, connection):
    sync(connection)
    state = Connection.load(connection).state_dir / "state"
    older = connection.parent / "older-state"
    shutil.copytree(state, older)
    store = Shop(sandbox)
    store.pay(store.new_order())
    store.pay(store.new_order(), Decimal("10.00"))
    sync(connection)
    held = len(books(sandbox)["invoices"])

    shutil.rmtree(state)
    shutil.copytree(older, state)
    replay = sync(connection)

    assert figures(replay, "invoices").read >= 2, "the replay reads again from the older state"
    assert figures(replay, "invoices").written == 0
    assert len(books(sandbox)["invoices"]) == held
    assert_books_match_keap(sandbox)


def test_a_runner_killed_right_after_a_rotation_leaves_the_user_signed_in(
    sandbox, shop, connection
):
    keap_file = connection.parent / "keap.json"
    spent_token = json.loads(keap_file.read_text())["credentials"]["refresh_token"]
    journal = Connection.load(connection).state_dir / "rotations.jsonl"
    # Keap takes a while to answer the refresh: time to stop the runner before it can save.
    rotation = sandbox.faults.add(
        api="keap", method="POST", path="/token", kind="latency", seconds=3
    )
    runner = subprocess.Popen(  # noqa: S603
        [str(BIN / "invoice-sync"), "run", str(connection)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        _wait(lambda: rotation.fired >= 1, "source-keap asks Keap for a token")
        children = _descendants(runner.pid)
        os.kill(runner.pid, signal.SIGSTOP)
        _wait(lambda: journal.exists() and journal.stat().st_size > 0, "the rotation journaled")
        os.kill(runner.pid, signal.SIGKILL)
    finally:
        runner.kill()
        runner.wait(timeout=30)
    for pid in children:
        _wait(lambda pid=pid: not Path(f"/proc/{pid}").exists(), f"connector {pid} ended")
    assert json.loads(keap_file.read_text())["credentials"]["refresh_token"] == spent_token, (
        "the runner was killed before it could save the rotated token"
    )

    record = sync(connection)

    assert "source-keap" in record.recovered, "the journaled rotation written to keap.json"
    assert json.loads(keap_file.read_text())["credentials"]["refresh_token"] != spent_token
    assert_books_match_keap(sandbox)
    log = History(Connection.load(connection).state_dir / "history.jsonl").runs()
    assert [r.status for r in log] == ["interrupted", "succeeded"]


def _wait(condition: Any, what: str, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"waited {seconds} s for: {what}"
        time.sleep(0.05)


def _descendants(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        for child in (task / "children").read_text().split():
            found += [int(child), *_descendants(int(child))]
    return found


@pytest.mark.parametrize(
    ("mode", "start"),
    [(1, "beginning"), (3, "invoice_id"), (2, "invoice_date")],
)
def test_sync_modes_and_start_points(sandbox, shop, tmp_path, mode, start):
    orders = sorted(sandbox.dump("keap")["orders"], key=lambda o: int(o["id"]))
    middle = next(o for o in orders[len(orders) // 2 :] if o["invoice_id"] != o["id"])
    start_point: Any = {
        "beginning": "beginning",
        "invoice_id": {"invoice_id": middle["invoice_id"]},
        "invoice_date": {"invoice_date": middle["creation_time"][:10]},
    }[start]
    path = write_connection(tmp_path, sandbox, mode=mode, start=start_point)

    record = sync(path)

    held = books(sandbox)
    in_xero = {i["InvoiceNumber"] for i in held["invoices"]}
    live_payments = [p for p in held["payments"] if p["Status"] != "DELETED"]
    if mode == 1:
        assert in_xero == {o["invoice_id"] for o in orders}
        assert live_payments == [], "mode 1 writes no payments"
        assert set(record.directions[0].streams) == {"invoices"}
    elif mode == 3:
        paid = {
            o["invoice_id"]
            for o in orders
            if o["status"] == "PAID"
            and int(o["id"]) >= int(middle["id"])
            and o["refund_total"]["amount"] == 0
        }
        assert paid <= in_xero
        assert all(i["Status"] == "PAID" for i in held["invoices"]), "mode 3: paid invoices only"
        assert all(
            int(o["id"]) >= int(middle["id"]) for o in orders if o["invoice_id"] in in_xero
        ), "nothing before the start point"
    else:
        emitted = _source_keap_invoices(sandbox, tmp_path, start_point)
        assert in_xero == emitted, "what the runner wrote is what source-keap reads"
        assert live_payments, "mode 2 writes payments"
        assert_books_match_keap_for(sandbox, in_xero)


def assert_books_match_keap_for(sandbox: Sandbox, numbers: set[str]) -> None:
    checks = [c for c in keap_to_xero_checks(sandbox, tenant(sandbox)) if c.number in numbers]
    assert [c.number for c in checks if not c.matches] == []


def _source_keap_invoices(sandbox: Sandbox, folder: Path, start: dict[str, Any]) -> set[str]:
    """The invoice numbers source-keap's console script emits for this start point."""
    config = json.loads((folder / "keap.json").read_text())
    config["start_from"] = {"start_type": "invoice_date", **start}
    (folder / "cli-config.json").write_text(json.dumps(config))
    catalog = ROOT / "source-keap" / "integration_tests" / "configured_catalog.json"
    chosen = json.loads(catalog.read_text())
    chosen["streams"] = [s for s in chosen["streams"] if s["stream"]["name"] == "invoices"]
    (folder / "cli-catalog.json").write_text(json.dumps(chosen))
    output = subprocess.run(  # noqa: S603
        [
            str(BIN / "source-keap"),
            "read",
            "--config",
            str(folder / "cli-config.json"),
            "--catalog",
            str(folder / "cli-catalog.json"),
        ],
        capture_output=True,
        check=True,
        timeout=120,
    )
    messages = [json.loads(line) for line in output.stdout.splitlines()]
    return {m["record"]["data"]["source_invoice_id"] for m in messages if m["type"] == "RECORD"}


def test_mode_4_runs_xero_to_keap_alone(sandbox, shop, tmp_path):
    sandbox.seed(xero={**DEMO_XERO_BOOKS, "tenants": [tenant(sandbox)]})
    path = write_connection(tmp_path, sandbox, mode=4, xero_to_keap=True)

    record = sync(path)

    assert [d.title for d in record.directions] == ["Xero → Keap"]
    assert len(books(sandbox)["invoices"]) == DEMO_XERO_BOOKS["invoices"], "nothing Keap → Xero"
    assert len(xero_to_keap_checks(sandbox, tenant(sandbox))) == 4


def test_mode_4_without_xero_to_keap_has_nothing_to_sync(sandbox, tmp_path):
    path = write_connection(tmp_path, sandbox, mode=4)
    with pytest.raises(ConnectionFileError, match=r"keap_to_xero\.mode: 4 .* nothing to sync"):
        Connection.load(path)


def test_the_log_names_each_rejection_with_xeros_reason(sandbox, shop, connection, capsys):
    orders = sorted(sandbox.dump("keap")["orders"], key=lambda o: o["order_time"])
    locked_until = dt.date.fromisoformat(orders[5]["order_time"][:10])
    sandbox.xero.ledgers[tenant(sandbox)].set_lock_dates(locked_until, None)

    record = run(Connection.load(connection))
    direction = record.directions[0]
    rejected = [r for r in direction.rejections if r.stream == "invoices"]
    assert direction.streams["invoices"].rejected == len(rejected) > 0
    capsys.readouterr()

    assert invoice_sync(["log", str(connection)]) == 0

    shown = " ".join(capsys.readouterr().out.split())
    first = rejected[0]
    assert f"rejected invoices {first.record_id}: {first.reason}" in shown
    assert "period lock date" in first.reason
    assert re.search(r"calls: \S+ \d+", shown)


def test_both_directions_run_repeatedly_with_nothing_looping_back(sandbox, shop, tmp_path):
    sandbox.seed(xero={**DEMO_XERO_BOOKS, "tenants": [tenant(sandbox)]})
    path = write_connection(tmp_path, sandbox, xero_to_keap=True)

    def counts() -> Counter[str]:
        held, keap = books(sandbox), sandbox.dump("keap")
        live = [p for p in held["payments"] if p["Status"] != "DELETED"]
        return Counter(
            xero_invoices=len(held["invoices"]),
            xero_payments=len(live),
            keap_orders=len(keap["orders"]),
            keap_payments=len(keap["payments"]),
        )

    def raised_in_xero_match() -> int:
        checks = xero_to_keap_checks(sandbox, tenant(sandbox))
        assert [c.number for c in checks if not c.matches] == []
        return len(checks)

    first = sync(path)
    assert [d.title for d in first.directions] == ["Keap → Xero", "Xero → Keap"]
    assert_books_match_keap(sandbox)
    assert raised_in_xero_match() == first.directions[1].streams["invoices"].written == 4

    store = Shop(sandbox)
    before = counts()
    store.pay(store.new_order())
    XeroBooks(sandbox).raise_invoice("Harbour Café", "a@harbour.example", "Catering", Decimal(480))
    second = sync(path)
    assert counts() - before == Counter(
        xero_invoices=2, xero_payments=1, keap_orders=2, keap_payments=1
    ), "the new order and its payment in Xero, the invoice raised in Xero in Keap: once each"
    assert second.directions[1].streams["invoices"].read == 1
    assert raised_in_xero_match() == 5

    settled = counts()
    for _ in range(2):
        quiet = sync(path)
        assert counts() == settled, "nothing travels back to where it came from"
        for direction in quiet.directions:
            assert all(f.read == f.written == 0 for f in direction.streams.values())
    assert_books_match_keap(sandbox)


def test_a_run_cut_short_by_xeros_daily_limit_fails_and_the_next_one_completes(
    sandbox, shop, connection
):
    sandbox.xero.limits.configure("day", 6)  # enough to read the books and write invoices

    cut = run(Connection.load(connection))

    direction = cut.directions[0]
    assert (cut.status, direction.status) == ("failed", "failed")
    assert "daily call limit" in direction.error
    assert books(sandbox)["invoices"], "what was written before the limit stays"
    assert direction.streams["invoices"].written == len(books(sandbox)["invoices"])

    sandbox.xero.limits.configure("day", 5_000)
    sync(connection)

    assert_books_match_keap(sandbox)
    log = History(Connection.load(connection).state_dir / "history.jsonl").runs()
    assert [r.status for r in log] == ["failed", "succeeded"]


def test_make_demo_runs_the_demo(tmp_path):
    demo = subprocess.run(  # noqa: S603
        ["make", "-s", "demo", f"DEMO_ARGS=--folder {tmp_path / 'demo'}"],  # noqa: S607
        check=False,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )

    assert demo.returncode == 0, demo.stdout[-3000:] + demo.stderr[-3000:]
    assert "Second run: incremental" in demo.stdout
    matched = [line for line in demo.stdout.splitlines() if "match to the cent" in line]
    assert matched, demo.stdout[-2000:]
    runs = History(tmp_path / "demo" / "state" / "history.jsonl").runs()
    assert [r.status for r in runs] == ["succeeded", "succeeded"]
