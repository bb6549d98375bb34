"""What to do with each answer from Keap: go on, wait and retry, refresh the token, hand it back to
the caller, or stop with an error the user can act on.

- 401: with OAuth, refresh the access token once per request and retry (the token may have
  expired early); then, or with an API key at once, a config error naming the credential (the
  caller words it).
- 403: the credential is good but its Keap user may not see or change what was asked: a config
  error with Keap's reason, naming what the user needs access to.
- 429: Keap throttles per second (spike arrest), per minute and per day, and sends no
  `Retry-After`. A spike arrest or per-minute throttle is waited out with exponential backoff.
  When the headers say the daily quota is spent, waiting would take hours: the sync ends with a
  transient error after its last checkpoint, saying when the quota resets.
- 408, 5xx and calls that get no answer: retried with the CDK's backoff, a run without answers
  for as long as its `network` allows; except, for a client that writes (`answers_refusals`),
  those of a `POST`, which Keap may have carried out before its answer was lost: they come back
  to the caller, which looks before it writes again (Keap has no idempotency keys).
- 400, 404, 409, 422: for a client that writes, handed back to the caller, which reads Keap's
  reason (a record Keap refuses is rejected on its own); for one that reads, the sync stops with
  Keap's message and the endpoint that gave it.

An answer that ends the run is raised here, as an error in the user's words: the CDK's own
would carry the URL as sent (kilobytes, with an ID list) and the response headers.

`KeapUsage` keeps what a sync spent and waited: calls, seconds waited for Keap's limits, the
allowances Keap's headers last reported and whether the daily quota is spent.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from datetime import timedelta
from urllib.parse import urlsplit

import requests
from airbyte_cdk.models import FailureType
from airbyte_cdk.sources.streams.http.error_handlers import ErrorHandler
from airbyte_cdk.sources.streams.http.error_handlers.response_models import (
    ErrorResolution,
    ResponseAction,
)
from airbyte_cdk.utils.traced_exception import AirbyteTracedException

from invoice_model.connector.config import config_error
from invoice_model.connector.keap.throttle import (
    Allowance,
    allowances,
    next_utc_midnight,
    spent_daily_allowance,
)
from invoice_model.connector.network import Network
from invoice_model.connector.oauth import RefreshOnce
from invoice_model.dates import format_datetime

# Enough waits (1, 2, 4 ... capped at 60 s) to outlast Keap's one-minute throttle window.
MAX_RETRIES = 8
MAX_RETRY_TIME = timedelta(minutes=10)
# What a writing client reads itself: Keap's reasons for refusing one request.
REFUSALS = (400, 404, 409, 422)


class KeapUsage:
    """What a sync spent of Keap's limits: shared by every stream or worker thread of a sync."""

    def __init__(self) -> None:
        self.allowances: list[Allowance] = []
        self.spent_daily: Allowance | None = None
        self.calls = 0
        self.waited = 0.0  # seconds spent waiting for Keap's limits (pacing and 429s)
        self._lock = threading.Lock()

    def observe(self, response: requests.Response | None) -> None:
        """One call made (`None`: it got no answer), and what its headers say is left."""
        with self._lock:
            self.calls += 1
            reported = allowances(response.headers) if response is not None else []
            if reported:
                self.allowances = reported

    def note_wait(self, seconds: float) -> None:
        if seconds > 0:
            with self._lock:
                self.waited += seconds

    def daily_quota_spent(self, spent: Allowance) -> AirbyteTracedException:
        self.spent_daily = spent
        return _stop(FailureType.transient_error, self.quota_message())

    @property
    def resumes_at(self) -> dt.datetime | None:
        """When the spent daily quota resets (None while it is not spent)."""
        if self.spent_daily is None:
            return None
        return self.spent_daily.resets_at or next_utc_midnight(dt.datetime.now(dt.UTC))

    def quota_message(self) -> str:
        spent = self.spent_daily
        if spent is None:
            return ""
        limit = f" of {spent.limit:,} calls" if spent.limit else ""
        return (
            f"Keap's daily API quota{limit} ({spent.family}) is used up until "
            f"{format_datetime(self.resumes_at or dt.datetime.now(dt.UTC))}."
        )


class KeapErrorHandler(ErrorHandler):
    """Keap's answers, resolved as the module docstring says. `uses` says what the connector
    reads or writes, for a refusal (403) to name the access its credential's user lacks.
    """

    def __init__(
        self,
        logger: logging.Logger,
        usage: KeapUsage,
        *,
        is_oauth: bool,
        credential_field: str,
        uses: str,
        network: Network,
        answers_refusals: bool = False,
        reports_throttling: bool = True,
    ) -> None:
        self._logger = logger
        self._usage = usage
        self._network = network
        self._refreshes = RefreshOnce()
        self._is_oauth = is_oauth
        self._credential_field = credential_field
        self._uses = uses
        self._answers_refusals = answers_refusals
        self._reports_throttling = reports_throttling

    @property
    def max_retries(self) -> int:
        return MAX_RETRIES

    @property
    def max_time(self) -> int:
        return int(MAX_RETRY_TIME.total_seconds())

    def interpret_response(
        self, response_or_exception: requests.Response | Exception | None = None
    ) -> ErrorResolution:
        if not isinstance(response_or_exception, requests.Response):
            self._usage.observe(None)
            message = self._network.failed(response_or_exception)  # raises when it gives up
            if self._answers_refusals and _method(response_or_exception) == "POST":
                return ErrorResolution(ResponseAction.IGNORE, None, message)
            return _retry(message)
        response = response_or_exception
        self._usage.observe(response)
        self._network.answered()
        if response.ok:
            return ErrorResolution(ResponseAction.SUCCESS)
        return self._unsuccessful(response)

    def _unsuccessful(self, response: requests.Response) -> ErrorResolution:
        status = response.status_code
        said = f"Keap answered {endpoint(response)} with {status}: {keap_message(response)}"
        if status in (401, 403):
            return self._refused(response, said)
        if status == 429:
            return self._throttled(response, said)
        if self._answers_refusals and (
            status in REFUSALS or (_method(response) == "POST" and _transient(status))
        ):
            return ErrorResolution(ResponseAction.IGNORE, None, said)
        if _transient(status):
            return _retry(said)
        raise _stop(FailureType.system_error, said)

    def _refused(self, response: requests.Response, said: str) -> ErrorResolution:
        """The credential was refused (401: an OAuth access token may just have expired early),
        or its user may not do what was asked (403)."""
        if response.status_code == 403:
            raise self._forbidden(response, said)
        if self._is_oauth and self._refreshes.first_refusal(response):
            return ErrorResolution(
                ResponseAction.REFRESH_TOKEN_THEN_RETRY, FailureType.config_error, said
            )
        raise _stop(FailureType.config_error, said)

    def _forbidden(self, response: requests.Response, said: str) -> AirbyteTracedException:
        """Signed in, but the credential's user may not do what was asked."""
        return config_error(
            self._credential_field,
            f"{said}. The Keap user of this credential needs access to {resource(response)} "
            f"(the connector {self._uses}); grant it in Keap, or use a credential of a user who "
            "has it",
        )

    def _throttled(self, response: requests.Response, said: str) -> ErrorResolution:
        spent = spent_daily_allowance(response.headers)
        if spent is not None:
            raise self._usage.daily_quota_spent(spent)
        # RATE_LIMITED has the CDK report the wait as the status of a stream named after the
        # client; a client serving no single stream (a destination) reports its waits itself.
        action = ResponseAction.RATE_LIMITED if self._reports_throttling else ResponseAction.RETRY
        return ErrorResolution(action, FailureType.transient_error, said)


def _retry(message: str) -> ErrorResolution:
    return ErrorResolution(ResponseAction.RETRY, FailureType.transient_error, message)


def _stop(failure_type: FailureType, message: str) -> AirbyteTracedException:
    """The error that ends the run (see the module docstring)."""
    return AirbyteTracedException(
        message=message, internal_message=message, failure_type=failure_type
    )


def _transient(status: int) -> bool:
    return status == 408 or status >= 500


def _method(answer: requests.Response | Exception | None) -> str:
    request = getattr(answer, "request", None)
    return str(getattr(request, "method", "") or "").upper()


def endpoint(response: requests.Response) -> str:
    """`GET /crm/rest/v2/orders`: the endpoint, without the query (it may be long)."""
    request = response.request
    path = urlsplit(request.url).path if request is not None and request.url else "?"
    method = request.method if request is not None else "GET"
    return f"{method} {path}"


# What each endpoint the connectors call shows or changes, for a refusal to name it.
_RESOURCES = {
    "orders": "orders",
    "orders/model": "the order custom fields",
    "orders/model/customFields": "the order custom fields",
    "sales/payments": "payments",
    "contacts": "contacts",
    "products": "products",
    "businessProfile": "the business profile",
    "settings/applications:getConfiguration": "the e-commerce settings",
}


def resource(response: requests.Response) -> str:
    """What the refused call reads or writes (`contacts` for `GET /crm/rest/v2/contacts`; an
    order's payments for `POST /crm/rest/v2/orders/12/payments`)."""
    path = endpoint(response).partition(" ")[2]
    tail = path.partition("/rest/v2/")[2] or path
    if tail.startswith("orders/") and tail.endswith("/payments"):
        return "payments"
    if tail.startswith("orders/") and tail.split("/")[1].isdigit():
        return "orders"
    return _RESOURCES.get(tail, tail)


def keap_message(response: requests.Response) -> str:
    """Keap's own words: `message` of its error body, or Apigee's `fault.faultstring`."""
    try:
        body = response.json()
    except ValueError:
        return (response.text or response.reason or "no message").strip()[:300]
    if isinstance(body, dict):
        fault = body.get("fault")
        if isinstance(fault, dict) and fault.get("faultstring"):
            return str(fault["faultstring"])
        for key in ("message", "error_description", "error"):
            if body.get(key):
                return str(body[key])
    return str(body)[:300]
