"""The connection file: every mode and start point as the connectors take them, and every
mistake named by its key."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from invoice_sync.connection import Connection, ConnectionFileError, Mode, StartPoint
from invoice_sync.directions import KEAP_TO_XERO, XERO_TO_KEAP, plans

VALID = """
keap: keap.json
xero: xero.json
keap_to_xero:
  mode: {mode}
  start: {start}
"""


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    (tmp_path / "keap.json").write_text(json.dumps({"credentials": {}}))
    (tmp_path / "xero.json").write_text(json.dumps({"credentials": {}}))
    return tmp_path


def load(folder: Path, text: str) -> Connection:
    path = folder / "shop.yaml"
    path.write_text(text)
    return Connection.load(path)


@pytest.mark.parametrize(
    ("mode", "streams", "cursor"),
    [
        ("1", ("invoices",), "created_at"),
        ("2", ("invoices", "payments"), "updated_at"),
        ("3", ("invoices", "payments"), "paid_at"),
        ("paid_invoices_with_payments", ("invoices", "payments"), "paid_at"),
    ],
)
def test_a_mode_is_a_stream_selection_and_the_invoices_cursor(folder, mode, streams, cursor):
    connection = load(folder, VALID.format(mode=mode, start="beginning"))

    [plan] = plans(connection)

    assert plan.direction == KEAP_TO_XERO
    assert (plan.streams, plan.cursor) == (streams, cursor)


@pytest.mark.parametrize(
    ("start", "expected"),
    [
        ("beginning", {"start_type": "beginning"}),
        ("{invoice_id: 2087}", {"start_type": "invoice_id", "invoice_id": "2087"}),
        ('{invoice_id: "2087"}', {"start_type": "invoice_id", "invoice_id": "2087"}),
        (
            "{invoice_date: 2024-03-01}",
            {"start_type": "invoice_date", "invoice_date": "2024-03-01"},
        ),
        (
            "{invoice_date: '2024-03-01', time_zone: Europe/Paris}",
            {
                "start_type": "invoice_date",
                "invoice_date": "2024-03-01",
                "time_zone": "Europe/Paris",
            },
        ),
    ],
)
def test_a_start_point_is_source_keaps_start_from(folder, start, expected):
    connection = load(folder, VALID.format(mode=2, start=start))

    assert plans(connection)[0].source_overrides == {"start_from": expected}


def test_defaults_state_beside_the_file_and_xero_to_keap_off(folder):
    connection = load(folder, VALID.format(mode=2, start="beginning"))

    assert connection.state_dir == folder / ".invoice-sync" / "shop"
    assert connection.keap_config == folder / "keap.json"
    assert connection.xero_to_keap is False
    assert connection.start == StartPoint()
    assert connection.mode is Mode.INVOICES_AND_PAYMENTS


def test_settings_name_the_state_so_a_change_starts_afresh(folder):
    one = plans(load(folder, VALID.format(mode=2, start="beginning")))[0]
    other = plans(load(folder, VALID.format(mode=3, start="beginning")))[0]
    dated = plans(load(folder, VALID.format(mode=2, start="{invoice_date: 2024-03-01}")))[0]

    assert len({one.settings, other.settings, dated.settings}) == 3


@pytest.mark.parametrize(
    ("text", "key", "problem"),
    [
        ("[1, 2]", None, "must be a mapping"),
        ("keap: keap.json\nxero: xero.json\n", "keap_to_xero", "missing"),
        (VALID.format(mode=5, start="beginning"), "keap_to_xero.mode", "5 is not a sync mode"),
        (VALID.format(mode="two", start="beginning"), "keap_to_xero.mode", "not a sync mode"),
        (VALID.format(mode=2, start="yesterday"), "keap_to_xero.start", "not a start point"),
        (
            VALID.format(mode=2, start="{invoice_id: 12a}"),
            "keap_to_xero.start.invoice_id",
            "not a Keap invoice ID",
        ),
        (
            VALID.format(mode=2, start="{invoice_date: 2024-02-30}"),
            "keap_to_xero.start.invoice_date",
            "not a date",
        ),
        (
            VALID.format(mode=2, start="{invoice_date: 2024-03-01, time_zone: Mars/Olympus}"),
            "keap_to_xero.start.time_zone",
            "not an IANA time zone",
        ),
        (
            VALID.format(mode=2, start="{invoice_id: 1, invoice_date: 2024-03-01}"),
            "keap_to_xero.start",
            "exactly one",
        ),
        (VALID.format(mode=2, start="beginning") + "mdoe: 2\n", "mdoe", "unknown key"),
        (
            VALID.format(mode=2, start="beginning") + "xero_to_keap: {enabled: maybe}\n",
            "xero_to_keap.enabled",
            "not true or false",
        ),
        (VALID.format(mode=4, start="beginning"), "keap_to_xero.mode", "nothing to sync"),
        (
            VALID.replace("keap.json", "missing.json").format(mode=2, start="beginning"),
            "keap",
            "does not exist",
        ),
        (
            VALID.replace("xero: xero.json", "xero:").format(mode=2, start="beginning"),
            "xero",
            "missing",
        ),
        ("keap: [oops", None, "not valid YAML"),
    ],
)
def test_a_bad_file_is_named_with_its_key_and_the_problem(folder, text, key, problem):
    with pytest.raises(ConnectionFileError) as raised:
        load(folder, text)

    assert raised.value.key == key
    assert problem in raised.value.problem
    assert str(raised.value).startswith(str(folder / "shop.yaml"))


def test_a_config_file_that_is_not_a_json_object_is_named(folder):
    (folder / "keap.json").write_text("[]")

    with pytest.raises(ConnectionFileError, match=r"keap: .* must hold a JSON object"):
        load(folder, VALID.format(mode=2, start="beginning"))


def test_xero_to_keap_needs_its_connectors(folder, monkeypatch):
    monkeypatch.setattr("invoice_sync.directions.installed", lambda connector: False)
    connection = load(
        folder, VALID.format(mode=2, start="beginning") + "xero_to_keap: {enabled: true}\n"
    )

    with pytest.raises(ConnectionFileError, match=r"xero_to_keap\.enabled: .*source-xero"):
        plans(connection)


def test_a_date_is_a_day(folder):
    connection = load(folder, VALID.format(mode=1, start="{invoice_date: 2024-03-01}"))

    assert connection.start.invoice_date == dt.date(2024, 3, 1)


def test_xero_to_keap_carries_invoices_and_mode_4_leaves_keap_to_xero_out(folder):
    both = load(folder, VALID.format(mode=3, start="beginning") + "xero_to_keap: {enabled: true}\n")
    alone = load(
        folder, VALID.format(mode=4, start="beginning") + "xero_to_keap: {enabled: true}\n"
    )

    assert [p.direction for p in plans(both)] == [KEAP_TO_XERO, XERO_TO_KEAP]
    [reverse] = plans(alone)
    assert (reverse.direction, reverse.streams, reverse.cursor) == (
        XERO_TO_KEAP,
        ("invoices",),
        "updated_at",
    )
