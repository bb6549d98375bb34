"""The launcher: a connector run as its console script would run it, its rotated configs journaled
before they leave the process, its calls and records counted."""

from __future__ import annotations

import io
import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

from invoice_sync.configs import RotationJournal
from invoice_sync.launcher import JournaledOutput, Report, write_script
from invoice_sync.sandbox import keap_config

CONTROL = {
    "type": "CONTROL",
    "control": {
        "type": "CONNECTOR_CONFIG",
        "emitted_at": 1.0,
        "connectorConfig": {"config": {"credentials": {"refresh_token": "new"}}},
    },
}


class GonePipe(io.StringIO):
    """Standard output whose reader has died."""

    def write(self, text: str) -> int:
        raise BrokenPipeError


def test_a_rotated_config_is_journaled_before_it_is_passed_on():
    seen: list[dict[str, Any]] = []
    output = JournaledOutput(GonePipe(), seen.append)

    with pytest.raises(BrokenPipeError):
        output.write(json.dumps(CONTROL, separators=(",", ":")) + "\n")

    assert seen == [{"credentials": {"refresh_token": "new"}}]


def test_lines_pass_on_whole_and_records_are_counted_per_stream():
    stream = io.StringIO()
    output = JournaledOutput(stream, lambda config: None)
    record = '{"type":"RECORD","record":{"stream":"invoices","data":{}}}'

    output.write(record[:20])
    assert stream.getvalue() == "", "half a line waits for its end"
    output.write(record[20:])
    output.write("\n" + record.replace("invoices", "payments") + "\n")
    output.write('{"type":"LOG","log":{"level":"INFO","message":"x"}}')
    output.close()

    assert stream.getvalue().count("\n") == 2
    assert stream.getvalue().endswith('"x"}}')
    assert dict(output.records) == {"invoices": 1, "payments": 1}


def test_a_connector_run_through_its_script(sandbox, tmp_path):
    sandbox.seed(keap={"orders": 12, "contacts": 5})
    credentials = sandbox.keap.credentials()
    account = tmp_path / "keap.json"
    account.write_text(json.dumps(keap_config(sandbox)))
    given = tmp_path / "given.json"  # as PyAirbyte writes it, with the runner's settings
    given.write_text(
        json.dumps(json.loads(account.read_text()) | {"start_from": {"start_type": "beginning"}})
    )
    journal, reports = tmp_path / "rotations.jsonl", tmp_path / "reports"
    script = write_script(
        tmp_path / "bin",
        "source-keap",
        "--config-file",
        str(account),
        "--journal",
        str(journal),
        "--reports",
        str(reports),
    )
    catalog = Path(__file__).parents[2] / "source-keap/integration_tests/configured_catalog.json"

    output = subprocess.run(  # noqa: S603
        [str(script), "read", "--config", str(given), "--catalog", str(catalog)],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )

    messages = [json.loads(line) for line in output.stdout.splitlines()]
    records = [m["record"]["stream"] for m in messages if m["type"] == "RECORD"]
    assert records.count("invoices") > 0
    [entry] = [json.loads(line) for line in journal.read_text().splitlines()]
    assert entry["connector"] == "source-keap"
    assert set(entry["changes"]) == {"credentials"}, "only what the connector changed"
    assert entry["changes"]["credentials"]["refresh_token"] != credentials["refresh_token"]
    assert RotationJournal(journal).settle() == ["source-keap"]
    assert "start_from" not in json.loads(account.read_text())
    [report] = Report.collect(reports)
    assert report.command == "read"
    assert sum(report.calls.values()) == sandbox.stats.count("keap")
    assert report.records == {s: records.count(s) for s in set(records)}
