"""Calls that get no answer at all: what went wrong, in a user's words, and how long to go on.

A call can fail before any HTTP answer: the host's name does not resolve, nothing listens on its
port, TLS fails, no answer comes in time, or the connection drops. The connectors retry such a
call with the CDK's exponential backoff (1, 2, 4 ... seconds, logged as the error it is, never as
a rate limit), but not without end: a run gives up once calls have failed so for `PATIENCE` in a
row (any answer, even an error, ends the streak), with the host and the cause. `check` gives up
at the first failure, and waits `CHECK_READ_TIMEOUT` for an answer rather than `READ_TIMEOUT`,
so that a wrong or unreachable address is answered in seconds.

Messages name the host, the endpoint without its query string and the cause; never the URL as
sent (an ID list can make it kilobytes long), headers or the exception's own text.
"""

from __future__ import annotations

import http.client
import socket
import ssl
import threading
import time
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

import requests
from airbyte_cdk.models import FailureType
from airbyte_cdk.utils.traced_exception import AirbyteTracedException
from urllib3.exceptions import (
    ConnectTimeoutError,
    NewConnectionError,
    ProtocolError,
    ReadTimeoutError,
)

CONNECT_TIMEOUT = 10.0  # seconds to open a connection
READ_TIMEOUT = 120.0  # seconds to wait for an answer: a page of 1,000 invoices is megabytes
CHECK_READ_TIMEOUT = 30.0  # `check` asks for little
PATIENCE = timedelta(minutes=2)


class Unreachable(AirbyteTracedException):
    """An API that could not be reached: the run ends (a transient error, which the platform
    retries) or `check` fails, with the host and the cause."""

    def __init__(self, message: str) -> None:
        super().__init__(
            message=message, internal_message=message, failure_type=FailureType.transient_error
        )


class Network:
    """Calls of one run to one API: how long each may take (`timeouts`, which every call is
    given: requests waits for ever without one), and the streak of those that got no answer,
    with when to give up on it. Shared by every stream, worker thread and token refresh of the
    run.

    `system` names the API in messages ("Keap", "Xero"); `checking`, a run of `check`.
    """

    def __init__(self, system: str, *, checking: bool = False) -> None:
        self.system = system
        self.patience = timedelta(0) if checking else PATIENCE
        self.timeouts = (CONNECT_TIMEOUT, CHECK_READ_TIMEOUT if checking else READ_TIMEOUT)
        self._lock = threading.Lock()
        self._since: float | None = None  # monotonic time of the streak's first failure
        self._failures = 0
        self.given_up = False

    def answered(self) -> None:
        """A call got an answer: the network works."""
        with self._lock:
            self._since, self._failures = None, 0

    def failed(self, error: BaseException, what: str | None = None) -> str:
        """A call got no answer: what to say of it before it is retried; raises `Unreachable`
        once the streak has lasted `patience`. `what` names what was called (the API by
        default)."""
        said = f"{what or self.system} could not be reached at {describe(error, self.timeouts)}"
        with self._lock:
            now = time.monotonic()
            self._since = now if self._since is None else self._since
            self._failures += 1
            lasted, failures = now - self._since, self._failures
        if lasted < self.patience.total_seconds():
            return said
        self.given_up = True
        if failures == 1:
            raise Unreachable(f"{said}.")
        raise Unreachable(
            f"{said}. Gave up after {failures} tries over {_duration(lasted)}; the next sync "
            "resumes from the last saved state."
        )


def describe(error: BaseException, timeouts: tuple[float, float]) -> str:
    """`api.infusionsoft.com (GET /crm/rest/v2/orders): the connection was refused`: where a
    call, given `timeouts`, failed and why."""
    request = getattr(error, "request", None)
    url = getattr(request, "url", None) or ""
    parts = urlsplit(url)
    host = parts.netloc.rpartition("@")[2] or "its host"
    method = getattr(request, "method", None)
    call = f" ({method} {parts.path or '/'})" if method else ""
    return f"{host}{call}: {cause(error, timeouts)}"


def cause(error: BaseException, timeouts: tuple[float, float]) -> str:
    """Why a call, given `timeouts`, got no answer, in a user's words (the exception's own text
    is for none)."""
    chain = list(_chain(error))
    for kinds, said in _CAUSES:
        found = next((e for e in chain if isinstance(e, kinds)), None)
        if found is not None:
            return said(found, timeouts)
    return f"the connection failed ({type(error).__name__})"


# What each error behind a failed call means, the most telling first.
_CAUSES: tuple[tuple[type | tuple[type, ...], Callable[[Any, tuple[float, float]], str]], ...] = (
    (socket.gaierror, lambda _, __: "its name does not resolve (DNS)"),
    (
        ConnectionRefusedError,
        lambda _, __: "the connection was refused (nothing listens on that port)",
    ),
    (ssl.SSLError, lambda found, _: f"TLS failed ({_tls_reason(found)})"),
    # urllib3's failed connections derive from its connect timeout: told apart before it.
    (NewConnectionError, lambda _, __: "no connection could be opened"),
    (
        (requests.exceptions.ConnectTimeout, ConnectTimeoutError),
        lambda _, timeouts: f"no connection within {timeouts[0]:g} s (timeout)",
    ),
    (
        (requests.exceptions.ReadTimeout, ReadTimeoutError),
        lambda _, timeouts: f"no answer within {timeouts[1]:g} s (timeout)",
    ),
    ((TimeoutError, socket.timeout), lambda _, __: "no answer in time (timeout)"),
    (
        (
            http.client.RemoteDisconnected,
            ConnectionResetError,
            ConnectionAbortedError,
            ProtocolError,
        ),
        lambda _, __: "the connection was closed without an answer",
    ),
)


def _chain(error: BaseException) -> Iterator[BaseException]:
    """The error and every error behind it (requests wraps urllib3's, which wraps the socket's)."""
    seen: set[int] = set()
    waiting: list[BaseException | None] = [error]
    while waiting:
        found = waiting.pop(0)
        if found is None or id(found) in seen:
            continue
        seen.add(id(found))
        yield found
        reason = getattr(found, "reason", None)
        behind = [a for a in found.args if isinstance(a, BaseException)]
        waiting += [*behind, reason if isinstance(reason, BaseException) else None]
        waiting += [found.__cause__, found.__context__]


def _tls_reason(error: ssl.SSLError) -> str:
    if isinstance(error, ssl.SSLCertVerificationError) and error.verify_message:
        return f"the certificate is not trusted: {error.verify_message}"
    reason = getattr(error, "reason", None)
    if reason == "WRONG_VERSION_NUMBER":
        return "the server there does not speak TLS: is it plain http?"
    return str(reason or "the handshake failed").lower().replace("_", " ")


def _duration(seconds: float) -> str:
    minutes, rest = divmod(round(seconds), 60)
    return f"{minutes} min {rest} s" if minutes else f"{rest} s"
