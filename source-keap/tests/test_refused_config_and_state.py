"""What the command line refuses before it reads anything: a config that breaks the spec, named by
field and fix; a base URL a connector must never call; a saved state it cannot use, saying what
is wrong with it and how to start again. Through the connector's own entrypoint, as `source-keap`
runs it.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from airbyte_cdk.models import FailureType
from airbyte_cdk.utils.traced_exception import AirbyteTracedException
from hypothesis import example, given, settings

from invoice_model.connector.entrypoint import SourceEntrypoint
from invoice_model.connector.spec import check_config
from keap_xero_sandbox.config_fuzz import (
    JSONSCHEMA_WORDS,
    assert_told_by_field,
    changed,
    changes,
)
from source_keap import SourceKeap
from source_keap.config import KeapConfig


def _run(command: str, tmp_path: Path, config: dict[str, Any], **files: Any) -> list[dict]:
    """`source-keap <command>` in-process through its entrypoint; the messages it prints."""
    paths = {"config": config, **files}
    arguments = [command]
    for name, content in paths.items():
        path = tmp_path / f"{name}.json"
        path.write_text(content if isinstance(content, str) else json.dumps(content))
        arguments += [f"--{name}", str(path)]
    entrypoint = SourceEntrypoint(SourceKeap())
    return [json.loads(line) for line in entrypoint.run(entrypoint.parse_args(arguments))]


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (
            {"start_from": {"start_type": "invoice_id", "invoice_id": ""}},
            "Config field 'start_from.invoice_id': '' is not in the form this field takes; set "
            "it to: Invoice ID, the Keap invoice ID to start from (a different number from its "
            "order ID): its order and every order created after it, e.g. '2087'",
        ),
        (
            {"credentials": {"auth_type": "api_key"}},
            "Config field 'credentials.api_key': is missing; set it to: API key, A Personal "
            "Access Token or a Service Account Key (starts with KeapAK)",
        ),
        (
            {
                "credentials": {
                    "auth_type": "oauth2.0",
                    "client_id": "app-client-id",
                    "client_secret": "app-client-secret",
                }
            },
            "Config field 'credentials.refresh_token': is missing; set it to: Refresh token",
        ),
        (
            {"start_from": {"start_type": "invoice_date", "invoice_date": "1/3/2024"}},
            "Config field 'start_from.invoice_date': '1/3/2024' is not in the form",
        ),
        (
            {"api_url": "https://169.254.169.254"},
            "Config field 'api_url': 'https://169.254.169.254' names 169.254.169.254, a "
            "link-local address",
        ),
        (
            {"api_url": "http://[::ffff:a9fe:a9fe]:80"},
            "Config field 'api_url': 'http://[::ffff:a9fe:a9fe]:80' names ::ffff:a9fe:a9fe",
        ),
    ],
)
def test_check_names_the_field_and_the_fix(keap, tmp_path, change, expected) -> None:
    messages = _run("check", tmp_path, {**keap.config(), **change})
    [status] = [m["connectionStatus"] for m in messages if m["type"] == "CONNECTION_STATUS"]
    assert status["status"] == "FAILED"
    assert status["message"].startswith(expected)
    assert not any(raw in status["message"] for raw in JSONSCHEMA_WORDS)
    assert keap.calls() == 0


def test_discover_and_read_refuse_the_same_config_the_same_way(keap, tmp_path) -> None:
    config = {**keap.config(), "start_from": {"start_type": "invoice_id", "invoice_id": "INV-1"}}
    for command, files in (("discover", {}), ("read", {"catalog": _catalog()})):
        with pytest.raises(AirbyteTracedException) as caught:
            _run(command, tmp_path, config, **files)
        assert caught.value.failure_type == FailureType.config_error
        assert caught.value.message.startswith("Config field 'start_from.invoice_id': 'INV-1'")
    assert keap.calls() == 0


def _catalog() -> dict[str, Any]:
    return {
        "streams": [
            {
                "stream": {
                    "name": "invoices",
                    "json_schema": {},
                    "supported_sync_modes": ["incremental"],
                },
                "sync_mode": "incremental",
                "destination_sync_mode": "append",
                "cursor_field": ["updated_at"],
            }
        ]
    }


def _stream_state(state: Any) -> list[dict[str, Any]]:
    descriptor = {"stream_descriptor": {"name": "invoices"}, "stream_state": state}
    return [{"type": "STREAM", "stream": descriptor}]


@pytest.mark.parametrize(
    ("state", "what"),
    [
        ("{not json", "it is not JSON"),
        ("", "the file is empty"),
        ({"invoices": {"updated_at": "2024-01-01T00:00:00.000Z"}}, "the legacy form"),
        ([1], "state[0] is a number, not a state message"),
        (
            _stream_state([1]),
            "the state of stream 'invoices' (state[0].stream.stream_state) is a list",
        ),
        (_stream_state({"updated_at": 5}), "the state of stream 'invoices' holds updated_at 5"),
    ],
)
def test_a_saved_state_that_cannot_be_used_says_what_is_wrong(keap, tmp_path, state, what) -> None:
    with pytest.raises(AirbyteTracedException) as caught:
        _run("read", tmp_path, keap.config(), catalog=_catalog(), state=state)
    assert caught.value.failure_type == FailureType.config_error
    assert caught.value.message.startswith("The state given with --state cannot be used: ")
    assert what in caught.value.message
    assert "To start again from the configured start point, run without --state" in (
        caught.value.message
    )
    assert keap.calls() == 0


def test_a_good_saved_state_is_read(keap, tmp_path) -> None:
    keap.seed(orders=3)
    state = _stream_state({"updated_at": "2000-01-01T00:00:00.000Z"})
    messages = _run("read", tmp_path, keap.config(), catalog=_catalog(), state=state)
    assert [m for m in messages if m["type"] == "RECORD"]


def test_the_console_script_tells_the_user_instead_of_something_went_wrong(keap, tmp_path) -> None:
    (tmp_path / "config.json").write_text(json.dumps(keap.config()))
    (tmp_path / "catalog.json").write_text(json.dumps(_catalog()))
    (tmp_path / "state.json").write_text("{not json")
    done = subprocess.run(  # noqa: S603 (the connector's own console script)
        [
            str(Path(sys.executable).with_name("source-keap")),
            "read",
            *("--config", str(tmp_path / "config.json")),
            *("--catalog", str(tmp_path / "catalog.json")),
            *("--state", str(tmp_path / "state.json")),
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 1
    traces = [json.loads(line)["trace"] for line in done.stdout.splitlines() if '"TRACE"' in line]
    [error] = [trace["error"] for trace in traces if trace.get("error")]
    assert error["failure_type"] == "config_error"
    assert error["message"].startswith(
        "The state given with --state cannot be used: it is not JSON"
    )
    assert "Something went wrong" not in done.stdout


PATHS = [
    "credentials",
    "credentials.auth_type",
    "credentials.api_key",
    "credentials.client_id",
    "credentials.refresh_token",
    "start_from",
    "start_from.start_type",
    "start_from.invoice_id",
    "start_from.invoice_date",
    "start_from.time_zone",
    "api_url",
    "include_written_by_sync",
]
LIKELY = ("", "2087", "2024-03-01", "api_key", "oauth2.0", "https://169.254.169.254")
SPEC = SourceKeap().spec(None).connectionSpecification  # type: ignore[arg-type]
VALID = {
    "credentials": {"auth_type": "api_key", "api_key": "KeapAK-never-shown"},
    "start_from": {"start_type": "beginning"},
}


@settings(max_examples=300, deadline=None)
@given(config_changes=changes(PATHS, *LIKELY))
@example(config_changes=[("start_from.invoice_id", ""), ("start_from.start_type", "invoice_id")])
@example(config_changes=[("credentials.api_key", None)])
@example(config_changes=[("api_url", "https://169.254.169.254")])
@example(
    config_changes=[
        ("start_from.time_zone", "Mars/Olympus"),
        ("start_from.start_type", "invoice_date"),
        ("start_from.invoice_date", "2024-03-01"),
    ]
)
def test_any_config_is_read_or_refused_by_field_never_in_jsonschema_s_words(config_changes):
    """The spec check first, as the entrypoint does, then the connector's own reading."""
    config = changed(VALID, config_changes)
    try:
        check_config(config, SPEC)
        KeapConfig.parse(config)
    except AirbyteTracedException as error:
        assert_told_by_field(error, secrets=["KeapAK-never-shown"])
