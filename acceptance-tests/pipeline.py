"""`source-keap read` piped into `destination-xero write`, both run as the console scripts the
platform runs, against a sandbox on loopback."""

from __future__ import annotations

import contextlib
import json
import subprocess
import sys
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from keap_xero_sandbox.sandbox import Sandbox

BIN = Path(sys.executable).parent
ROOT = Path(__file__).resolve().parents[1]
# The catalog of sync mode 2 (invoices on updated_at, and payments), as the platform hands it to
# both connectors of a connection.
CATALOG = ROOT / "destination-xero" / "integration_tests" / "configured_catalog.json"
DESTINATION_SAMPLE = ROOT / "destination-xero" / "integration_tests" / "sample_config.json"


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

    def last_states(self) -> list[dict[str, Any]]:
        """The last echoed state of each stream: what the platform keeps for the next sync."""
        last = {state["stream"]["stream_descriptor"]["name"]: state for state in self.echoed}
        return list(last.values())

    @property
    def rejections(self) -> list[str]:
        """The destination's warnings about records it rejected."""
        return [line for line in self.logs if ": rejected: " in line]


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

    def _file(self, name: str, content: Any) -> Path:
        path = self.folder / name
        path.write_text(json.dumps(content))
        return path

    def sync(self, state: list[dict[str, Any]] | None = None) -> Sync:
        """Runs both connectors joined by a pipe, the way the platform does, and waits for both.
        The source's OAuth refresh token rotates on every sync; its CONNECTOR_CONFIG control
        message is applied to the config, as the platform would."""
        self.syncs += 1
        read = [str(BIN / "source-keap"), "read", "--config", str(self.source_config)]
        read += ["--catalog", str(self.catalog)]
        if state is not None:
            read += ["--state", str(self._file(f"state-{self.syncs}.json", state))]
        write = [str(BIN / "destination-xero"), "write", "--config", str(self.destination_config)]
        write += ["--catalog", str(self.catalog)]
        tee = self.folder / f"source-{self.syncs}.jsonl"
        with tee.open("wb") as copy:
            source = subprocess.Popen(read, stdout=subprocess.PIPE)  # noqa: S603
            destination = subprocess.Popen(  # noqa: S603
                write, stdin=subprocess.PIPE, stdout=subprocess.PIPE
            )
            output = _Relay(source, destination, copy).run()
        return self._parse(tee.read_bytes(), output, source.returncode, destination.returncode)

    def _parse(self, emitted: bytes, echoed: bytes, source_exit: int, dest_exit: int) -> Sync:
        records, source_states = [], []
        for line in emitted.splitlines():
            message = json.loads(line)
            if message["type"] == "RECORD":
                records.append(message["record"])
            elif message["type"] == "STATE":
                source_states.append(message["state"])
            elif message["type"] == "CONTROL":
                config = json.loads(self.source_config.read_text())
                config.update(message["control"]["connectorConfig"]["config"])
                self.source_config.write_text(json.dumps(config))
        states, logs, errors = [], [], []
        for line in echoed.splitlines():
            message = json.loads(line)
            if message["type"] == "STATE":
                states.append(message["state"])
            elif message["type"] == "LOG":
                logs.append(message["log"]["message"])
            elif message["type"] == "TRACE" and message["trace"]["type"] == "ERROR":
                errors.append(message["trace"]["error"])
        return Sync(records, source_states, states, logs, errors, source_exit, dest_exit)

    def xero(self) -> dict[str, Any]:
        return self.sandbox.xero.dump()["tenants"][self.tenant_id]


class _Relay:
    """Carries the source's stdout into the destination's stdin, keeping a copy, while the
    destination's stdout is drained (a full pipe on either side would stall both)."""

    def __init__(self, source: subprocess.Popen, destination: subprocess.Popen, copy: Any) -> None:
        self.source, self.destination, self.copy = source, destination, copy

    def run(self) -> bytes:
        drained: list[bytes] = []
        reader = threading.Thread(target=lambda: drained.append(self.destination.stdout.read()))
        reader.start()
        for line in self.source.stdout:
            self.copy.write(line)
            try:
                self.destination.stdin.write(line)
            except BrokenPipeError:  # the destination ended early: the platform stops the source
                self.source.terminate()
                break
        with contextlib.suppress(BrokenPipeError):
            self.destination.stdin.close()
        self.source.wait(timeout=600)
        self.destination.wait(timeout=600)
        reader.join(timeout=60)
        return drained[0] if drained else b""
