"""When things go wrong: 429 and 5xx storms, dropped connections, a crash mid-sync and its
replay, token rotation and expiry, the daily limit, and pacing under the minute limit.

Whatever happens, the organisation ends with exactly one of everything.
"""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any

import pytest
from airbyte_cdk.models import AirbyteMessage, AirbyteMessageSerializer, FailureType, Type

if TYPE_CHECKING:
    from conftest import MakeConfig, XeroUser

    from keap_xero_sandbox.sandbox import Sandbox

INVOICES = 60
BATCH = 30


def records(kit: SimpleNamespace) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """60 paid invoices over 20 contacts, and their payments."""
    invoices = [kit.invoice(n, contact=n % 20) for n in range(INVOICES)]
    return invoices, [kit.payment(n) for n in range(INVOICES)]


def assert_exactly_one_of_everything(xero: XeroUser) -> None:
    books = xero.books()
    numbers = [i["InvoiceNumber"] for i in books["invoices"]]
    assert sorted(numbers) == sorted(f"{5_000 + n}" for n in range(INVOICES))
    live = [p for p in books["payments"] if p["Status"] != "DELETED"]
    assert sorted(p["Reference"].split(" · ")[0] for p in live) == sorted(
        f"Keap payment {7_000 + n}" for n in range(INVOICES)
    )
    assert len(books["contacts"]) == 20
    assert {i["Status"] for i in books["invoices"]} == {"PAID"}


def after_last_state(messages: list[AirbyteMessage], echoed: int) -> list[AirbyteMessage]:
    """What the platform replays once `echoed` states were acknowledged: what follows them."""
    if echoed == 0:
        return messages
    states = [i for i, m in enumerate(messages) if m.type == Type.STATE]
    return messages[states[echoed - 1] + 1 :]


def test_a_429_storm_is_waited_out_as_retry_after_says(
    kit: SimpleNamespace, sandbox: Sandbox, sandbox_config: MakeConfig, xero: XeroUser
) -> None:
    sandbox.faults.add(
        api="xero", path="/api.xro/2.0/Invoices", status=429, count=2, headers={"Retry-After": "1"}
    )
    invoices, payments = records(kit)
    written = kit.write(sandbox_config(), kit.sync(invoices, payments, state_every=BATCH))
    assert written.error is None
    assert sandbox.stats.count("xero", status=429) == 2
    assert_exactly_one_of_everything(xero)


def test_no_call_goes_to_the_organisation_before_retry_after_has_passed(
    kit: SimpleNamespace, sandbox: Sandbox, sandbox_config: MakeConfig, xero: XeroUser
) -> None:
    wait = 2
    sandbox.faults.add(
        api="xero",
        method="PUT",
        path="/api.xro/2.0/Invoices",
        status=429,
        headers={"Retry-After": str(wait)},
    )
    invoices = [kit.invoice(n) for n in range(10)]  # one batch: no call in flight beside it
    written = kit.write(sandbox_config(), kit.sync(invoices, [kit.payment(n) for n in range(10)]))
    assert written.error is None
    calls = [c for c in sandbox.stats.calls("xero") if c.path.startswith("/api.xro/2.0/")]
    [refused] = [n for n, c in enumerate(calls) if c.status == 429]
    refused_at = dt.datetime.fromisoformat(calls[refused].at)
    after = calls[refused + 1 :]
    # Calls go out again once the wait is over: the refused batch, then the payments.
    assert [(c.method, c.endpoint, c.status) for c in after] == [
        ("PUT", "/api.xro/2.0/Invoices", 200),
        ("PUT", "/api.xro/2.0/Payments", 200),
    ]
    # ... and not before (a lower bound only: how much longer it takes is not the point).
    assert all(
        dt.datetime.fromisoformat(c.at) - refused_at >= dt.timedelta(seconds=wait) for c in after
    )
    assert len(xero.invoices()) == 10


def test_5xx_and_dropped_connections_are_retried_without_writing_twice(
    kit: SimpleNamespace, sandbox: Sandbox, sandbox_config: MakeConfig, xero: XeroUser
) -> None:
    sandbox.faults.add(api="xero", method="PUT", path="/api.xro/2.0/Invoices", status=503, count=2)
    sandbox.faults.add(api="xero", method="PUT", path="/api.xro/2.0/Payments", kind="drop")
    sandbox.faults.add(api="xero", method="GET", path="/api.xro/2.0/*", status=500, count=2)
    invoices, payments = records(kit)
    written = kit.write(sandbox_config(), kit.sync(invoices, payments, state_every=BATCH))
    assert written.error is None
    assert sandbox.stats.count("xero", status=503) == 2
    assert sandbox.stats.count("xero", method="GET", status=500) == 2
    assert_exactly_one_of_everything(xero)


@pytest.mark.parametrize(
    "lost", [{"kind": "drop"}, {"status": 503}], ids=["connection dropped", "503"]
)
def test_a_batch_whose_answer_is_lost_after_xero_wrote_it_is_retried_under_the_same_key(
    kit: SimpleNamespace,
    sandbox: Sandbox,
    sandbox_config: MakeConfig,
    xero: XeroUser,
    lost: dict[str, Any],
) -> None:
    # Xero writes the first batch of invoices, and its answer never reaches the connector.
    sandbox.faults.add(api="xero", method="PUT", path="/api.xro/2.0/Invoices", after=True, **lost)
    invoices, payments = records(kit)
    written = kit.write(sandbox_config(), kit.sync(invoices, payments, state_every=BATCH))
    assert written.error is None
    # The retry carried the same Idempotency-Key: Xero replayed its first answer instead of
    # refusing 30 duplicate invoice numbers, so the connector learnt every InvoiceID.
    assert written.warnings == []
    assert f"invoices: {INVOICES} created, 0 updated" in written.summary
    assert f"payments: {INVOICES} created, 0 updated" in written.summary
    assert kit.calls(sandbox, "PUT", "/Invoices") == INVOICES // BATCH + 1
    assert_exactly_one_of_everything(xero)


def test_a_sync_failing_mid_batch_and_replayed_from_its_last_state_writes_everything_once(
    kit: SimpleNamespace, sandbox: Sandbox, sandbox_config: MakeConfig, xero: XeroUser
) -> None:
    invoices, payments = records(kit)
    # Each batch holds invoices and their payments, then one state, as a source reading orders
    # with their payments would send them.
    messages: list[AirbyteMessage] = []
    for start in range(0, INVOICES, BATCH):
        messages += [kit.record("invoices", i) for i in invoices[start : start + BATCH]]
        messages += [kit.record("payments", p) for p in payments[start : start + BATCH]]
        messages.append(kit.state("invoices", f"{start + BATCH:06d}"))
    config = sandbox_config()

    def source() -> Iterator[AirbyteMessage]:
        states = 0
        for message in messages:
            yield message
            states += message.type == Type.STATE
            if states == 1:
                # From the second batch on, Xero refuses payments: the sync dies mid-batch,
                # after the batch's invoices are written.
                sandbox.faults.add(
                    api="xero", method="PUT", path="/api.xro/2.0/Payments", status=403, count=None
                )
                states += 1

    first = kit.write(config, source())
    assert first.error is not None
    echoed = len(first.states)
    assert echoed == 1
    assert len(xero.invoices()) == INVOICES  # the second batch's invoices made it
    assert len(xero.books()["payments"]) == BATCH

    sandbox.faults.clear()
    replay = kit.write(config, after_last_state(messages, echoed))
    assert replay.error is None
    assert "invoices: 0 created, 0 updated, 30 unchanged" in replay.summary
    assert_exactly_one_of_everything(xero)


def test_a_killed_connector_replayed_from_its_last_echoed_state_writes_everything_once(
    kit: SimpleNamespace, sandbox_config: MakeConfig, xero: XeroUser, tmp_path: Path
) -> None:
    invoices, payments = records(kit)
    messages = kit.sync(invoices, payments, state_every=BATCH)
    config_path = tmp_path / "config.json"
    config_path.write_text(json.dumps(sandbox_config()))
    catalog_path = tmp_path / "catalog.json"
    catalog_path.write_text(json.dumps(_catalog_json()))
    command = [
        _console_script(),
        "write",
        "--config",
        str(config_path),
        "--catalog",
        str(catalog_path),
    ]

    process = subprocess.Popen(  # noqa: S603 (the connector's own console script)
        command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    assert process.stdin is not None
    assert process.stdout is not None
    first_state = next(i for i, m in enumerate(messages) if m.type == Type.STATE)
    for message in messages[: first_state + 1]:
        process.stdin.write(_line(message))
    process.stdin.flush()
    echoed = 0
    for line in process.stdout:
        if '"type":"STATE"' in line:
            echoed += 1
            break
    # Everything else goes in, and the connector is killed wherever it has got to.
    for message in messages[first_state + 1 :]:
        process.stdin.write(_line(message))
    process.stdin.flush()
    process.kill()
    process.wait(timeout=10)
    echoed += sum(1 for line in process.stdout if '"type":"STATE"' in line)

    subprocess.run(  # noqa: S603
        command,
        input="".join(_line(m) for m in after_last_state(messages, echoed)),
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    assert_exactly_one_of_everything(xero)


def test_rotated_refresh_tokens_are_handed_back_and_a_401_refreshes_once(
    kit: SimpleNamespace,
    sandbox: Sandbox,
    sandbox_config: MakeConfig,
    xero: XeroUser,
    capsys: pytest.CaptureFixture[str],
) -> None:
    config = sandbox_config(oauth=True)
    original = json.loads(json.dumps(config))
    invoices, payments = records(kit)

    def source() -> Iterator[AirbyteMessage]:
        for message in kit.sync(invoices, payments, state_every=BATCH):
            yield message
            if message.type == Type.STATE:
                # Xero's clock is ahead of ours: every access token dies between batches.
                sandbox.xero.identity.expire_access_tokens()

    written = kit.write(config, source())
    assert written.error is None
    assert_exactly_one_of_everything(xero)
    assert sandbox.stats.count("xero", status=401) >= 1
    handed_back = [
        json.loads(line)["control"]["connectorConfig"]["config"]
        for line in capsys.readouterr().out.splitlines()
        if '"CONNECTOR_CONFIG"' in line
    ]
    assert len(handed_back) == sandbox.stats.count("xero", endpoint="/connect/token")
    tokens = [c["credentials"]["refresh_token"] for c in handed_back]
    assert len(set(tokens)) == len(tokens)
    assert original["credentials"]["refresh_token"] not in tokens
    assert config["credentials"]["refresh_token"] == tokens[-1]

    # Half an hour later the spent token is dead; the handed-back one works.
    sandbox.clock.advance(31 * 60)
    stale = kit.write(original, kit.sync(invoices[:1]))
    assert stale.error is not None
    assert stale.error.failure_type == FailureType.config_error
    assert "'credentials.refresh_token'" in (stale.error.message or "")
    assert kit.write(handed_back[-1], kit.sync(invoices[:1])).error is None


def test_the_daily_limit_stops_cleanly_and_says_when_to_resume(
    kit: SimpleNamespace, sandbox: Sandbox, sandbox_config: MakeConfig, xero: XeroUser
) -> None:
    invoices, payments = records(kit)
    messages = kit.sync(invoices, payments, state_every=BATCH)
    config = sandbox_config()
    # 3 calls to read the books, 3 for the first batch (read contacts, create them, create
    # its invoices): the second batch's invoices hit the limit.
    sandbox.xero.limits.configure("day", 6)
    first = kit.write(config, messages)
    assert first.error is not None
    assert first.error.failure_type == FailureType.transient_error
    assert "daily call limit" in (first.error.message or "")
    assert "run the sync again after" in (first.error.message or "")
    assert "(in 24.0 h)" in (first.error.message or "")
    assert len(first.states) == 1
    assert len(xero.invoices()) == BATCH

    sandbox.xero.limits.configure("day", 5_000)
    replay = kit.write(config, after_last_state(messages, len(first.states)))
    assert replay.error is None
    assert_exactly_one_of_everything(xero)


def test_calls_are_paced_within_the_minute_limit(
    kit: SimpleNamespace, sandbox: Sandbox, sandbox_config: MakeConfig, xero: XeroUser
) -> None:
    sandbox.xero.limits.configure("minute", 6, 60)
    sandbox.clock.set_speed(60)  # a minute of Xero's time is a second of ours
    invoices, payments = records(kit)
    written = kit.write(sandbox_config(), kit.sync(invoices, payments, state_every=BATCH))
    assert written.error is None
    assert_exactly_one_of_everything(xero)
    accepted = sandbox.stats.count("xero") - sandbox.stats.count("xero", status=429)
    # Pacing sends one call alone into a spent window, so at most one is refused per window.
    assert sandbox.stats.count("xero", status=429) <= accepted // 6 + 1


def _line(message: AirbyteMessage) -> str:
    return json.dumps(AirbyteMessageSerializer.dump(message)) + "\n"


def _catalog_json() -> dict[str, Any]:
    return json.loads(
        (Path(__file__).parents[1] / "integration_tests" / "configured_catalog.json").read_text()
    )


def _console_script() -> str:
    return str(Path(sys.executable).with_name("destination-xero"))
