"""Xero's `Idempotency-Key`: a write sent again with the same key gets the first answer back.

Xero keeps a key for 6 minutes from its first use, per app (here: per app and organisation, so
one organisation's answer is never replayed to another). It compares the method, URL and body:
the same request gets the stored answer (errors included) without being carried out again; a
different request with the same key is refused with a 400. Keys are at most 128 characters.
Retries still count against the rate limits; the gate counts them before this store is asked.
"""

from __future__ import annotations

import hashlib
import threading
from dataclasses import dataclass

from flask import Response

from keap_xero_sandbox.clock import Clock
from keap_xero_sandbox.xero.errors import BadRequest

KEY_SECONDS = 6 * 60
MAX_KEY_LENGTH = 128


@dataclass(frozen=True)
class Answer:
    """A stored response, replayed byte for byte."""

    status: int
    body: bytes
    content_type: str

    @classmethod
    def of(cls, response: Response) -> Answer:
        return cls(response.status_code, response.get_data(), response.content_type or "")


@dataclass
class _Entry:
    fingerprint: str
    expires_at: float
    answer: Answer | None = None


class IdempotencyStore:
    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self._entries: dict[tuple[str, str], _Entry] = {}
        self._lock = threading.Lock()

    @staticmethod
    def fingerprint(method: str, url: str, body: bytes) -> str:
        digest = hashlib.sha256()
        for part in (method.upper().encode(), url.encode(), body):
            digest.update(len(part).to_bytes(8, "big") + part)
        return digest.hexdigest()

    def recall(self, scope: str, key: str, fingerprint: str) -> Answer | None:
        """The stored answer for this request, None when it is new; a 400 when the key was used
        with a different request within the last 6 minutes.
        """
        if len(key) > MAX_KEY_LENGTH:
            raise BadRequest(f"Idempotency Key must be {MAX_KEY_LENGTH} characters or fewer.")
        now = self.clock.timestamp()
        with self._lock:
            entry = self._entries.get((scope, key))
            if entry is None or entry.expires_at <= now:
                return None
            if entry.fingerprint != fingerprint:
                raise BadRequest(f"Idempotency Key: {key} is used with a different request.")
            return entry.answer

    def remember(self, scope: str, key: str, fingerprint: str, answer: Answer) -> None:
        now = self.clock.timestamp()
        with self._lock:
            self._entries = {k: e for k, e in self._entries.items() if e.expires_at > now}
            self._entries[(scope, key)] = _Entry(fingerprint, now + KEY_SECONDS, answer)

    def reset(self) -> None:
        with self._lock:
            self._entries.clear()
