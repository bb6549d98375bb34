"""The connector READMEs' commands work as written, against the sandbox.

A README marks the blocks a reader runs to try its connector on the sandbox:

- `<!-- sandbox: serve -->`: the command that serves the sandbox, in a terminal of its own;
- `<!-- sandbox: run -->`: commands run from the connector's folder, in order;
- `<!-- sandbox: token -->`: getting a refresh token by hand. The first command does what a
  browser does on the consent page and prints where it is sent; the code in that address stands
  in for `CODE` in the next commands, and the access token an answer gives for `ACCESS_TOKEN`.

Each is run as written, with one change: port 8765 becomes a free one (in the commands and in
the connector's `integration_tests/*.json`), so that runs side by side do not collide. The
`run` commands run in a copy of the connector's folder, so the `secrets/` they write stays out
of the checkout.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
PORT = "8765"
BLOCK = re.compile(r"<!-- sandbox: (\w+) -->\s*```sh\n(.*?)```", re.DOTALL)
CONNECTORS = sorted(
    p.parent.name
    for p in ROOT.glob("*/metadata.yaml")
    if "<!-- sandbox: " in (p.parent / "README.md").read_text()
)


def blocks(connector: str) -> dict[str, list[str]]:
    """The marked blocks of a README: their commands, continuation lines joined."""
    found = {}
    for kind, body in BLOCK.findall((ROOT / connector / "README.md").read_text()):
        found[kind] = [
            line.strip()
            for line in body.replace("\\\n", " ").splitlines()
            if line.strip() and not line.lstrip().startswith("#")
        ]
    return found


def free_port() -> str:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return str(probe.getsockname()[1])


@pytest.fixture(params=CONNECTORS)
def connector(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture
def port(connector: str) -> Iterator[str]:
    """The README's sandbox, served by its `serve` command (on a free port)."""
    chosen = free_port()
    (command,) = blocks(connector)["serve"]
    served = subprocess.Popen(  # noqa: S603 (the README's command, our own console script)
        shlex.split(command.replace(PORT, chosen)),
        env=environment(),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        assert served.stdout is not None
        for line in served.stdout:
            if line.startswith("sandbox serving on"):
                break
        else:
            pytest.fail(f"the sandbox did not start: exit {served.wait()}")
        yield chosen
    finally:
        served.terminate()
        served.wait(timeout=10)


def environment() -> dict[str, str]:
    """A shell whose environment is the repository's, as `. .venv/bin/activate` makes it."""
    return {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"}


def run(command: str, cwd: Path) -> str:
    done = subprocess.run(  # noqa: S602 (a README's command, run as a reader's shell runs it)
        command,
        shell=True,
        executable="/bin/bash",
        cwd=cwd,
        env=environment(),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, f"{command}\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}"
    return done.stdout


def messages(output: str) -> list[dict]:
    return [json.loads(line) for line in output.splitlines() if line.startswith("{")]


def test_the_readmes_mark_their_sandbox_commands():
    assert set(CONNECTORS) == {"source-keap", "destination-xero", "source-xero", "destination-keap"}
    for connector in CONNECTORS:
        assert set(blocks(connector)) == {"serve", "run", "token"}, connector


def test_the_commands_to_try_the_connector_on_the_sandbox_work(
    connector: str, port: str, tmp_path: Path
):
    folder = tmp_path / connector
    shutil.copytree(
        ROOT / connector, folder, ignore=shutil.ignore_patterns("secrets", ".tmp", "__pycache__")
    )
    for example in (folder / "integration_tests").glob("*.json"):
        example.write_text(example.read_text().replace(PORT, port))
    outputs = [run(command.replace(PORT, port), folder) for command in blocks(connector)["run"]]
    said = [m for output in outputs for m in messages(output)]
    statuses = [m["connectionStatus"]["status"] for m in said if m["type"] == "CONNECTION_STATUS"]
    assert statuses == ["SUCCEEDED"]
    assert not [m for m in said if m["type"] == "TRACE" and m["trace"]["type"] == "ERROR"]
    assert [m for m in said if m["type"] in ("RECORD", "STATE")]  # a read read, a write committed
    assert (folder / "secrets" / "config.json").is_file()


def test_the_steps_to_get_a_refresh_token_by_hand_work(connector: str, port: str, tmp_path: Path):
    first, *rest = (command.replace(PORT, port) for command in blocks(connector)["token"])
    sent_to = run(first, tmp_path).strip()
    assert urlsplit(sent_to).scheme == "https"
    values = {"CODE": parse_qs(urlsplit(sent_to).query)["code"][0]}
    answers = []
    for command in rest:
        for name, value in values.items():
            command = command.replace(name, value)  # noqa: PLW2901 (filling in a placeholder)
        answer = json.loads(run(command, tmp_path))
        answers.append(answer)
        if isinstance(answer, dict) and "access_token" in answer:
            values["ACCESS_TOKEN"] = answer["access_token"]
    assert any(isinstance(a, dict) and a.get("refresh_token") for a in answers)
