"""The pipeline every acceptance test runs: `source-keap read` piped into `destination-xero write`.

Both connectors run as the console scripts Airbyte would run, joined by an OS pipe, against the
sandbox's Keap and Xero on loopback. A sync can be killed with SIGKILL at a chosen point (`Kill`),
as a crashed machine would kill it; the pipeline keeps, per stream, the last state the
destination echoed and resumes from it, as the Airbyte platform does. What lands in Xero is then
compared with what Keap holds, read from the sandbox's own model (`Pipeline.assert_exact`).
"""

from __future__ import annotations

import contextlib
import json
import re
import subprocess
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal

import pytest

from invoice_model import Money
from keap_xero_sandbox.faults import Fault
from keap_xero_sandbox.sandbox import Sandbox

BIN = Path(sys.executable).parent
PAYMENT_REFERENCE = re.compile(r"^Keap payment (\d+)\b")
ROOT = Path(__file__).resolve().parents[1]
# The catalog of sync mode 2 (invoices on updated_at, and payments), as the platform hands it to
# both connectors of a connection.
CATALOG = ROOT / "destination-xero" / "integration_tests" / "configured_catalog.json"
DESTINATION_SAMPLE = ROOT / "destination-xero" / "integration_tests" / "sample_config.json"
# Keap payments that are money received (a voided one is `NONE`, a pending charge `PENDING`).
RECEIVED = ("COMPLETED", "APPROVED")
XERO_API = "/api.xro/2.0/*"


def money(value: Any) -> Decimal:
    return Decimal(str(value))


def keap_total(order: dict[str, Any]) -> Decimal:
    value = order["total"]
    return Money.from_minor(value["amount"], value["currency_code"]).amount


def keap_kept(order: dict[str, Any]) -> Decimal:
    """What the customer paid and was not given back: Keap keeps `total_paid` when it refunds."""
    currency = order["total"]["currency_code"]
    paid, refunded = order["total_paid"]["amount"], order["refund_total"]["amount"]
    return Money.from_minor(paid - refunded, currency).amount


@dataclass(frozen=True)
class Kill:
    """Where a sync is killed with SIGKILL: the source once it has emitted `after` records; the
    destination once it has echoed `after` states; or the destination while Xero holds back the
    answer to its `after`-th call (carried out, the answer not back yet: `side="xero"`)."""

    side: Literal["source", "destination", "xero"]
    after: int

    def __str__(self) -> str:
        unit = {"source": "records", "destination": "state echoes", "xero": "Xero calls"}
        return f"{self.side} killed after {self.after} {unit[self.side]}"


@dataclass
class Sync:
    """One sync: what the source emitted and what the destination echoed."""

    records: list[dict[str, Any]]  # the source's RECORD messages
    source_states: list[dict[str, Any]]
    source_errors: list[dict[str, Any]]
    echoed: list[dict[str, Any]]  # the destination's STATE messages
    logs: list[str]
    errors: list[dict[str, Any]]  # the destination's error traces
    source_exit: int
    destination_exit: int
    # The configs each connector handed back in CONNECTOR_CONFIG control messages, in order.
    source_configs: list[dict[str, Any]] = field(default_factory=list)
    destination_configs: list[dict[str, Any]] = field(default_factory=list)

    def last_states(self) -> list[dict[str, Any]]:
        """The last echoed state of each stream: what the platform keeps for the next sync."""
        last = {state["stream"]["stream_descriptor"]["name"]: state for state in self.echoed}
        return list(last.values())

    @property
    def completed(self) -> bool:
        """Both connectors ended cleanly, as the platform counts a successful sync."""
        return (self.source_exit, self.destination_exit) == (0, 0) and not (
            self.errors or self.source_errors
        )


class Pipeline:
    """source-keap → destination-xero, configured against the sandbox."""

    # What the tests reach through the `pipeline` fixture (a test module cannot import conftest).
    Kill = Kill
    money = staticmethod(money)
    keap_total = staticmethod(keap_total)
    keap_kept = staticmethod(keap_kept)

    def __init__(self, sandbox: Sandbox, folder: Path) -> None:
        self.sandbox = sandbox
        self.folder = folder
        keap = sandbox.keap.credentials()
        xero = sandbox.xero.credentials()["custom_connection"]
        self.tenant_id = xero["tenant_id"]
        self.source_config = self._file(
            "source.json",
            {
                "credentials": {
                    "auth_type": "oauth2.0",
                    "client_id": keap["client_id"],
                    "client_secret": keap["client_secret"],
                    "refresh_token": keap["refresh_token"],
                },
                "start_from": {"start_type": "beginning"},
                "api_url": sandbox.url,
            },
        )
        # destination-xero's sample config, on the sandbox's custom connection.
        destination = json.loads(DESTINATION_SAMPLE.read_text())
        destination["credentials"] = {
            "auth_type": "custom_connection",
            "client_id": xero["client_id"],
            "client_secret": xero["client_secret"],
        }
        destination["advanced"] = {"api_base_url": sandbox.url, "identity_base_url": sandbox.url}
        self.destination_config = self._file("destination.json", destination)
        self.catalog = CATALOG
        self.syncs = 0
        # The last state the destination echoed for each stream, kept across syncs, failed ones
        # included, as the platform keeps it.
        self.states: dict[str, dict[str, Any]] = {}

    def use_xero_oauth_app(self) -> None:
        """destination-xero signs in with the sandbox's Xero OAuth app (a rotating refresh token)
        instead of its custom connection."""
        app = self.sandbox.xero.credentials()["oauth_app"]
        config = json.loads(self.destination_config.read_text())
        config["credentials"] = {
            "auth_type": "oauth2_app",
            "client_id": app["client_id"],
            "client_secret": app["client_secret"],
            "refresh_token": app["refresh_token"],
            "tenant_id": self.tenant_id,
        }
        self.destination_config.write_text(json.dumps(config))

    def on_cursor(self, cursor: str) -> None:
        """Syncs from now on read `invoices` on `cursor` (sync modes 1 to 3)."""
        catalog = json.loads(CATALOG.read_text())
        for configured in catalog["streams"]:
            if configured["stream"]["name"] == "invoices":
                configured["cursor_field"] = [cursor]
        self.catalog = self._file(f"catalog-{cursor}.json", catalog)

    def _file(self, name: str, content: Any) -> Path:
        path = self.folder / name
        path.write_text(json.dumps(content))
        return path

    def sync(self, state: list[dict[str, Any]] | None = None, kill: Kill | None = None) -> Sync:
        """Runs both connectors joined by a pipe, the way the platform does, and waits for both
        (killing one where `kill` says). The source's OAuth refresh token rotates on every sync;
        its CONNECTOR_CONFIG control message is applied to the config, as the platform would."""
        self.syncs += 1
        read = [str(BIN / "source-keap"), "read", "--config", str(self.source_config)]
        read += ["--catalog", str(self.catalog)]
        if state is not None:
            read += ["--state", str(self._file(f"state-{self.syncs}.json", state))]
        write = [str(BIN / "destination-xero"), "write", "--config", str(self.destination_config)]
        write += ["--catalog", str(self.catalog)]
        held = self._hold_xero_answer(kill.after) if kill and kill.side == "xero" else None
        tee = self.folder / f"source-{self.syncs}.jsonl"
        try:
            with tee.open("wb") as copy:
                source = subprocess.Popen(read, stdout=subprocess.PIPE)  # noqa: S603
                destination = subprocess.Popen(  # noqa: S603
                    write, stdin=subprocess.PIPE, stdout=subprocess.PIPE
                )
                output = _Relay(source, destination, copy, kill, held).run()
        finally:
            if held is not None:
                self.sandbox.faults.remove(held.id)
        return self._parse(tee.read_bytes(), output, source.returncode, destination.returncode)

    def run(self, kill: Kill | None = None) -> Sync:
        """One sync from the states kept so far; the states it echoed are kept."""
        done = self.sync(list(self.states.values()) or None, kill)
        for state in done.echoed:
            self.states[state["stream"]["stream_descriptor"]["name"]] = state
        return done

    def until_complete(self, limit: int = 6) -> list[Sync]:
        """Syncs from the kept states until one completes, as the platform retries."""
        syncs = [self.run()]
        while not syncs[-1].completed:
            assert len(syncs) < limit, "no sync completes:\n" + "\n".join(syncs[-1].logs[-10:])
            syncs.append(self.run())
        return syncs

    def _hold_xero_answer(self, call: int) -> Fault:
        """Xero carries out the destination's `call`-th call and holds back its answer, long
        enough for the destination to be killed waiting for it."""
        return self.sandbox.faults.add(
            api="xero", path=XERO_API, kind="latency", seconds=3, after=True, skip=call - 1
        )

    def _parse(self, emitted: bytes, echoed: bytes, source_exit: int, dest_exit: int) -> Sync:
        """The messages of both connectors; the configs they hand back are stored, as the
        platform stores them."""
        records, source_states, source_errors = [], [], []
        source_configs: list[dict[str, Any]] = []
        destination_configs: list[dict[str, Any]] = []
        for line in emitted.splitlines():
            message = _message(line)
            if message is None:
                continue  # the last line of a killed source may be cut short
            if message["type"] == "RECORD":
                records.append(message["record"])
            elif message["type"] == "STATE":
                source_states.append(message["state"])
            elif message["type"] == "TRACE" and message["trace"]["type"] == "ERROR":
                source_errors.append(message["trace"]["error"])
            elif message["type"] == "CONTROL":
                source_configs.append(_store(self.source_config, message))
        states, logs, errors = [], [], []
        for line in echoed.splitlines():
            message = _message(line)
            if message is None:
                continue
            if message["type"] == "STATE":
                states.append(message["state"])
            elif message["type"] == "LOG":
                logs.append(message["log"]["message"])
            elif message["type"] == "TRACE" and message["trace"]["type"] == "ERROR":
                errors.append(message["trace"]["error"])
            elif message["type"] == "CONTROL":
                destination_configs.append(_store(self.destination_config, message))
        return Sync(
            records,
            source_states,
            source_errors,
            states,
            logs,
            errors,
            source_exit,
            dest_exit,
            source_configs,
            destination_configs,
        )

    def xero(self) -> dict[str, Any]:
        return self.sandbox.xero.dump()["tenants"][self.tenant_id]

    def live_payments(self) -> dict[str, list[Decimal]]:
        """The amounts under which each Keap payment ID is in Xero (deleted payments left out)."""
        found: dict[str, list[Decimal]] = {}
        for payment in self.xero()["payments"]:
            match = PAYMENT_REFERENCE.match(payment.get("Reference") or "")
            if match and payment.get("Status") != "DELETED":
                found.setdefault(match[1], []).append(money(payment["Amount"]))
        return found

    def assert_books_match_keap(self, *syncs: Sync) -> None:
        """Xero holds every Keap invoice once, with its currency, total and amount paid (net of
        refunds) to the cent, and every payment received once (refunded and voided ones
        nowhere), each invoice's amount paid being the sum of them. Payments are judged by the
        latest record the source emitted of each."""
        orders = {o["invoice_id"]: o for o in self.sandbox.dump("keap")["orders"]}
        books = self.xero()
        numbers = Counter(invoice["InvoiceNumber"] for invoice in books["invoices"])
        assert set(numbers) == set(orders), "every Keap invoice, and nothing else, is in Xero"
        assert max(numbers.values()) == 1, "no invoice twice"
        for invoice in books["invoices"]:
            order = orders[invoice["InvoiceNumber"]]
            assert invoice["CurrencyCode"] == order["total"]["currency_code"]
            assert money(invoice["Total"]) == keap_total(order), invoice["InvoiceNumber"]
            assert money(invoice["AmountPaid"]) == keap_kept(order), invoice["InvoiceNumber"]

        payments = {
            r["data"]["source_id"]: r["data"]
            for sync in syncs
            for r in sync.records
            if r["stream"] == "payments"
        }
        received = {i: p for i, p in payments.items() if p["status"] == "completed"}
        in_xero = self.live_payments()
        assert set(in_xero) == set(received), "payments received land; refunded, voided do not"
        for payment_id, amounts in in_xero.items():
            assert amounts == [money(received[payment_id]["amount"])], f"payment {payment_id}"
        for invoice in books["invoices"]:
            paid = sum(
                (
                    money(p["amount"])
                    for p in received.values()
                    if p["invoice_source_invoice_id"] == invoice["InvoiceNumber"]
                ),
                Decimal(0),
            )
            assert money(invoice["AmountPaid"]) == paid, invoice["InvoiceNumber"]

    def assert_exact(self) -> None:
        """Xero's books against Keap's own, as the sandbox holds them (not as the source read
        them): every invoice once, with its currency, total and amount paid net of refunds to
        the cent; every payment received and not wholly refunded or voided exactly once, with
        the amount kept; no other payment of Keap's."""
        account = self.sandbox.keap.account
        with account.lock:
            orders = [o for o in account.orders if not _written_by_sync(o)]
            payments = list(account.payments)
        books = self.xero()
        numbers = Counter(i["InvoiceNumber"] for i in books["invoices"])
        assert sorted(numbers) == sorted(str(o.invoice_id) for o in orders), "every invoice"
        assert max(numbers.values(), default=1) == 1, "no invoice twice"
        by_number = {i["InvoiceNumber"]: i for i in books["invoices"]}
        wrong = {}
        for order in orders:
            invoice = by_number[str(order.invoice_id)]
            expected = (
                order.currency,
                Money.from_minor(order.total, order.currency).amount,
                Money.from_minor(order.total_paid - order.refund_total, order.currency).amount,
            )
            found = (
                invoice["CurrencyCode"],
                money(invoice["Total"]),
                money(invoice["AmountPaid"]),
            )
            if found != expected:
                wrong[order.invoice_id] = (found, expected)
        assert not wrong, f"invoices (currency, total, paid) in Xero vs Keap: {wrong}"
        kept = {
            str(p.id): [Money.from_minor(p.amount - p.refunded_amount, p.currency).amount]
            for p in payments
            if p.counts and p.status in RECEIVED and p.amount > p.refunded_amount
        }
        in_xero = self.live_payments()
        lost = sorted(set(kept) - set(in_xero), key=int)
        extra = sorted(set(in_xero) - set(kept), key=int)
        wrong_amounts = {
            i: (in_xero[i], kept[i]) for i in kept if in_xero.get(i, kept[i]) != kept[i]
        }
        assert (lost, extra, wrong_amounts) == ([], [], {}), (
            f"payments lost {lost}, not Keap's {extra}, amounts (Xero, Keap) {wrong_amounts}"
        )


class _Relay:
    """Carries the source's stdout into the destination's stdin, keeping a copy, while the
    destination's stdout is drained (a full pipe on either side would stall both); kills one
    of them where `kill` says."""

    def __init__(
        self,
        source: subprocess.Popen,
        destination: subprocess.Popen,
        copy: Any,
        kill: Kill | None,
        held: Fault | None,
    ) -> None:
        self.source, self.destination, self.copy = source, destination, copy
        self.kill, self.held = kill, held

    def run(self) -> bytes:
        drained: list[bytes] = []
        helpers = [threading.Thread(target=self._drain, args=(drained,))]
        if self.held is not None:
            helpers.append(threading.Thread(target=self._kill_once_held))
        for helper in helpers:
            helper.start()
        records = 0
        for line in self.source.stdout:
            self.copy.write(line)
            try:
                self.destination.stdin.write(line)
            except BrokenPipeError:  # the destination ended early: the platform stops the source
                self.source.kill()
                break
            if self._is(line, "RECORD"):
                records += 1
                if self.kill == Kill("source", records):
                    self.source.kill()
                    break
        with contextlib.suppress(BrokenPipeError):
            self.destination.stdin.close()
        self.source.wait(timeout=600)
        self.destination.wait(timeout=600)
        for helper in helpers:
            helper.join(timeout=60)
        return b"".join(drained)

    def _drain(self, drained: list[bytes]) -> None:
        echoes = 0
        for line in self.destination.stdout:
            drained.append(line)
            if self._is(line, "STATE"):
                echoes += 1
                if self.kill == Kill("destination", echoes):
                    self.destination.kill()

    def _kill_once_held(self) -> None:
        """Kills the destination while Xero holds back the answer to the chosen call."""
        assert self.held is not None
        while self.destination.poll() is None:
            if self.held.fired:
                self.destination.kill()
                return
            time.sleep(0.005)

    @staticmethod
    def _is(line: bytes, kind: str) -> bool:
        message = _message(line)
        return message is not None and message.get("type") == kind


def _store(path: Path, message: dict[str, Any]) -> dict[str, Any]:
    """Applies a CONNECTOR_CONFIG control message to a connector's config file; returns it."""
    config = json.loads(path.read_text())
    config.update(message["control"]["connectorConfig"]["config"])
    path.write_text(json.dumps(config))
    return config


def _message(line: bytes) -> dict[str, Any] | None:
    try:
        message = json.loads(line)
    except ValueError:
        return None
    return message if isinstance(message, dict) else None


def _written_by_sync(order: Any) -> bool:
    """An order destination-keap wrote (its Xero Invoice ID custom field is set)."""
    return any(value not in (None, "") for value in order.custom_fields.values())


@pytest.fixture
def pipeline(sandbox: Sandbox, tmp_path: Path) -> Pipeline:
    return Pipeline(sandbox, tmp_path)


@pytest.fixture
def seeded(sandbox: Sandbox) -> dict[str, Any]:
    """A realistic Keap account: paid, partly paid, refunded and voided orders, payment plans,
    subscriptions, discounts, shipping, fees, tax, and orders in USD, EUR, GBP and JPY."""
    return sandbox.seed(
        keap={
            "orders": 150,
            "contacts": 40,
            "currencies": {"USD": 0.7, "EUR": 0.1, "GBP": 0.1, "JPY": 0.1},
        }
    )["keap"]
