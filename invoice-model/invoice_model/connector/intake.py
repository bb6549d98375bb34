"""What arrives at a destination, before anything is written: each record restored, checked,
fitted to the destination, and the rule for a stream whose records all break the contract.

Every record is read back into the form its source emitted (`StreamContract.restored`: null
fields, and the forms a PyAirbyte cache gives values back in), then checked against the record
contract. A record that breaks it is rejected with its field paths; one that keeps it is fitted
to what the destination keeps (its `fit`: Xero's field lengths, say), each change noted.

**The rule.** A record that breaks the contract is one rejected record: reported, counted, and
the state after it is echoed, so the sync goes on. But the input may be wrongly shaped as a
whole: another version of the contract, columns a cache added, a stream mapped from the wrong
source. Then every record has a problem with its shape (a field missing, unknown, or of another
JSON type), and echoing the state would tell the platform they were all dealt with, so that a
corrected run would find nothing left to write. So when a state of a stream comes (or the input
ends) and every record of that stream so far in this sync was wrongly shaped, the sync fails
before echoing it, and a corrected run reads them again. Records whose values break the contract
(a currency the destination does not know, lines that do not add up) never stop the sync: they
are the source's data, and a run with the same data would refuse them again.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from airbyte_cdk.models import FailureType
from airbyte_cdk.utils.traced_exception import AirbyteTracedException

from invoice_model import validation
from invoice_model.connector.messages import json_kind
from invoice_model.contract import INVOICES, PAYMENTS, STREAMS

# A record of a stream fitted to what the destination keeps, and a note for each change.
Fit = Callable[[str, dict[str, Any]], tuple[dict[str, Any], list[str]]]


@dataclass(frozen=True)
class Examined:
    """A record as it arrived: the record to write, or why it cannot be written; and what was
    changed to fit it to the destination.
    """

    record: dict[str, Any] | None
    problem: str | None = None
    notes: list[str] = field(default_factory=list)


@dataclass
class Intake:
    """Records checked as they arrive, and how many of each stream were wrongly shaped.

    `system` names the destination in messages ("Xero"); `source_written_here` is the source
    whose records are never written back to where they came from ("xero"); `fit` fits a valid
    record to the destination.
    """

    system: str
    source_written_here: str
    fit: Fit
    shaped: Counter[str] = field(default_factory=Counter)
    misshapen: Counter[str] = field(default_factory=Counter)
    first_misshapen: dict[str, str] = field(default_factory=dict)

    def examine(self, stream: str, data: Any) -> Examined:
        """The record `data` of `stream`, restored, checked and fitted (see module)."""
        if stream not in (INVOICES.name, PAYMENTS.name):
            return Examined(None, f"stream {stream!r} is not written by this destination")
        if not isinstance(data, Mapping):
            what = "no data" if data is None else f"{json_kind(data)} for data"
            problem = f"the RECORD message has {what}; a record's data is an object"
            self._tally(stream, f"a {stream} record: {problem}")
            return Examined(None, problem)
        record = STREAMS[stream].restored(data)
        found = validation.problems(stream, record)
        problem = "breaks the record contract: " + "; ".join(map(str, found)) if found else None
        shape = any(p.shape for p in found)
        self._tally(
            stream, f"{stream} record {record.get('source_id')}: {problem}" if shape else None
        )
        if problem is not None:
            return Examined(None, problem)
        if record["source"] == self.source_written_here:
            return Examined(
                None,
                f"it comes from {self.system}: records are not written back to where they "
                "came from",
            )
        if record["written_by_sync"]:
            return Examined(record)
        fitted, notes = self.fit(stream, record)
        return Examined(fitted, notes=notes)

    def wrongly_shaped(self, streams: Iterable[str] | None = None) -> AirbyteTracedException | None:
        """The error a sync ends with when every record so far of one of `streams` (of any
        stream, when None) was wrongly shaped; None when none was.
        """
        for stream in sorted(streams if streams is not None else self.misshapen):
            if self.misshapen[stream] and not self.shaped[stream]:
                message = (
                    f"Every {stream} record so far ({self.misshapen[stream]}) is wrongly shaped "
                    f"for the record contract, e.g. {self.first_misshapen[stream]}. The input "
                    "looks wrongly shaped as a whole (another contract version, columns added on "
                    f"the way), so the state after these records is not echoed and a corrected "
                    "run still finds them; nothing of the stream was written."
                )
                return AirbyteTracedException(
                    message=message, internal_message=message, failure_type=FailureType.config_error
                )
        return None

    def _tally(self, stream: str, shape_problem: str | None) -> None:
        """Count a record of `stream` as well shaped (None), or as wrongly shaped, and why."""
        if shape_problem is None:
            self.shaped[stream] += 1
        else:
            self.misshapen[stream] += 1
            self.first_misshapen.setdefault(stream, shape_problem)
