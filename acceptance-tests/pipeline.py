"""`source-keap read` piped into `destination-xero write`, both run as the console scripts the
platform runs, against a sandbox on loopback.

A sync can be killed with SIGKILL at a chosen point (`Kill`), as a crashed machine would kill it;
`run` keeps, per stream, the last state the destination echoed and resumes from it, and each
connector's config takes the configs it hands back (CONNECTOR_CONFIG), as the Airbyte platform
does. `books` reconciles what lands in Xero with what Keap holds.
"""

from __future__ import annotations

import contextlib
import json
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal

from keap_xero_sandbox.faults import Fault
from keap_xero_sandbox.sandbox import Sandbox

BIN = Path(sys.executable).parent
ROOT = Path(__file__).resolve().parents[1]
# The catalog of sync mode 2 (invoices on updated_at, and payments), as the platform hands it to
# both connectors of a connection.
CATALOG = ROOT / "destination-xero" / "integration_tests" / "configured_catalog.json"
DESTINATION_SAMPLE = ROOT / "destination-xero" / "integration_tests" / "sample_config.json"
XERO_API = "/api.xro/2.0/*"


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
    echoed: list[dict[str, Any]]  # the destination's STATE messages
    logs: list[str]
    errors: list[dict[str, Any]]  # the destination's error traces
    source_exit: int
    destination_exit: int
    source_errors: list[dict[str, Any]]
    # The configs each connector handed back in CONNECTOR_CONFIG control messages, in order.
    source_configs: list[dict[str, Any]] = field(default_factory=list)
    destination_configs: list[dict[str, Any]] = field(default_factory=list)

    def last_states(self) -> list[dict[str, Any]]:
        """The last echoed state of each stream: what the platform keeps for the next sync."""
        last = {state["stream"]["stream_descriptor"]["name"]: state for state in self.echoed}
        return list(last.values())

    @property
    def rejections(self) -> list[str]:
        """The destination's warnings about records it rejected."""
        return [line for line in self.logs if ": rejected: " in line]

    @property
    def completed(self) -> bool:
        """Both connectors ended cleanly, as the platform counts a successful sync."""
        return (self.source_exit, self.destination_exit) == (0, 0) and not (
            self.errors or self.source_errors
        )


class Pipeline:
    """source-keap → destination-xero, configured against the sandbox: by default with Keap's
    default OAuth client and refresh token, from the beginning, into the custom connection's
    organisation, on the catalog of sync mode 2."""

    def __init__(
        self,
        sandbox: Sandbox,
        folder: Path,
        *,
        start_from: dict[str, Any] | None = None,
        keap_refresh_token: str | None = None,
        xero_connection: dict[str, str] | None = None,
    ) -> None:
        self.sandbox = sandbox
        self.folder = folder
        keap = sandbox.keap.connector_credentials()
        if keap_refresh_token:
            keap["refresh_token"] = keap_refresh_token
        xero = xero_connection or sandbox.xero.credentials()["custom_connection"]
        self.tenant_id = xero["tenant_id"]
        self.source_config = self._file(
            "source.json",
            {
                "credentials": keap,
                "start_from": start_from or {"start_type": "beginning"},
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
        # included, as the platform keeps it (see `run`).
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
        self.use_catalog(catalog)

    def use_catalog(self, catalog: dict[str, Any]) -> None:
        """Syncs from now on run this configured catalog."""
        self.catalog = self._file(f"catalog-{self.syncs}.json", catalog)

    def configure_destination(self, **changes: Any) -> None:
        config = json.loads(self.destination_config.read_text())
        config.update(changes)
        self.destination_config.write_text(json.dumps(config))

    def with_api_key(self) -> None:
        """The source signs in with a Personal Access Token instead of OAuth: a sync killed
        while Keap rotates its single-use refresh token (before the source could hand the new
        one back) would lose the connection's sign-in, which is not what kill tests are about.
        """
        config = json.loads(self.source_config.read_text())
        token = self.sandbox.keap.credentials()["personal_access_token"]
        config["credentials"] = {"auth_type": "api_key", "api_key": token}
        self.source_config.write_text(json.dumps(config))

    def _file(self, name: str, content: Any) -> Path:
        path = self.folder / name
        path.write_text(json.dumps(content))
        return path

    def sync(self, state: list[dict[str, Any]] | None = None, kill: Kill | None = None) -> Sync:
        """Runs both connectors joined by a pipe, the way the platform does, and waits for both
        (killing one where `kill` says). OAuth refresh tokens rotate; the CONNECTOR_CONFIG
        control messages of either connector are applied to its config, as the platform would."""
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
                relay = _Relay(source, destination, copy, kill, held)
                output = relay.run()
        finally:
            if held is not None:
                self.sandbox.faults.remove(held.id)
        return self._parse(
            tee.read_bytes(), relay.unforwarded, output, source.returncode, destination.returncode
        )

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

    def _parse(
        self, emitted: bytes, unforwarded: bytes, echoed: bytes, source_exit: int, dest_exit: int
    ) -> Sync:
        """The messages of both connectors; the configs they hand back are stored, as the
        platform stores them, the source's also from what it wrote after it was stopped (which
        never reached the destination)."""
        source, destination = list(_messages(emitted)), list(_messages(echoed))
        handed_back = [m for m in source + list(_messages(unforwarded)) if m["type"] == "CONTROL"]
        return Sync(
            records=[m["record"] for m in source if m["type"] == "RECORD"],
            source_states=[m["state"] for m in source if m["type"] == "STATE"],
            echoed=[m["state"] for m in destination if m["type"] == "STATE"],
            logs=[m["log"]["message"] for m in destination if m["type"] == "LOG"],
            errors=_errors(destination),
            source_exit=source_exit,
            destination_exit=dest_exit,
            source_errors=_errors(source),
            source_configs=[_store(self.source_config, m) for m in handed_back],
            destination_configs=[
                _store(self.destination_config, m) for m in destination if m["type"] == "CONTROL"
            ],
        )

    def xero(self) -> dict[str, Any]:
        return self.sandbox.xero.dump()["tenants"][self.tenant_id]

    def keap_sale(self, paid: Decimal = Decimal(100)) -> tuple[Any, Any]:
        """A one-line $100 order of the first contact, made now with no due date, and a cheque
        of `paid` for it (in full by default): the order and the payment, as Keap holds them."""
        account = self.sandbox.keap.account
        with account.lock:
            order = account.create_order(
                {
                    "contact_id": next(iter(account.contacts)).id,
                    "order_title": "Counter sale",
                    "order_type": "OFFLINE",
                    "order_time": account.now(),
                    "order_items": [
                        {
                            "item_type": "OTHER",
                            "name": "Consulting",
                            "quantity": 1,
                            "price_per_unit": Decimal(100),
                        }
                    ],
                }
            )
            payment = account.record_payment(
                order.id,
                {
                    "payment_amount": paid,
                    "payment_method_type": "Check",
                    "apply_to_commissions": False,
                },
            )
        return order, payment

    def keap_refund(self, payment: Any, minor_units: int | None = None) -> None:
        """Gives back `minor_units` of a Keap payment (all that is left by default)."""
        account = self.sandbox.keap.account
        with account.lock:
            account.refund_payment(payment.id, minor_units)


class _Relay:
    """Carries the source's stdout into the destination's stdin, keeping a copy, while the
    destination's stdout is drained (a full pipe on either side would stall both); kills one
    of them where `kill` says."""

    def __init__(
        self,
        source: subprocess.Popen,
        destination: subprocess.Popen,
        copy: Any,
        kill: Kill | None = None,
        held: Fault | None = None,
    ) -> None:
        self.source, self.destination, self.copy = source, destination, copy
        self.kill, self.held = kill, held
        self.unforwarded = b""

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
                self.source.terminate()
                break
            if _is(line, "RECORD"):
                records += 1
                if self.kill == Kill("source", records):
                    self.source.kill()
                    break
        with contextlib.suppress(BrokenPipeError):
            self.destination.stdin.close()
        # What the source wrote before it was stopped never reaches the destination, but the
        # platform still reads it: a CONTROL message with a rotated refresh token among it.
        self.unforwarded = self.source.stdout.read()
        self.source.wait(timeout=600)
        self.destination.wait(timeout=600)
        for helper in helpers:
            helper.join(timeout=60)
        return b"".join(drained)

    def _drain(self, drained: list[bytes]) -> None:
        echoes = 0
        for line in self.destination.stdout:
            drained.append(line)
            if _is(line, "STATE"):
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


def _is(line: bytes, kind: str) -> bool:
    message = _message(line)
    return message is not None and message.get("type") == kind


def _messages(output: bytes) -> Iterator[dict[str, Any]]:
    """A connector's messages; a line that is not one (the last line of a killed connector may
    be cut short) is passed over."""
    for line in output.splitlines():
        message = _message(line)
        if message is not None:
            yield message


def _message(line: bytes) -> dict[str, Any] | None:
    try:
        message = json.loads(line)
    except ValueError:
        return None
    return message if isinstance(message, dict) and "type" in message else None


def _errors(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The error traces among a connector's messages."""
    return [
        m["trace"]["error"]
        for m in messages
        if m["type"] == "TRACE" and m["trace"]["type"] == "ERROR"
    ]


def _store(config: Path, message: dict[str, Any]) -> dict[str, Any]:
    """Applies a CONNECTOR_CONFIG control message to a connector's config file; returns the
    config stored."""
    stored = json.loads(config.read_text())
    stored.update(message["control"]["connectorConfig"]["config"])
    config.write_text(json.dumps(stored))
    return stored
