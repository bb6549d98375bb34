"""The `pipeline` fixture: `source-keap read` piped into `destination-xero write` against the
test's sandbox (see `pipeline.py`; `books.py` reconciles what lands in Xero with Keap)."""

from __future__ import annotations

from pathlib import Path

import pytest

from keap_xero_sandbox.sandbox import Sandbox

from .pipeline import Pipeline


@pytest.fixture
def pipeline(sandbox: Sandbox, tmp_path: Path) -> Pipeline:
    return Pipeline(sandbox, tmp_path)
