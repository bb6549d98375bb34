"""The accounts' config files, and the rotated credentials written back into them.

Keap and Xero issue a new refresh token on every refresh and the old one stops working (Xero
after a 30-minute grace, Keap at once). A connector hands each new config back in a
CONNECTOR_CONFIG control message; losing it locks the user out. Two rules keep it:

1. **Never half-written.** A config file is replaced, never edited: the new content goes to a
   temporary file in the same folder, is flushed to disk (`fsync`), renamed over the old one
   (atomic on POSIX), and the folder is flushed so the rename itself survives a power cut. A
   reader sees the old file or the new one, whole.
2. **Journaled before it is used.** The launcher that runs each connector (see `launcher`)
   appends every rotated config to this state's journal, flushed to disk, *before* the message
   goes on to PyAirbyte; the runner then writes it into the config file (the
   `config_change_callback`). A runner killed at any moment after the connector printed the
   message leaves it in the journal, and the next run applies the journal before it starts any
   connector. The journal holds secrets: it is created readable by its owner only, and emptied
   once applied.

Only what the connector changed is written back (the top-level keys whose value differs from
the config it was given): the settings the runner adds (start point) never leak into the file.
"""

from __future__ import annotations

import contextlib
import json
import os
import stat
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

PRIVATE = 0o600


def read_config(path: Path) -> dict[str, Any]:
    config = json.loads(path.read_text("utf-8"))
    if not isinstance(config, dict):
        raise ValueError(f"{path} must hold a JSON object")
    return config


def changed(sent: Mapping[str, Any], emitted: Mapping[str, Any]) -> dict[str, Any]:
    """The top-level keys of `emitted` that differ from the config the connector was given."""
    return {key: value for key, value in emitted.items() if sent.get(key) != value}


def apply_changes(path: Path, changes: Mapping[str, Any]) -> bool:
    """Write `changes` into the config file at `path`; False when it already holds them."""
    config = read_config(path)
    if all(config.get(key) == value for key, value in changes.items()):
        return False
    write_atomically(path, json.dumps({**config, **changes}, indent=2) + "\n")
    return True


def write_atomically(path: Path, text: str) -> None:
    """Replace the file at `path` (following a symlink to its target) with `text`, keeping its
    permissions; the file is the old one or the new one, whole, whatever happens meanwhile."""
    target = Path(os.path.realpath(path))
    try:
        mode = stat.S_IMODE(target.stat().st_mode)
    except FileNotFoundError:
        mode = PRIVATE
    temporary = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temporary, mode)
        os.replace(temporary, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            temporary.unlink()
        raise
    _sync_folder(target.parent)


def append_line(path: Path, line: str) -> None:
    """Append one line to a file readable by its owner only, on disk before this returns (a
    crash midway leaves at most a last line cut short)."""
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, PRIVATE)
    try:
        os.write(descriptor, (line + "\n").encode("utf-8"))
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def _sync_folder(folder: Path) -> None:
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


class RotationJournal:
    """Rotated configs not yet known to be in their files: one JSON line each."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def record(self, config_file: Path, connector: str, changes: Mapping[str, Any]) -> None:
        """Append one rotation, on disk before this returns."""
        entry = {"at": time.time(), "connector": connector, "file": str(config_file)}
        append_line(self.path, json.dumps(entry | {"changes": changes}))

    def settle(self) -> list[str]:
        """Apply every journaled rotation to its file, in order, then empty the journal.
        Returns the connectors whose rotation had not reached their file yet."""
        try:
            lines = self.path.read_text("utf-8").splitlines()
        except FileNotFoundError:
            return []
        recovered = []
        for line in lines:
            try:
                entry = json.loads(line)
            except json.JSONDecodeError:
                continue  # a line cut short by a crash mid-append: its message never went out
            if apply_changes(Path(entry["file"]), entry["changes"]):
                recovered.append(entry["connector"])
        write_atomically(self.path, "")
        return recovered
