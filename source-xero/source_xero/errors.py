"""What to do with each answer from Xero: go on, wait and retry, refresh the token, or stop with
an error the user can act on.

- 401: refresh the access token once and retry (it may have expired on Xero's clock before
  ours); refused again, it comes back to the stream, which says how to sign in again.
- 429 for the minute (or the app's minute, or too many calls in flight): wait as `Retry-After`
  says (the connector kit's `RetryAfterBackoff`), then retry.
- 408 and 5xx: retried with the CDK's backoff, at most `MAX_RETRIES` times and `MAX_RETRY_TIME`
  in all, reported as what they are (never as a rate limit); calls that get no answer too, for
  as long as the run's `network` allows, then the sync ends with the host and the cause.
- Everything else comes back to the stream (`answers`), which words it for the user: 403 (the
  token may not read this organisation, or lacks a scope) as a config error naming the tenant
  field and the read-only scopes; 429 for the day, whose wait is hours, by ending the sync after
  its last saved state with when Xero allows calls again; 400, 404 and the rest with Xero's own
  message and the endpoint (never the query string or headers).
"""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlsplit

import requests
from airbyte_cdk.models import FailureType
from airbyte_cdk.sources.streams.http.error_handlers import ErrorHandler
from airbyte_cdk.sources.streams.http.error_handlers.response_models import (
    ErrorResolution,
    ResponseAction,
)

from invoice_model.connector.network import Network
from invoice_model.connector.oauth import RefreshOnce
from invoice_model.connector.xero.limits import is_daily_limit

# Enough for a storm of minute-limit refusals (each waits Retry-After, at most a minute) and a
# few 5xx; a dead network ends the sync sooner (`network.PATIENCE`).
MAX_RETRIES = 8
MAX_RETRY_TIME = timedelta(minutes=10)


class XeroErrorHandler(ErrorHandler):
    """Xero's answers, resolved as the module docstring says."""

    def __init__(self, network: Network) -> None:
        self.network = network
        self.refreshes = RefreshOnce()

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
            return ErrorResolution(
                ResponseAction.RETRY,
                FailureType.transient_error,
                self.network.failed(response_or_exception),  # raises when it gives up
            )
        response = response_or_exception
        self.network.answered()
        status = response.status_code
        if response.ok:
            return ErrorResolution(ResponseAction.SUCCESS)
        if status == 401 and self.refreshes.first_refusal(response):
            return ErrorResolution(
                ResponseAction.REFRESH_TOKEN_THEN_RETRY,
                FailureType.config_error,
                "Xero rejected the access token (401)",
            )
        if status == 429 and not is_daily_limit(response):
            return ErrorResolution(
                ResponseAction.RATE_LIMITED,
                FailureType.transient_error,
                "Xero's rate limit: waiting as Retry-After says",
            )
        call = f"{response.request.method} {urlsplit(response.request.url or '').path}"
        if status == 408 or status >= 500:
            return ErrorResolution(
                ResponseAction.RETRY,
                FailureType.transient_error,
                f"Xero answered {call} with {status}",
            )
        # The stream words it (`answers`); the CDK logs this instead of the URL as sent.
        return ErrorResolution(ResponseAction.IGNORE, None, f"Xero answered {call} with {status}")
