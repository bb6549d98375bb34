"""What a run keeps for as long as it lasts, out of its memory.

A sync that remembers something per record (destination-xero every invoice it has seen,
source-keap each order's payments for its second stream) would otherwise grow with the sync:
100,000 orders are tens of MiB of Python objects. `Stowage` keeps strings by key in a private
temporary SQLite database instead: SQLite holds at most its page cache (2 MiB) in memory and the
rest in a file it unlinks as soon as it opens it, so nothing is left behind, even by a process
that is killed. The file goes in the first writable one of `SQLITE_TMPDIR`, `TMPDIR`,
`/var/tmp`, `/usr/tmp`, `/tmp` and the working directory; it takes a few hundred bytes a key.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Iterator

# SQLite allows at least 999 parameters a statement (older builds); keys are asked in chunks.
_KEYS_A_QUERY = 900


class Stowage:
    """Strings (or None) by key, out of memory. With a `capacity`, the keys stowed longest ago
    are dropped once it is passed (stowing a key again counts as stowing it anew)."""

    def __init__(self, capacity: int | None = None) -> None:
        self._capacity = capacity
        self._db = sqlite3.connect("")  # "": private, on disk past its cache, deleted on close
        # The rowid grows with each write (a replaced row gets a new one): it is the age order.
        self._db.execute("CREATE TABLE kept (key TEXT NOT NULL UNIQUE, value TEXT)")

    def __len__(self) -> int:
        return int(self._db.execute("SELECT count(*) FROM kept").fetchone()[0])

    def update(self, items: Iterable[tuple[str, str | None]]) -> None:
        with self._db:
            self._db.executemany("INSERT OR REPLACE INTO kept (key, value) VALUES (?, ?)", items)
            if self._capacity is not None:
                self._db.execute(
                    "DELETE FROM kept WHERE rowid <= (SELECT max(rowid) FROM kept) - ?",
                    (self._capacity,),
                )

    def get_many(self, keys: Iterable[str]) -> dict[str, str | None]:
        """The stowed values of those of `keys` that are stowed."""
        found: dict[str, str | None] = {}
        for chunk in _chunks(keys):
            marks = ",".join("?" * len(chunk))  # placeholders only: the keys are parameters
            query = f"SELECT key, value FROM kept WHERE key IN ({marks})"  # noqa: S608
            rows = self._db.execute(query, chunk)
            found.update(rows)
        return found

    def pop_many(self, keys: Iterable[str]) -> dict[str, str | None]:
        """As `get_many`, and they are stowed no more."""
        found = self.get_many(keys)
        with self._db:
            self._db.executemany("DELETE FROM kept WHERE key = ?", ((key,) for key in found))
        return found

    def close(self) -> None:
        self._db.close()


def _chunks(keys: Iterable[str]) -> Iterator[list[str]]:
    chunk: list[str] = []
    for key in dict.fromkeys(keys):
        chunk.append(key)
        if len(chunk) == _KEYS_A_QUERY:
            yield chunk
            chunk = []
    if chunk:
        yield chunk
