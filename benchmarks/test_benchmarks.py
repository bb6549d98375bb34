"""Every benchmark still runs: each at its tiny `--smoke` size, through `run.py` as `make bench`
runs them (figures are not judged here: they belong to RESULTS.md). And `run.py` keeps the
sections of the benchmarks it did not run.
"""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent


def _runner():
    spec = importlib.util.spec_from_file_location("benchmark_runner", HERE / "run.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


runner = _runner()


def test_the_benchmarks_are_found_by_their_section() -> None:
    found = runner.benchmarks()
    assert {"source_keap", "destination_xero", "keap_to_xero"} <= set(found)
    assert not {"run", "peak_memory", "configs", "options", "per_record_xero"} & set(found)
    assert found["keap_to_xero"].startswith("Keap → Xero end to end")


@pytest.mark.parametrize("name", sorted(runner.benchmarks()))
def test_each_benchmark_runs_at_a_tiny_size(name: str, tmp_path: Path) -> None:
    run = subprocess.run(
        [sys.executable, str(HERE / "run.py"), name, "--smoke", "--out", str(tmp_path)],
        capture_output=True,
        text=True,
        check=False,
        timeout=280,
    )
    assert run.returncode == 0, run.stderr[-4000:]
    results = (tmp_path / "RESULTS.md").read_text()
    section = runner.sections(results)[name]
    assert section.splitlines()[1] == f"## {runner.benchmarks()[name]}"
    assert f"Command: `.venv/bin/python benchmarks/{name}.py --smoke`" in section
    assert "| ---" in section, "a table of figures"


def test_a_run_keeps_the_sections_of_the_benchmarks_it_did_not_run(tmp_path: Path) -> None:
    known = {"a": "A", "b": "B", "c": "C"}
    results = tmp_path / "RESULTS.md"
    results.write_text("# Results written before sections were marked\n")
    runner.write_results(results, {"a": "<!-- benchmark: a -->\n## A\n\nold a\n"}, known)
    runner.write_results(results, {"c": "<!-- benchmark: c -->\n## C\n\nc\n"}, known)
    runner.write_results(results, {"a": "<!-- benchmark: a -->\n## A\n\nnew a\n"}, known)
    text = results.read_text()
    assert text.startswith(runner.HEADER)
    assert list(runner.sections(text)) == ["a", "c"]
    assert "new a" in text
    assert "old a" not in text
