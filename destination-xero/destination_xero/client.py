"""The Xero Accounting API as this destination uses it, on the CDK's `HttpClient`.

Retries, backoff and token refresh are the CDK's: `HttpClient` with an error handler that knows
Xero's answers and the project's `RetryAfterBackoff`. What is Xero's own lives here: the tenant
header, JSON on both sides, `summarizeErrors=false` batches whose elements are read one by one,
a deterministic `Idempotency-Key` per batch, and admission control (`Pacer`) that keeps calls
within Xero's rate limits.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote_plus, urlencode, urlsplit

import requests
from airbyte_cdk.models import FailureType
from airbyte_cdk.sources.streams.http.error_handlers import (
    ErrorResolution,
    HttpStatusErrorHandler,
    ResponseAction,
)
from airbyte_cdk.sources.streams.http.http_client import HttpClient
from airbyte_cdk.utils.traced_exception import AirbyteTracedException
from requests.adapters import HTTPAdapter
from requests.auth import AuthBase

from destination_xero.pacing import DailyLimitError, Pacer
from invoice_model.connector.http import RetryAfterBackoff, retry_after_seconds
from invoice_model.connector.network import Network
from invoice_model.connector.oauth import RefreshOnce
from invoice_model.connector.xero.access import TENANT_HEADER
from invoice_model.connector.xero.limits import is_daily_limit, rate_limit_problem

ZERO_ID = "00000000-0000-0000-0000-000000000000"
# Enough for a storm of minute-limit refusals and a few 5xx; a dead network ends the run sooner
# (`network.PATIENCE`).
MAX_RETRIES = 8
# Xero answers 404 beyond roughly 2,000 characters of query (about 52 GUIDs in `IDs`).
MAX_QUERY_CHARS = 1_800
PAGE_SIZE = 1_000
MAX_IN_FLIGHT = 5


@dataclass(frozen=True)
class Element:
    """One element of a batch as Xero echoed it: written, or refused with Xero's messages."""

    data: Mapping[str, Any]
    errors: tuple[str, ...] = ()
    warnings: tuple[str, ...] = field(default=())

    @property
    def ok(self) -> bool:
        return not self.errors


class XeroErrorHandler(HttpStatusErrorHandler):
    """Xero's answers as the CDK's retry machinery should treat them.

    400, 404 and other refusals come back to the caller, which reads Xero's validation
    messages; so does a 429 for the daily limit, which must stop the sync rather than wait
    hours. A 401 gets one token refresh and retry (the token may have expired on Xero's clock
    before ours). Another 429 is retried after `Retry-After` (the pacer holds every other call
    meanwhile and tells of the wait): as a plain retry, since the CDK would report a rate limit
    as the status of a stream named after the client. 408 and 5xx are retried, and a call that
    gets no answer while the run's `network` allows.
    """

    def __init__(self, logger: logging.Logger, tenant_field: str | None, network: Network) -> None:
        super().__init__(logger, max_retries=MAX_RETRIES)
        self.tenant_field = tenant_field
        self.network = network
        self.refreshes = RefreshOnce()

    def interpret_response(
        self, response_or_exception: requests.Response | Exception | None = None
    ) -> ErrorResolution:
        response = response_or_exception
        if not isinstance(response, requests.Response):
            message = self.network.failed(response)  # raises when it gives up
            return ErrorResolution(ResponseAction.RETRY, FailureType.transient_error, message)
        self.network.answered()
        if response.ok:
            return super().interpret_response(response)
        return self._unsuccessful(response)

    def _unsuccessful(self, response: requests.Response) -> ErrorResolution:
        status = response.status_code
        said = f"Xero answered {_call(response)} with {status}"
        if status == 429 and not is_daily_limit(response):
            problem = rate_limit_problem(response) or "a"
            return _retry(f"Xero answered 429 ({problem} rate limit); waiting as Retry-After says")
        if status == 408 or status >= 500:
            return _retry(said)
        if status == 401 and self.refreshes.first_refusal(response):
            return ErrorResolution(
                ResponseAction.REFRESH_TOKEN_THEN_RETRY, FailureType.config_error, "401"
            )
        if status in (401, 403):
            raise self._refused(status)
        # The caller reads it; the CDK logs `said` instead of the URL as sent.
        return ErrorResolution(ResponseAction.IGNORE, None, said)

    def _refused(self, status: int) -> AirbyteTracedException:
        """The credentials, or what they may do, refused: raised here, since the CDK's own error
        would carry the request's body (customers' details) and the response headers."""
        if status == 401:
            message = (
                "Xero rejected the access token (401) after a refresh: check the credentials, "
                "and that the app is still connected to the organisation."
            )
        else:
            message = self._not_permitted()
        return AirbyteTracedException(
            message=message, internal_message=message, failure_type=FailureType.config_error
        )

    def _not_permitted(self) -> str:
        """What a 403 means: the app's connection to the organisation is gone (the user
        disconnected it or revoked its access, mid-sync perhaps) or a scope is missing."""
        scopes = (
            "accounting.invoices, accounting.payments, accounting.contacts and "
            "accounting.settings.read (or accounting.transactions)"
        )
        if self.tenant_field is None:
            return (
                "Xero refused the call (403 Not Permitted): the Custom Connection is no longer "
                f"connected to its organisation, or lacks one of the scopes {scopes}."
            )
        return (
            "Xero refused the call (403 Not Permitted): the app is no longer connected to the "
            f"organisation in '{self.tenant_field}' (disconnected, or its access revoked), or "
            f"lacks one of the scopes {scopes}. Authorise the app again on that organisation "
            "with those scopes and offline_access, and put the new refresh token in "
            "'credentials.refresh_token'."
        )


def _retry(message: str) -> ErrorResolution:
    return ErrorResolution(ResponseAction.RETRY, FailureType.transient_error, message)


def _call(response: requests.Response) -> str:
    """`PUT /api.xro/2.0/Invoices`: the call, without its query string."""
    request = response.request
    return f"{request.method} {urlsplit(request.url or '').path}"


class PacedSession(requests.Session):
    """A session whose every call to the Accounting API waits for the pacer's leave."""

    def __init__(self, pacer: Pacer, paced_prefix: str) -> None:
        super().__init__()
        self.pacer = pacer
        self.paced_prefix = paced_prefix
        adapter = HTTPAdapter(pool_connections=2, pool_maxsize=MAX_IN_FLIGHT * 2)
        self.mount("https://", adapter)
        self.mount("http://", adapter)

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:
        if not (request.url or "").startswith(self.paced_prefix):
            return super().send(request, **kwargs)
        self.pacer.acquire()
        response: requests.Response | None = None
        try:
            response = super().send(request, **kwargs)
            return response
        finally:
            self.pacer.release(response)


class XeroClient:
    """Calls to one organisation's Accounting API; safe to share between worker threads."""

    def __init__(
        self,
        api_url: str,
        authenticator: AuthBase,
        logger: logging.Logger,
        *,
        network: Network,
        tenant_id: str | None = None,
        pacer: Pacer | None = None,
    ) -> None:
        self.api_url = api_url
        self.pacer = pacer or Pacer(MAX_IN_FLIGHT)
        session = PacedSession(self.pacer, api_url)
        session.headers["Accept"] = "application/json"
        if tenant_id:
            session.headers[TENANT_HEADER] = tenant_id
        self.http = HttpClient(
            name="xero",
            logger=logger,
            error_handler=XeroErrorHandler(
                logger, "credentials.tenant_id" if tenant_id else None, network
            ),
            session=session,
            authenticator=authenticator,
            backoff_strategy=RetryAfterBackoff(base_seconds=0.5, cap_seconds=30),
            request_timeout=network.timeouts,
        )

    def get(self, path: str, params: Mapping[str, Any] | None = None) -> dict[str, Any]:
        return self._call("GET", path, params=params)

    def pages(
        self, path: str, key: str, params: Mapping[str, Any] | None = None
    ) -> Iterator[list[dict[str, Any]]]:
        """Every page of a paged list, 1,000 at a time, until the last (as `pagination` says) or
        a short one.
        """
        page = 1
        while True:
            body = self.get(path, {**(params or {}), "page": page, "pageSize": PAGE_SIZE})
            items = body.get(key) or []
            yield items
            page_count = (body.get("pagination") or {}).get("pageCount")
            if len(items) < PAGE_SIZE or (isinstance(page_count, int) and page >= page_count):
                return
            page += 1

    def write(
        self,
        method: str,
        path: str,
        key: str,
        elements: Sequence[Mapping[str, Any]],
        params: Mapping[str, Any] | None = None,
        *,
        per_element: bool = True,
        occasion: str = "",
    ) -> list[Element]:
        """Write a batch with `summarizeErrors=false` (unless the endpoint has no such option,
        `per_element=False`); one `Element` per input, in order.

        The `Idempotency-Key` is a digest of the request itself, so a retry of the same batch,
        by the CDK or by a replay within Xero's few minutes of memory, cannot write twice.
        `occasion` tells apart the same request sent again on purpose (a payment created anew
        after the one it replaces was deleted), which must not get the first one's answer.
        """
        query = {"summarizeErrors": "false"} if per_element else {}
        query.update(params or {})
        body = {key: list(elements)}
        headers = {"Idempotency-Key": idempotency_key(method, path, query, body, occasion)}
        answer = self._call(method, path, params=query, json_body=body, headers=headers)
        echoed = answer.get(key)
        if not isinstance(echoed, list) or len(echoed) != len(elements):
            message = _error_message(answer) or f"Xero echoed no {key} for the batch"
            return [Element(element, (message,)) for element in elements]
        return [_element(item, key) for item in echoed]

    def _call(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json_body: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> dict[str, Any]:
        _, response = self.http.send_request(
            method,
            f"{self.api_url}{path}",
            request_kwargs={},
            headers=headers,
            params=dict(params or {}),
            json=json_body,
        )
        if response.status_code == 429:
            raise DailyLimitError(retry_after_seconds(response))
        try:
            answer = response.json()
        except ValueError:
            answer = None
        if response.status_code == 400 and isinstance(answer, dict) and answer.get("Elements"):
            # A ValidationException for a whole batch: its Elements carry the messages.
            key = path.strip("/").split("/")[0]
            return {key: answer["Elements"], "Message": answer.get("Message")}
        if not response.ok or not isinstance(answer, dict):
            message = _error_message(answer) if isinstance(answer, dict) else response.text[:500]
            raise AirbyteTracedException(
                message=f"Xero refused {method} {path} ({response.status_code}): {message}",
                internal_message=f"{method} {path} -> {response.status_code}: {message}",
                failure_type=FailureType.system_error,
            )
        return answer


def idempotency_key(
    method: str,
    path: str,
    params: Mapping[str, Any],
    body: Mapping[str, Any],
    occasion: str = "",
) -> str:
    """A key derived from the request, and the occasion when there is one (at most 128
    characters, as Xero allows).
    """
    request = [method, path, urlencode(sorted(params.items())), body]
    canonical = json.dumps(
        [*request, occasion] if occasion else request,
        sort_keys=True,
        separators=(",", ":"),
        default=str,
    )
    return "destination-xero-" + hashlib.sha256(canonical.encode()).hexdigest()


def query_chunks(
    name: str, values: Sequence[str], *, max_chars: int = MAX_QUERY_CHARS
) -> Iterator[list[str]]:
    """Split values of the comma-separated filter `name` so that no `name=a,b,...` query part
    grows past `max_chars` once URL-encoded.
    """
    chunk: list[str] = []
    length = len(name) + 1
    for value in values:
        size = len(quote_plus(value)) + (len(quote_plus(",")) if chunk else 0)
        if chunk and length + size > max_chars:
            yield chunk
            chunk, length = [], len(name) + 1
            size = len(quote_plus(value))
        chunk.append(value)
        length += size
    if chunk:
        yield chunk


def _element(item: Mapping[str, Any], key: str) -> Element:
    messages = tuple(
        str(error.get("Message"))
        for error in item.get("ValidationErrors") or []
        if isinstance(error, Mapping) and error.get("Message")
    )
    warnings = tuple(
        str(warning.get("Message"))
        for warning in item.get("Warnings") or []
        if isinstance(warning, Mapping) and warning.get("Message")
    )
    flagged = (
        item.get("HasErrors")
        or item.get("HasValidationErrors")
        or item.get("StatusAttributeString") == "ERROR"
    )
    id_field = {"Invoices": "InvoiceID", "Contacts": "ContactID", "Payments": "PaymentID"}[key]
    has_id = item.get(id_field) not in (None, "", ZERO_ID)
    if flagged or messages or not has_id:
        return Element(item, messages or (f"Xero did not write it (no {id_field} returned)",))
    return Element(item, (), warnings)


def _error_message(answer: Mapping[str, Any] | None) -> str:
    if not answer:
        return ""
    for element in answer.get("Elements") or []:
        for error in element.get("ValidationErrors") or []:
            if error.get("Message"):
                return str(error["Message"])
    return str(answer.get("Message") or answer.get("Detail") or answer.get("Title") or "")
