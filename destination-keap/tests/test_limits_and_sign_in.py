"""Keap's throttles (spike arrest, per minute) waited out; its daily quota ending the sync cleanly
with when to resume, the replay writing nothing twice; OAuth's rotating refresh tokens handed
back, and a revoked one reported on the field to fix."""

from __future__ import annotations

import datetime as dt
import json
import re
import subprocess
import sys
from pathlib import Path

from airbyte_cdk.models import AirbyteMessageSerializer, FailureType, Level

ORDERS = "/crm/rest/v2/orders"


def test_throttled_calls_are_waited_out_and_the_wait_is_reported(keap, kit):
    keap.sandbox.faults.add(api="keap", method="POST", path=ORDERS, status=429, count=2)
    written = kit.write(keap.config(), kit.sync([kit.invoice(1)]), ["invoices"])

    assert written.error is None
    assert len(keap.orders()) == 1
    assert keap.calls("POST", "orders", status=429) == 2
    [progress] = [m for m in written.logs(Level.INFO) if m.startswith("Keap: flushed")]
    waited = float(re.search(r"([0-9.]+) s waited", progress)[1])
    assert waited >= 1 + 1  # two backoffs, each at least the CDK's extra second


def test_the_spike_arrest_is_never_reached(keap, kit):
    """An API key may make 10 calls a second: the client paces itself below that."""
    records = [kit.invoice(n, contact_n=n) for n in range(12)]
    written = kit.write(keap.config(), kit.sync(records), ["invoices"])

    assert written.error is None
    assert keap.calls(status=429) == 0
    assert keap.calls() > 30


def test_a_spent_daily_quota_stops_cleanly_and_the_next_sync_resumes(keap, kit):
    records = [kit.invoice(n, contact_n=0) for n in range(6)]
    messages = kit.sync(records, state_every=2)
    # Profile, custom fields, products, one order and contact look-up each, one contact, and
    # the first two orders: the quota runs out in the second flush.
    keap.emulator.limits.configure("key_day", 10)
    stopped = kit.write(keap.config(), messages, ["invoices"])

    assert stopped.error is not None
    assert stopped.error.failure_type == FailureType.transient_error
    midnight = (keap.sandbox.clock.now() + dt.timedelta(days=1)).date().isoformat()
    assert stopped.error.message == (
        "Keap's daily API quota of 10 calls (product-quota) is used up until "
        f"{midnight}T00:00:00.000Z. Every record up to the last state message is written; run "
        f"the sync again after {midnight}T00:00:00.000Z."
    )
    assert [s.destinationStats.recordCount for s in stopped.states] == [2]
    assert stopped.logs(Level.WARN)[-1].startswith("Keap: stopped; invoices: 2 created")
    written_before = set(keap.orders())
    assert keap.calls(status=429) == 1  # nothing is sent once the quota is known to be spent

    keap.emulator.limits.configure("key_day", 30_000)
    resumed = kit.write(keap.config(), messages, ["invoices"])

    assert resumed.error is None
    assert sorted(keap.orders()) == sorted(r["source_id"] for r in records)
    assert written_before <= set(keap.orders())
    assert len(keap.contacts()) == 1


def test_oauth_hands_back_each_rotated_refresh_token(keap, kit, capsys):
    config = keap.config("oauth2.0")
    first_token = config["credentials"]["refresh_token"]

    written = kit.write(config, kit.sync([kit.invoice(1)]), ["invoices"])

    assert written.error is None
    controls = [
        json.loads(line) for line in capsys.readouterr().out.splitlines() if '"CONTROL"' in line
    ]
    [control] = controls
    handed_back = control["control"]["connectorConfig"]["config"]["credentials"]
    assert handed_back["refresh_token"] not in ("", first_token)
    assert config["credentials"]["refresh_token"] == handed_back["refresh_token"]

    stale = keap.config("oauth2.0")  # the spent refresh token
    refused = kit.write(stale, kit.sync([kit.invoice(2)]), ["invoices"])
    assert refused.error.failure_type == FailureType.config_error
    assert refused.error.message.startswith(
        "Config field 'credentials.refresh_token': Keap rejected the refresh token"
    )
    assert "re-authenticate the destination" in refused.error.message

    again = kit.write(config, kit.sync([kit.invoice(2)]), ["invoices"])
    assert again.error is None
    assert len(keap.orders()) == 2


def test_a_token_revoked_during_a_sync_ends_it_on_the_credential(keap, kit):
    config = keap.config("oauth2.0")
    assert kit.write(config, kit.sync([kit.invoice(1)]), ["invoices"]).error is None
    # The user removes the app's access in Keap: its tokens stop working.
    keap.emulator.auth.revoke(config["credentials"]["access_token"])
    keap.emulator.auth.revoke(config["credentials"]["refresh_token"])

    refused = kit.write(config, kit.sync([kit.invoice(2)]), ["invoices"])

    assert refused.error.failure_type == FailureType.config_error
    assert refused.error.message.startswith(
        "Config field 'credentials.refresh_token': Keap rejected the refresh token (it accepts "
        "the app's client ID and secret)"
    )
    assert list(keap.orders()) == [kit.xero_id(1)]
    assert keap.calls("POST", "orders", status=201) == 1


def test_the_console_script_hands_back_the_token_and_logs_no_secret(keap, kit, tmp_path):
    """`destination-keap write` as the platform runs it: the rotated refresh token only in the
    CONTROL message, no secret anywhere else in its output."""
    config = keap.config("oauth2.0")
    (tmp_path / "config.json").write_text(json.dumps(config))
    catalog = Path(__file__).parents[1] / "integration_tests" / "configured_catalog.json"
    messages = kit.sync([kit.invoice(1), kit.invoice(2, currency="EUR")])
    lines = [json.dumps(AirbyteMessageSerializer.dump(m)) for m in messages]

    done = subprocess.run(  # noqa: S603 (the connector's own console script, loopback only)
        [
            str(Path(sys.executable).with_name("destination-keap")),
            "write",
            "--config",
            str(tmp_path / "config.json"),
            "--catalog",
            str(catalog),
        ],
        input="\n".join(lines) + "\n",
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    out = done.stdout.splitlines()
    [control] = [json.loads(line) for line in out if '"CONTROL"' in line]
    rotated = control["control"]["connectorConfig"]["config"]["credentials"]
    assert rotated["refresh_token"] != config["credentials"]["refresh_token"]
    secrets = [
        config["credentials"]["client_secret"],
        config["credentials"]["refresh_token"],
        rotated["refresh_token"],
        rotated["access_token"],
    ]
    others = [line for line in out if '"CONTROL"' not in line] + done.stderr.splitlines()
    assert not [line for line in others if any(secret in line for secret in secrets)]
    assert any('"STATE"' in line for line in out)
    assert len(keap.orders()) == 1
