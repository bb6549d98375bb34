"""Where an incremental read stands, so that a sync killed at any point resumes without losing or
repeating records.

A source reads in ascending order of one timestamp (Keap's `modification_time` or
`creation_time`, Xero's `UpdatedDateUTC`), which records carry as `updated_at` / `created_at`:
the *position*. After each page the state says how far the read got. The APIs filter to the
second, so records stamped the same second as the position may still be unread, and a record may
change again within the second it was read in. The next read therefore starts at most `LOOKBACK`
before the position, and the state keeps a fingerprint of each record read in that window: a
record seen again unchanged is skipped, a record that changed is emitted again.

Read by creation time, a record is met again only because it was created in the window, never
because it changed (a change does not move it): one read before is skipped by its ID, whatever
changed in it since, so each record is emitted once, as it was when first read. The state keeps
the same shape for every position, fingerprints included, so states move between versions.

The state also holds the largest value of the stream's cursor field emitted so far, under the
cursor's name, as Airbyte shows it. For `updated_at` and `created_at` that is the position itself;
for `paid_at` it is kept beside the position (`updated_at`), because an order paid today may carry
a payment dated last week, so `paid_at` cannot say where reading stopped.

    {"updated_at": "2024-05-21T14:30:00.000Z",
     "seen": {"2024-05-21T14:30:00.000Z": {"1042": "9f2c41d07a3b5e68"}}}
    {"paid_at": "2024-05-20T09:00:00.000Z", "updated_at": "2024-05-21T14:30:00.000Z", ...}
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Mapping
from typing import Any

from invoice_model.dates import DateParseError, format_datetime, parse_datetime

LOOKBACK = dt.timedelta(seconds=1)
SEEN = "seen"
# Positions a record keeps for life: met again, it is the record already read.
FIXED_POSITIONS = frozenset({"created_at"})


class ReadPosition:
    """The position and edge fingerprints of one stream's read; the stream's `state`."""

    def __init__(
        self, cursor_field: str, position_field: str, floor: dt.datetime | None = None
    ) -> None:
        self.cursor_field = cursor_field
        self.position_field = position_field
        self.position: str | None = format_datetime(floor) if floor else None
        self.cursor_value: str | None = None
        self._follows_changes = position_field not in FIXED_POSITIONS
        # record id -> (position value, fingerprint) of its last emission within the lookback
        self._seen: dict[str, tuple[str, str]] = {}

    @classmethod
    def resume(
        cls,
        state: Mapping[str, Any] | None,
        cursor_field: str,
        position_field: str,
        floor: dt.datetime | None,
    ) -> ReadPosition:
        """Continue from a saved state; never start below the floor (the configured start)."""
        position = cls(cursor_field, position_field, floor)
        state = state or {}
        saved = _timestamp(state.get(position_field))
        if saved is None and cursor_field != position_field:
            # A state holding only paid_at: no order was paid after its last modification, so
            # reading modifications from there loses nothing.
            saved = _timestamp(state.get(cursor_field))
        if saved is not None and (position.position is None or saved > position.position):
            position.position = saved
        position.cursor_value = _timestamp(state.get(cursor_field))
        seen = state.get(SEEN)
        if isinstance(seen, Mapping):
            for at, ids in sorted(seen.items()):
                if isinstance(ids, Mapping):
                    position._seen.update({str(k): (str(at), str(v)) for k, v in ids.items()})
        return position

    @property
    def read_from(self) -> str | None:
        """Where the next request starts: the position less the lookback."""
        if self.position is None:
            return None
        return format_datetime(parse_datetime(self.position) - LOOKBACK)

    def admit(self, record_id: str, at: str, fingerprint: str) -> bool:
        """Whether a record read at position value `at` is to be emitted: new, or (where the
        position follows changes) changed; records it if so."""
        seen = self._seen.get(record_id)
        if seen is not None and (seen[1] == fingerprint or not self._follows_changes):
            return False
        self._seen[record_id] = (at, fingerprint)
        if self.position is None or at > self.position:
            self.position = at
        return True

    def reach(self, moment: str) -> None:
        """Note that everything stamped before `moment` has been read."""
        if self.position is None or moment > self.position:
            self.position = moment

    def emitted(self, cursor_value: str | None) -> None:
        """Note the cursor value of a record just emitted (the state shows the largest)."""
        if cursor_value is not None and (
            self.cursor_value is None or cursor_value > self.cursor_value
        ):
            self.cursor_value = cursor_value

    def seen_since(self, moment: str) -> int:
        """How many records of the lookback window were read at `moment` or after."""
        return sum(1 for at, _ in self._seen.values() if at >= moment)

    def as_state(self) -> dict[str, Any]:
        self._forget_before(self.read_from)
        state: dict[str, Any] = {}
        if self.cursor_value is not None:
            state[self.cursor_field] = self.cursor_value
        if self.position is not None:
            # For updated_at and created_at the same key: the position, never behind the cursor.
            state[self.position_field] = self.position
        if self._seen:
            grouped: dict[str, dict[str, str]] = {}
            for record_id, (at, fingerprint) in self._seen.items():
                grouped.setdefault(at, {})[record_id] = fingerprint
            state[SEEN] = dict(sorted(grouped.items()))
        return state

    def _forget_before(self, boundary: str | None) -> None:
        """Drop fingerprints the next read cannot meet again (a page's worth at most)."""
        if boundary is None:
            return
        for record_id in [r for r, (at, _) in self._seen.items() if at < boundary]:
            del self._seen[record_id]


def fingerprint(record: Mapping[str, Any]) -> str:
    """A short fingerprint of a record, to tell a re-read unchanged record from an update."""
    text = json.dumps(record, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.blake2b(text.encode(), digest_size=8).hexdigest()


def _timestamp(value: Any) -> str | None:
    """A saved timestamp in the record form, or None when absent or unreadable."""
    if not value:
        return None
    try:
        return format_datetime(value)
    except DateParseError:
        return None
