"""The `invoice-sync` command as a person runs it: a sandbox in one process, runs and the log in
others."""

from __future__ import annotations

import fcntl
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from invoice_sync.cli import EXIT_IN_PROGRESS, EXIT_UNUSABLE, main
from invoice_sync.connection import Connection
from invoice_sync.sandbox import write_connection

BIN = Path(sys.executable).parent


def test_the_sandbox_command_serves_a_demo_account_the_runner_syncs(tmp_path):
    folder = tmp_path / "try"
    sandbox = subprocess.Popen(  # noqa: S603
        [str(BIN / "invoice-sync"), "sandbox", "--folder", str(folder)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        printed = []
        for line in sandbox.stdout:
            printed.append(line)
            if "invoice-sync log" in line:
                break
        text = "".join(printed)
        url = re.search(r"Sandbox serving on (http://127\.0\.0\.1:\d+)", text)[1]
        assert f"Keap REST v2   {url}/crm/rest/v2" in text
        assert "refresh token" in text
        assert json.loads((folder / "keap.json").read_text())["api_url"] == url

        run = subprocess.run(  # noqa: S603
            [str(BIN / "invoice-sync"), "run", str(folder / "connection.yaml")],
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        assert run.returncode == 0, run.stdout + run.stderr
        log = subprocess.run(  # noqa: S603
            [str(BIN / "invoice-sync"), "log", "--json", str(folder / "connection.yaml")],
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        )
        [record] = [json.loads(line) for line in log.stdout.splitlines()]
        invoices = record["directions"][0]["streams"]["invoices"]
        assert record["status"] == "succeeded"
        assert invoices["read"] == invoices["written"] > 0
    finally:
        sandbox.terminate()
        sandbox.wait(timeout=30)


def test_a_bad_connection_file_exits_2_naming_the_key(tmp_path, capsys):
    (tmp_path / "keap.json").write_text("{}")
    path = tmp_path / "shop.yaml"
    path.write_text("keap: keap.json\nxero: xero.json\nkeap_to_xero: {mode: 2, start: beginning}")

    assert main(["run", str(path)]) == EXIT_UNUSABLE

    assert f"{path}: xero: " in capsys.readouterr().err


def test_a_run_while_another_holds_the_connection_exits_75(sandbox, tmp_path, capsys):
    path = write_connection(tmp_path, sandbox)
    state = Connection.load(path).state_dir
    state.mkdir(parents=True)
    holder = os.open(state / "lock", os.O_RDWR | os.O_CREAT)
    try:
        fcntl.flock(holder, fcntl.LOCK_EX)
        os.write(holder, b"4242")

        assert main(["run", str(path)]) == EXIT_IN_PROGRESS
    finally:
        os.close(holder)

    assert "in progress (process 4242)" in capsys.readouterr().err


@pytest.mark.parametrize("arguments", [["log"], ["run"]])
def test_commands_need_a_connection_file(arguments):
    with pytest.raises(SystemExit) as raised:
        main(arguments)

    assert raised.value.code == 2


def test_the_demo_never_empties_a_folder_it_did_not_make(tmp_path):
    keep = tmp_path / "books.txt"
    keep.write_text("mine")

    assert main(["demo", "--folder", str(tmp_path)]) == EXIT_UNUSABLE

    assert keep.read_text() == "mine"
