"""What became of each record, and the summary a sync ends with."""

from __future__ import annotations

import enum
from collections import Counter
from dataclasses import dataclass, field


class RecordError(ValueError):
    """Why one record cannot be written; the record is rejected with this message."""


class Outcome(enum.Enum):
    CREATED = "created"
    UPDATED = "updated"
    UNCHANGED = "unchanged"  # already in Xero as the record says: no call
    LEFT_ALONE = "left alone"  # changed at the source, but paid, voided or locked in Xero
    REMOVED = "removed"  # a payment refunded or voided at the source, deleted in Xero
    SKIPPED = "skipped"  # nothing to write (written by the other direction, void and absent)
    REJECTED = "rejected"


@dataclass(frozen=True)
class Notice:
    """A warning about one record, naming it and, when Xero gave one, Xero's own message."""

    stream: str
    record_id: str
    message: str
    what: str = "record"  # "line" for an input line that was no message

    def __str__(self) -> str:
        return f"{self.stream} {self.what} {self.record_id}: {self.message}"


@dataclass
class Tally:
    """Outcomes per stream over a whole sync."""

    counts: dict[str, Counter[Outcome]] = field(default_factory=dict)
    unreadable: int = 0  # input lines that were no message

    def add(self, stream: str, outcome: Outcome, n: int = 1) -> None:
        self.counts.setdefault(stream, Counter())[outcome] += n

    def rejected(self) -> int:
        return sum(counter[Outcome.REJECTED] for counter in self.counts.values())

    def summary(self) -> str:
        """`invoices: 3 created, 1 updated, ...; payments: ...` (every outcome, zeros too), and
        the unreadable input lines when there were any.
        """
        parts = []
        for stream in sorted(self.counts):
            counter = self.counts[stream]
            parts.append(
                f"{stream}: "
                + ", ".join(f"{counter[outcome]} {outcome.value}" for outcome in Outcome)
            )
        if self.unreadable:
            parts.append(f"{self.unreadable} unreadable input line(s) skipped")
        return "; ".join(parts) if parts else "no records"
