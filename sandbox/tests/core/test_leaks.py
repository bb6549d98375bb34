"""The leak check every test of the workspace runs under (`keap_xero_sandbox.leaks`): what finds a
credential, what may carry one, and a test session in which a connector leaks one failing."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

from keap_xero_sandbox.leaks import find_leaks

SECRET = "keap-sandbox-client-secret"


def config_message(secret: str) -> str:
    control = {"type": "CONNECTOR_CONFIG", "emitted_at": 1, "connectorConfig": {"config": {}}}
    control["connectorConfig"]["config"] = {"credentials": {"refresh_token": secret}}
    return json.dumps({"type": "CONTROL", "control": control})


def test_a_secret_anywhere_but_a_connector_config_message_is_a_leak() -> None:
    output = "\n".join(
        [
            config_message(SECRET),
            json.dumps({"type": "LOG", "log": {"level": "INFO", "message": f"using {SECRET}"}}),
            json.dumps({"type": "CONTROL", "control": {"type": "OTHER", "secret": SECRET}}),
            json.dumps({"type": "STATE", "state": {"token": SECRET}}),
            f"Traceback: refresh failed for {SECRET}",
            "nothing here",
        ]
    )
    leaks = find_leaks(output, "output of source-x", {SECRET})
    assert [leak.line for leak in leaks] == [2, 3, 4, 5]
    assert str(leaks[0]) == "output of source-x, line 2: keap-s... (26 characters)"


def test_the_sandboxs_token_shapes_are_found_without_knowing_the_values() -> None:
    tokens = [
        "sandbox-keap-rt-" + "a" * 32,
        "KeapAK-SANDBOX-PAT-" + "0" * 32,
        "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJleHAiOjF9.c2lnbmF0dXJl",
    ]
    leaks = find_leaks("\n".join(f"Bearer {token}" for token in tokens), "stderr", set())
    assert [leak.secret for leak in leaks] == tokens


def test_short_values_are_not_taken_for_secrets() -> None:
    assert find_leaks("the secret is out", "stdout", {"secret"}) == []


def test_a_connector_process_leaking_a_sandbox_credential_fails_its_test(tmp_path: Path) -> None:
    connector = tmp_path / "source-leaky"
    connector.write_text(
        f"#!{sys.executable}\n"
        + textwrap.dedent(
            f"""
            import json, sys
            secret = sys.argv[1]
            print({config_message("SECRET")!r}.replace("SECRET", secret))
            if sys.argv[2] == "leak":
                print(json.dumps({{"type": "LOG", "log": {{"message": "key " + secret}}}}))
            """
        )
    )
    connector.chmod(0o755)
    (tmp_path / "test_inner.py").write_text(
        textwrap.dedent(
            f"""
            import subprocess

            def run(sandbox, how):
                secret = sandbox.keap.credentials()["client_secret"]
                subprocess.run([{str(connector)!r}, secret, how], check=True, capture_output=True)

            def test_leaks(sandbox):
                run(sandbox, "leak")

            def test_hands_back_its_config(sandbox):
                run(sandbox, "config only")
            """
        )
    )
    (tmp_path / "pytest.ini").write_text("[pytest]\n")
    inner = subprocess.run(  # noqa: S603 (pytest, on a test file of this test)
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-rA", str(tmp_path)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert inner.returncode == 1, inner.stdout[-3000:]
    assert "2 passed, 1 error" in inner.stdout  # the leak errs at the teardown of test_leaks
    assert "ERROR test_inner.py::test_leaks" in inner.stdout
    assert "output of source-leaky, line 2: keap-s... (26 characters)" in inner.stdout
    assert SECRET not in inner.stdout
