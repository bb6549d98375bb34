"""The conformance checker catches responses that break the vendor's spec, and without the specs
the suite still runs, saying once that nothing was checked."""

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import requests

from keap_xero_sandbox.conformance import SPEC_FILES, SpecsNotFoundError, specs_dir


def test_spec_shaped_response_passes_and_broken_one_is_reported(toy, spec_conformance):
    toy.conformance = spec_conformance
    requests.get(toy.url + "/api.xro/2.0/Currencies")
    assert spec_conformance.violations == []
    requests.get(toy.url + "/api.xro/2.0/Currencies?broken=1")
    assert len(spec_conformance.violations) == 1
    assert "Currencies/0/Code" in spec_conformance.violations[0]
    spec_conformance.violations.clear()


def test_unknown_paths_and_undeclared_statuses_are_not_violations(toy, spec_conformance):
    toy.conformance = spec_conformance
    requests.get(toy.url + "/api.xro/2.0/NoSuchThing")  # 404 from the router
    toy.faults.add(path="*", status=429)
    requests.get(toy.url + "/api.xro/2.0/Currencies")
    assert spec_conformance.violations == []


def test_identity_paths_are_checked_under_the_specs_spelling(toy, spec_conformance):
    checked = spec_conformance.checked
    toy.conformance = spec_conformance
    requests.get(toy.url + "/connections")
    assert spec_conformance.violations == []
    assert spec_conformance.checked == checked + 1


def test_specs_are_found_beside_the_repository_or_reported_missing(tmp_path, monkeypatch):
    monkeypatch.delenv("KEAP_XERO_SPECS", raising=False)
    checkout = tmp_path / "work" / "clone" / "sandbox"
    checkout.mkdir(parents=True)
    with pytest.raises(SpecsNotFoundError, match=r"were not found .*sandbox/README\.md"):
        specs_dir(starts=(checkout,))
    specs = tmp_path / "work" / "shared" / "specs"
    specs.mkdir(parents=True)
    for name in SPEC_FILES[:-1]:
        (specs / name).write_text("{}")
    with pytest.raises(SpecsNotFoundError):
        specs_dir(starts=(checkout,))  # one file short is no specs folder
    (specs / SPEC_FILES[-1]).write_text("{}")
    assert specs_dir(starts=(checkout,)) == specs


def test_a_specs_folder_named_in_the_environment_must_hold_every_spec(tmp_path, monkeypatch):
    monkeypatch.setenv("KEAP_XERO_SPECS", str(tmp_path))
    with pytest.raises(SpecsNotFoundError, match=r"lacks xero_accounting\.yaml"):
        specs_dir()


def test_without_specs_tests_run_unchecked_and_the_summary_says_so_once(tmp_path: Path):
    """A session whose specs folder is missing them: tests using `sandbox_conformance` pass (their
    own assertions run), one using `spec_conformance` is skipped, and the summary says once that
    nothing was checked and where to get the specs."""
    (tmp_path / "test_no_specs.py").write_text(
        textwrap.dedent(
            """
            import requests

            def test_runs_unchecked(sandbox_conformance):
                answer = requests.get(sandbox_conformance.url + "/crm/rest/v2/orders", timeout=30)
                assert answer.status_code == 401
                assert sandbox_conformance.conformance is None

            def test_also_unchecked(sandbox_conformance):
                assert sandbox_conformance.conformance is None

            def test_checker_itself(spec_conformance):
                raise AssertionError("must be skipped without specs")
            """
        )
    )
    empty = tmp_path / "no-specs"
    empty.mkdir()
    done = subprocess.run(  # noqa: S603 (this interpreter, a test file of ours)
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", str(tmp_path)],
        cwd=tmp_path,
        env={**os.environ, "KEAP_XERO_SPECS": str(empty)},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    out = done.stdout
    assert done.returncode == 0, out + done.stderr
    assert "2 passed, 1 skipped" in out
    assert out.count("spec conformance skipped") == 1
    assert "lacks xero_accounting.yaml" in out
    assert "sandbox/README.md" in out
    assert "2 tests ran in full without that check" in out
