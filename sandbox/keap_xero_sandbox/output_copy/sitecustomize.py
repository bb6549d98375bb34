"""Copies what a connector process writes to stdout and stderr into a file, for `leaks` to scan.

Python imports `sitecustomize` at start-up from its path; the `leaks` pytest plugin puts this
folder first on `PYTHONPATH` and names a folder in `KEAP_XERO_SANDBOX_OUTPUT_COPIES`, so every
connector a test starts (a console script named `source-...` or `destination-...`, however it is
started: by a test, a benchmark, PyAirbyte) writes a copy of its output there. Its output itself
is untouched: every write goes to the real stream first. Other processes are left alone, and a
`sitecustomize` further on the path still runs.
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import re
import sys
from pathlib import Path
from typing import Any, TextIO

FOLDER = os.environ.get("KEAP_XERO_SANDBOX_OUTPUT_COPIES")
CONNECTOR = re.compile(r"^(source|destination)-[a-z0-9-]+$")


class _Copied:
    """A text stream whose writes also go to a copy."""

    def __init__(self, stream: TextIO, copy: TextIO) -> None:
        self._stream = stream
        self._copy = copy

    def write(self, text: str) -> int:
        written = self._stream.write(text)
        with contextlib.suppress(OSError, ValueError):  # a copy must never break the connector
            self._copy.write(text)
        return written

    def flush(self) -> None:
        self._stream.flush()
        with contextlib.suppress(OSError, ValueError):
            self._copy.flush()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


def _copy_output(folder: str, name: str) -> None:
    path = Path(folder, f"{name}-{os.getpid()}.txt")
    copy = path.open("a", encoding="utf-8", errors="replace", buffering=1)
    for attribute in ("stdout", "stderr"):
        stream = getattr(sys, attribute)
        if stream is not None:
            copied = _Copied(stream, copy)
            setattr(sys, attribute, copied)
            setattr(sys, f"__{attribute}__", copied)  # the CDK writes to sys.__stdout__


def _next_sitecustomize() -> None:
    """Runs the `sitecustomize` this one shadows, if any."""
    here = str(Path(__file__).resolve().parent)
    for entry in sys.path:
        if entry and str(Path(entry).resolve()) == here:
            continue
        candidate = Path(entry or ".", "sitecustomize.py")
        if candidate.is_file():
            spec = importlib.util.spec_from_file_location("_shadowed_sitecustomize", candidate)
            if spec is not None and spec.loader is not None:
                spec.loader.exec_module(importlib.util.module_from_spec(spec))
            return


if FOLDER and sys.argv and CONNECTOR.match(Path(sys.argv[0]).name):
    _copy_output(FOLDER, Path(sys.argv[0]).name)
_next_sitecustomize()
