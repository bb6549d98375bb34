"""What a destination made of the records it was given, read from its log.

The project's destinations end every sync with a summary of outcomes per stream, and warn about
each record they did not write as asked, naming it and giving the vendor's reason:

    Xero: invoices: 40 created, 1 updated, 0 unchanged, ..., 1 rejected; payments: ...
    invoices record 1042: rejected: Xero says: Account code '999' is not a valid code ...

PyAirbyte hands each log message of a connector to the connector's logger (`airbyte.<name>`);
`ConnectorLog` listens there. The outcomes fall in the columns a bookkeeper reads: written
(created, updated, removed), unchanged (unchanged, skipped, left alone) and rejected.
"""

from __future__ import annotations

import logging
import re
from collections import Counter
from dataclasses import dataclass, field

WRITTEN = ("created", "updated", "removed")
UNCHANGED = ("unchanged", "skipped", "left alone")
REJECTED = ("rejected",)

_SEGMENT = re.compile(r"(?P<stream>[a-z_]+): (?P<counts>\d+ [a-z ]+(?:, \d+ [a-z ]+)*)")
_COUNT = re.compile(r"(\d+) ([a-z ]+)")
_NOTICE = re.compile(
    r"^(?P<stream>[a-z_]+) record (?P<record_id>\S+): (?P<outcome>[a-z ]+): (?P<reason>.*)$",
    re.DOTALL,
)
# `Xero: invoices: 3 created, ...`, or `Xero: stopped; invoices: ...` (a daily limit reached)
_SUMMARY = re.compile(r"^[A-Z][A-Za-z]*: (?:stopped[^;]*; )?(?:[a-z_]+: \d+ |no records$)")


@dataclass(frozen=True)
class Notice:
    """One record the destination did not write as asked, and why."""

    stream: str
    record_id: str
    outcome: str
    reason: str


@dataclass
class DestinationOutcomes:
    """Outcome counts per stream, and the notices about single records."""

    counts: dict[str, Counter[str]] = field(default_factory=dict)
    notices: list[Notice] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    summarised: bool = False  # whether the destination got to its closing summary

    def column(self, stream: str, outcomes: tuple[str, ...]) -> int:
        counter = self.counts.get(stream, Counter())
        return sum(counter[o] for o in outcomes)

    def rejections(self) -> list[Notice]:
        return [n for n in self.notices if n.outcome in REJECTED]


class ConnectorLog(logging.Handler):
    """A connector's log messages as PyAirbyte relays them: its errors, and a destination's
    outcomes."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.outcomes = DestinationOutcomes()

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        if record.levelno >= logging.ERROR:
            self.outcomes.errors.append(message)
            return
        notice = _NOTICE.match(message)
        if notice:
            self.outcomes.notices.append(Notice(**notice.groupdict()))
        elif _SUMMARY.match(message):
            self.outcomes.counts = parse_summary(message)
            self.outcomes.summarised = True


def parse_summary(message: str) -> dict[str, Counter[str]]:
    """`invoices: 3 created, 1 updated; payments: ...` as counts per stream and outcome."""
    counts: dict[str, Counter[str]] = {}
    for segment in _SEGMENT.finditer(message):
        counter: Counter[str] = Counter()
        for number, outcome in _COUNT.findall(segment["counts"]):
            counter[outcome.strip()] += int(number)
        counts[segment["stream"]] = counter
    return counts
