"""No credential leaks, checked across the whole test session (a pytest plugin, loaded with the
sandbox's fixtures).

Connectors hold client secrets, API keys, and access and refresh tokens, all issued by the
sandbox during tests. The only place a connector may write one is a CONNECTOR_CONFIG control
message, which carries its config back to the platform (rotated refresh tokens); anywhere else
in its output (a log line, a state, an error trace, another control message, stderr) it is a
leak. After every test, this plugin scans what connectors wrote during it:

- every connector process (a console script `source-...` or `destination-...`, started by the
  test, a benchmark or PyAirbyte): a `sitecustomize` on `PYTHONPATH` copies its stdout and stderr
  into a session folder (`output_copy/`), whole, whatever reads the pipes;
- connectors run in-process: the messages of the CDK's test harness (`EntrypointOutput`, used by
  the standard test suites), and the output and log records pytest captured for the test;

for every secret the sandbox issued (`Sandbox.secrets()`, gathered from the test's sandboxes and
kept for the session, since a reset issues the same values again) and the shapes of the
sandbox's tokens, which also catches those of a sandbox in another process (a benchmark's).
A leak fails the test at teardown, naming where it was found; the secret itself is shown only
by its first characters.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from keap_xero_sandbox.sandbox import Sandbox
from keap_xero_sandbox.server import SandboxServer

COPIES_VARIABLE = "KEAP_XERO_SANDBOX_OUTPUT_COPIES"
OUTPUT_COPY = Path(__file__).resolve().parent / "output_copy"
# The shapes of the secrets the sandbox mints (see keap/auth.py and xero/identity.py).
SHAPES = (
    r"sandbox-keap-(?:rt|at|code)-[0-9a-f]{32}",
    r"KeapAK-SANDBOX-(?:PAT|SAK)-[0-9a-f]{32}",
    # A JWT with the sandbox's header ({"alg":"HS256","typ":"JWT"}): Xero's access tokens.
    r"eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+",
)
# Shorter values a test gives an app (`"secret"`) would match ordinary words.
SHORTEST_SECRET = 12
SHOWN = 6


@dataclass(frozen=True)
class Leak:
    where: str
    line: int
    secret: str

    def __str__(self) -> str:
        shown = f"{self.secret[:SHOWN]}... ({len(self.secret)} characters)"
        return f"{self.where}, line {self.line}: {shown}"


def find_leaks(text: str, where: str, secrets: Iterable[str]) -> list[Leak]:
    """Every secret (or sandbox token shape) in `text` outside a CONNECTOR_CONFIG message."""
    known = sorted((s for s in secrets if len(s) >= SHORTEST_SECRET), key=len, reverse=True)
    pattern = re.compile("|".join([*(re.escape(s) for s in known), *SHAPES]))
    leaks = []
    for number, line in enumerate(text.splitlines(), 1):
        found = pattern.findall(line)
        if found and not _is_config_message(line):
            leaks += [Leak(where, number, secret) for secret in found]
    return leaks


def _is_config_message(line: str) -> bool:
    """A CONNECTOR_CONFIG control message: where a connector hands its config to the platform."""
    start = line.find("{")
    if start < 0:
        return False
    try:
        message = json.loads(line[start:])
    except ValueError:
        return False
    return (
        isinstance(message, dict)
        and message.get("type") == "CONTROL"
        and isinstance(message.get("control"), dict)
        and message["control"].get("type") == "CONNECTOR_CONFIG"
    )


class Scanner:
    """The session's copies of connector output, the secrets known, and what each test added."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.secrets: set[str] = set()
        self.read: dict[Path, int] = {}  # how far each copy has been scanned
        self.in_process: list[tuple[str, str]] = []  # (where, text) of the current test

    def learn(self, sandboxes: Iterable[Sandbox]) -> None:
        for sandbox in sandboxes:
            self.secrets |= sandbox.secrets()

    def new_output(self) -> Iterator[tuple[str, str]]:
        """What connector processes wrote since the last scan, per process."""
        for path in sorted(self.folder.glob("*.txt")):
            with path.open("rb") as copy:
                copy.seek(self.read.get(path, 0))
                data = copy.read()
            complete = data.rfind(b"\n") + 1  # a line still being written waits for the next scan
            self.read[path] = self.read.get(path, 0) + complete
            if complete:
                name = path.stem.rpartition("-")[0]
                yield f"output of {name}", data[:complete].decode("utf-8", "replace")

    def scan(self, captured: Iterable[tuple[str, str]]) -> list[Leak]:
        texts = [*self.new_output(), *self.in_process, *captured]
        self.in_process = []
        return [leak for where, text in texts for leak in find_leaks(text, where, self.secrets)]


_KEY = pytest.StashKey[Scanner]()
_ENVIRONMENT = pytest.StashKey[dict[str, str | None]]()


def pytest_configure(config: pytest.Config) -> None:
    scanner = Scanner(Path(tempfile.mkdtemp(prefix="connector-output-")))
    config.stash[_KEY] = scanner
    config.stash[_ENVIRONMENT] = {v: os.environ.get(v) for v in (COPIES_VARIABLE, "PYTHONPATH")}
    os.environ[COPIES_VARIABLE] = str(scanner.folder)
    path = os.environ.get("PYTHONPATH")
    os.environ["PYTHONPATH"] = os.pathsep.join([str(OUTPUT_COPY), *([path] if path else [])])
    _watch_cdk_test_harness(scanner)


def pytest_unconfigure(config: pytest.Config) -> None:
    for variable, value in config.stash.get(_ENVIRONMENT, {}).items():
        if value is None:
            os.environ.pop(variable, None)
        else:
            os.environ[variable] = value
    scanner = config.stash.get(_KEY, None)
    if scanner is not None:
        shutil.rmtree(scanner.folder, ignore_errors=True)


def _watch_cdk_test_harness(scanner: Scanner) -> None:
    """Keep the messages of every in-process run of the CDK's test harness for the scan."""
    try:
        from airbyte_cdk.test.entrypoint_wrapper import EntrypointOutput  # noqa: PLC0415
    except ImportError:  # a package whose tests do not use the CDK
        return
    original = EntrypointOutput.__init__

    def init(self: Any, messages: list[str] | None = None, *args: Any, **kwargs: Any) -> None:
        original(self, messages, *args, **kwargs)
        texts = list(messages or [])
        message_file = kwargs.get("message_file")
        if message_file is not None and Path(message_file).exists():
            texts.append(Path(message_file).read_text(errors="replace"))
        if kwargs.get("stderr"):
            texts.append(kwargs["stderr"])
        scanner.in_process += [("an in-process connector run", "\n".join(texts))]

    EntrypointOutput.__init__ = init  # type: ignore[method-assign]


def _sandboxes(item: pytest.Item) -> Iterator[Sandbox]:
    for value in getattr(item, "funcargs", {}).values():
        if isinstance(value, Sandbox):
            yield value
        elif isinstance(value, SandboxServer):
            yield value.sandbox


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    outcome = yield
    if call.when != "teardown":
        return
    report = outcome.get_result()
    scanner = item.config.stash[_KEY]
    scanner.learn(_sandboxes(item))
    leaks = scanner.scan((title.lower(), text) for title, text in report.sections)
    if leaks:
        report.outcome = "failed"
        report.longrepr = "credentials leaked outside a CONNECTOR_CONFIG message:\n" + "\n".join(
            f"  {leak}" for leak in leaks[:20]
        )


def pytest_sessionfinish(session: pytest.Session) -> None:
    """Output written after its test ended (a process that outlived it) is scanned too."""
    scanner = session.config.stash.get(_KEY, None)
    if scanner is None:
        return
    leaks = scanner.scan(())
    if leaks:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
        reporter = session.config.pluginmanager.get_plugin("terminalreporter")
        if reporter is not None:
            reporter.write_line("credentials leaked outside a CONNECTOR_CONFIG message:", red=True)
            for leak in leaks[:20]:
                reporter.write_line(f"  {leak}")
