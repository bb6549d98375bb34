"""The read position: resuming, the floor, the lookback window and its de-duplication."""

import datetime as dt

from invoice_model.connector.read_position import ReadPosition, fingerprint

UTC = dt.UTC
T0 = "2024-05-21T14:30:00.000Z"
T1 = "2024-05-21T14:30:01.000Z"
T5 = "2024-05-21T14:30:05.000Z"


def test_a_fresh_read_starts_at_the_floor_or_nowhere():
    assert ReadPosition.resume(None, "updated_at", "updated_at", None).read_from is None
    floor = dt.datetime(2024, 3, 1, 5, tzinfo=UTC)
    position = ReadPosition.resume({}, "updated_at", "updated_at", floor)
    assert position.read_from == "2024-03-01T04:59:59.000Z"
    assert position.as_state() == {"updated_at": "2024-03-01T05:00:00.000Z"}


def test_a_saved_state_before_the_floor_is_raised_to_the_floor():
    floor = dt.datetime(2024, 6, 1, tzinfo=UTC)
    position = ReadPosition.resume({"updated_at": T0}, "updated_at", "updated_at", floor)
    assert position.as_state()["updated_at"] == "2024-06-01T00:00:00.000Z"


def test_reads_resume_one_lookback_before_the_position():
    position = ReadPosition.resume({"updated_at": T5}, "updated_at", "updated_at", None)
    assert position.read_from == "2024-05-21T14:30:04.000Z"


def test_records_seen_unchanged_in_the_lookback_are_skipped_and_changes_emitted():
    position = ReadPosition.resume(None, "updated_at", "updated_at", None)
    assert position.admit("1", T0, "a")
    assert position.admit("2", T0, "b")
    resumed = ReadPosition.resume(position.as_state(), "updated_at", "updated_at", None)
    assert not resumed.admit("1", T0, "a")  # re-read, unchanged
    assert resumed.admit("2", T0, "b2")  # changed within the same second
    assert resumed.admit("3", T0, "c")  # same second, not read before


def test_by_creation_time_a_record_read_before_is_skipped_however_it_changed():
    position = ReadPosition.resume(None, "created_at", "created_at", None)
    assert position.admit("1", T0, "a")
    state = position.as_state()
    assert state == {"created_at": T0, "seen": {T0: {"1": "a"}}}  # as earlier versions kept it
    resumed = ReadPosition.resume(state, "created_at", "created_at", None)
    assert not resumed.admit("1", T0, "a2")  # edited since: not a new record
    assert resumed.admit("2", T0, "b")  # created in the same second, not read before
    assert resumed.as_state()["seen"] == {T0: {"1": "a", "2": "b"}}


def test_fingerprints_older_than_the_lookback_are_forgotten():
    position = ReadPosition.resume(None, "updated_at", "updated_at", None)
    position.admit("1", T0, "a")
    position.admit("2", T1, "b")
    assert set(position.as_state()["seen"]) == {T0, T1}
    position.admit("3", T5, "c")
    assert position.as_state()["seen"] == {T5: {"3": "c"}}


def test_paid_at_state_keeps_the_modification_position_beside_the_cursor():
    position = ReadPosition.resume(None, "paid_at", "updated_at", None)
    position.admit("1", T5, "a")
    position.emitted(T0)
    state = position.as_state()
    assert (state["paid_at"], state["updated_at"]) == (T0, T5)
    resumed = ReadPosition.resume(state, "paid_at", "updated_at", None)
    assert resumed.read_from == "2024-05-21T14:30:04.000Z"


def test_a_state_with_only_paid_at_resumes_modifications_from_there():
    position = ReadPosition.resume({"paid_at": T5}, "paid_at", "updated_at", None)
    assert position.read_from == "2024-05-21T14:30:04.000Z"


def test_an_unreadable_saved_value_is_ignored():
    position = ReadPosition.resume({"updated_at": "yesterday"}, "updated_at", "updated_at", None)
    assert position.read_from is None


def test_records_read_in_a_window_are_counted_and_a_read_can_move_past_a_second():
    position = ReadPosition.resume(None, "updated_at", "updated_at", None)
    for record_id, at in (("1", T0), ("2", "2024-05-21T14:30:00.400Z"), ("3", T1)):
        position.admit(record_id, at, record_id)
    assert position.seen_since(T0) == 3
    assert position.seen_since(T1) == 1
    position.reach("2024-05-21T14:30:02.000Z")
    assert position.as_state()["updated_at"] == "2024-05-21T14:30:02.000Z"
    position.reach(T0)  # never backwards
    assert position.position == "2024-05-21T14:30:02.000Z"


def test_the_fingerprint_tells_changes_apart():
    assert fingerprint({"a": 1, "b": [1, 2]}) == fingerprint({"b": [1, 2], "a": 1})
    assert fingerprint({"a": 1}) != fingerprint({"a": 2})
