"""What to do with each answer from Keap: go on, wait and retry, refresh the token, or stop with an
error the user can act on.

- 401: with OAuth, refresh the access token once and retry (the token may have expired early);
  then, or with an API key at once, a config error naming the credential (the stream words it).
- 403: the credential is good but its Keap user may not see what was asked: a config error with
  Keap's reason, naming what the user needs access to.
- 429: Keap throttles per minute and per day, and sends no `Retry-After`. A per-minute throttle is
  waited out with exponential backoff. When the headers say the daily quota is spent, waiting
  would take hours: the sync ends with a transient error after its last checkpoint, saying when
  the quota resets, and the next sync resumes from there.
- 408, 5xx and dropped connections: retried with backoff.
- Any other error: the sync stops with Keap's own message and the endpoint that gave it.
"""

from __future__ import annotations

import datetime as dt
import logging
from datetime import timedelta
from urllib.parse import urlsplit

import requests
from airbyte_cdk.models import FailureType
from airbyte_cdk.sources.streams.http.error_handlers import ErrorHandler
from airbyte_cdk.sources.streams.http.error_handlers.response_models import (
    ErrorResolution,
    ResponseAction,
)

from invoice_model.connector.config import config_error
from invoice_model.dates import format_datetime
from source_keap.throttle import Allowance, allowances, next_utc_midnight, spent_daily_allowance

# Enough waits (1, 2, 4 ... capped at 60 s) to outlast Keap's one-minute throttle window.
MAX_RETRIES = 8
MAX_RETRY_TIME = timedelta(minutes=10)


class KeapUsage:
    """What Keap's headers last said about the calls left; shared by every stream of a sync."""

    def __init__(self) -> None:
        self.allowances: list[Allowance] = []
        self.spent_daily: Allowance | None = None

    def observe(self, response: requests.Response) -> None:
        reported = allowances(response.headers)
        if reported:
            self.allowances = reported

    def daily_quota_spent(self, spent: Allowance) -> ErrorResolution:
        self.spent_daily = spent
        resets_at = spent.resets_at or next_utc_midnight(dt.datetime.now(dt.UTC))
        limit = f" of {spent.limit:,} calls" if spent.limit else ""
        return _fail(
            FailureType.transient_error,
            f"Keap's daily API quota{limit} ({spent.family}) is used up until "
            f"{format_datetime(resets_at)}. The sync stopped after its last saved state; the "
            "next sync after that time resumes from there.",
        )


class KeapErrorHandler(ErrorHandler):
    """Keap's answers, resolved as the module docstring says."""

    def __init__(
        self, logger: logging.Logger, usage: KeapUsage, *, is_oauth: bool, credential_field: str
    ) -> None:
        self._logger = logger
        self._usage = usage
        self._is_oauth = is_oauth
        self._credential_field = credential_field

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
            return _retry(f"Keap could not be reached: {response_or_exception}")
        response = response_or_exception
        self._usage.observe(response)
        if response.ok:
            return ErrorResolution(ResponseAction.SUCCESS)
        status = response.status_code
        said = f"Keap answered {_call(response)} with {status}: {_keap_message(response)}"
        if status in (401, 403):
            return self._refused(response, said)
        if status == 429:
            return self._throttled(response, said)
        if status == 408 or status >= 500:
            return _retry(said)
        return _fail(FailureType.system_error, said)

    def _refused(self, response: requests.Response, said: str) -> ErrorResolution:
        """The credential was refused (401: an OAuth access token may just have expired early),
        or its user may not read what was asked (403)."""
        if response.status_code == 403:
            return self._forbidden(response, said)
        if self._is_oauth:
            return ErrorResolution(
                ResponseAction.REFRESH_TOKEN_THEN_RETRY, FailureType.config_error, said
            )
        return _fail(FailureType.config_error, said)

    def _forbidden(self, response: requests.Response, said: str) -> ErrorResolution:
        """Signed in, but the credential's user may not read what was asked."""
        what = _resource(response)
        error = config_error(
            self._credential_field,
            f"{said}. The Keap user of this credential needs access to {what} (the connector "
            "reads orders, payments, contacts and products); grant it in Keap, or use a "
            "credential of a user who has it",
        )
        return _fail(FailureType.config_error, error.message or said)

    def _throttled(self, response: requests.Response, said: str) -> ErrorResolution:
        spent = spent_daily_allowance(response.headers)
        if spent is not None:
            return self._usage.daily_quota_spent(spent)
        return ErrorResolution(ResponseAction.RATE_LIMITED, FailureType.transient_error, said)


def _retry(message: str) -> ErrorResolution:
    return ErrorResolution(ResponseAction.RETRY, FailureType.transient_error, message)


def _fail(failure_type: FailureType, message: str) -> ErrorResolution:
    return ErrorResolution(ResponseAction.FAIL, failure_type, message)


def _call(response: requests.Response) -> str:
    """`GET /crm/rest/v2/orders`: the endpoint, without the query (it may be long)."""
    request = response.request
    path = urlsplit(request.url).path if request is not None and request.url else "?"
    method = request.method if request is not None else "GET"
    return f"{method} {path}"


# What each endpoint the connector reads shows, for a refusal to name it.
_RESOURCES = {
    "orders": "orders",
    "orders/model": "the order custom fields",
    "sales/payments": "payments",
    "contacts": "contacts",
    "products": "products",
    "businessProfile": "the business profile",
}


def _resource(response: requests.Response) -> str:
    """What the call that was refused reads (`contacts` for `GET /crm/rest/v2/contacts`)."""
    path = _call(response).partition(" ")[2]
    tail = path.partition("/rest/v2/")[2] or path
    return _RESOURCES.get(tail, tail)


def _keap_message(response: requests.Response) -> str:
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
