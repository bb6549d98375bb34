"""Rotated configs: written back whole or not at all, and journaled so that a killed run loses
none."""

from __future__ import annotations

import json
import os

import pytest

from invoice_sync import configs
from invoice_sync.configs import RotationJournal, apply_changes, changed, write_atomically


def test_only_what_the_connector_changed_is_written_back(tmp_path):
    path = tmp_path / "keap.json"
    path.write_text(json.dumps({"credentials": {"refresh_token": "old"}, "api_url": "x"}))
    sent = {"credentials": {"refresh_token": "old"}, "api_url": "x", "start_from": {"a": 1}}
    emitted = {**sent, "credentials": {"refresh_token": "new", "access_token": "at"}}

    assert apply_changes(path, changed(sent, emitted))

    assert json.loads(path.read_text()) == {
        "credentials": {"refresh_token": "new", "access_token": "at"},
        "api_url": "x",
    }
    assert not apply_changes(path, changed(sent, emitted)), "nothing to write a second time"


def test_a_replaced_file_keeps_its_permissions_and_its_symlink(tmp_path):
    target = tmp_path / "secrets" / "keap.json"
    target.parent.mkdir()
    target.write_text("{}")
    target.chmod(0o600)
    link = tmp_path / "keap.json"
    link.symlink_to(target)

    write_atomically(link, '{"a": 1}')

    assert link.is_symlink()
    assert json.loads(target.read_text()) == {"a": 1}
    assert target.stat().st_mode & 0o777 == 0o600
    assert sorted(p.name for p in target.parent.iterdir()) == ["keap.json"], "no temp file left"


def test_a_write_that_fails_midway_leaves_the_old_file_whole(tmp_path, monkeypatch):
    path = tmp_path / "keap.json"
    path.write_text('{"credentials": {"refresh_token": "old"}}')

    def power_cut(descriptor: int) -> None:
        raise OSError("disk gone")

    monkeypatch.setattr(os, "fsync", power_cut)
    with pytest.raises(OSError, match="disk gone"):
        write_atomically(path, '{"credentials": {"refresh_token": "new"}}')

    assert json.loads(path.read_text()) == {"credentials": {"refresh_token": "old"}}
    assert [p.name for p in tmp_path.iterdir()] == ["keap.json"]


def test_the_journal_is_applied_in_order_then_emptied(tmp_path):
    keap, xero = tmp_path / "keap.json", tmp_path / "xero.json"
    keap.write_text(json.dumps({"credentials": {"refresh_token": "k0"}}))
    xero.write_text(json.dumps({"credentials": {"refresh_token": "x0"}}))
    journal = RotationJournal(tmp_path / "rotations.jsonl")
    journal.record(keap, "source-keap", {"credentials": {"refresh_token": "k1"}})
    journal.record(xero, "destination-xero", {"credentials": {"refresh_token": "x1"}})
    journal.record(keap, "source-keap", {"credentials": {"refresh_token": "k2"}})

    recovered = journal.settle()

    assert recovered == ["source-keap", "destination-xero", "source-keap"]
    assert json.loads(keap.read_text())["credentials"]["refresh_token"] == "k2"
    assert json.loads(xero.read_text())["credentials"]["refresh_token"] == "x1"
    assert journal.path.read_text() == ""
    assert journal.path.stat().st_mode & 0o777 == configs.PRIVATE
    assert journal.settle() == []


def test_a_journal_line_cut_short_by_a_crash_is_skipped(tmp_path):
    keap = tmp_path / "keap.json"
    keap.write_text(json.dumps({"credentials": {"refresh_token": "k0"}}))
    journal = RotationJournal(tmp_path / "rotations.jsonl")
    journal.record(keap, "source-keap", {"credentials": {"refresh_token": "k1"}})
    with journal.path.open("a") as handle:
        handle.write('{"at": 1, "connector": "source-keap", "file": "')

    assert journal.settle() == ["source-keap"]
    assert json.loads(keap.read_text())["credentials"]["refresh_token"] == "k1"


def test_a_journal_whose_file_is_gone_is_kept_for_the_next_run(tmp_path):
    journal = RotationJournal(tmp_path / "rotations.jsonl")
    journal.record(tmp_path / "moved.json", "source-keap", {"credentials": {}})

    with pytest.raises(FileNotFoundError):
        journal.settle()

    assert "moved.json" in journal.path.read_text()
