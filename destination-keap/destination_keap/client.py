"""Keap REST v2 as this destination uses it, on the CDK's `HttpClient`.

Retries, backoff and token refresh are the CDK's; Keap's answers are resolved by the connector
kit's `KeapErrorHandler` (`invoice_model.connector.keap`): calls are paced below Keap's spike
arrest, throttles are backed off, and a spent daily quota stops the sync (`StopSync`) with the
time it resets. What is the destination's own:

- Keap's refusal of one request comes back to be read (`Answer`): a record Keap refuses is
  rejected with Keap's reason, and the rest of the sync goes on;
- a `POST` whose answer was lost (no answer, a 5xx) may have been carried out, and Keap has no
  idempotency keys: it is never sent again blindly. `create` first looks for what the lost call
  may have made, and sends again only when it finds nothing.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from airbyte_cdk.models import FailureType
from airbyte_cdk.sources.streams.http.http_client import HttpClient
from airbyte_cdk.utils.traced_exception import AirbyteTracedException

from invoice_model.connector.destination import StopSync
from invoice_model.connector.keap.auth import Credential, credential_errors
from invoice_model.connector.keap.errors import KeapErrorHandler, KeapUsage, keap_message
from invoice_model.connector.keap.http import (
    KeapBackoff,
    SpikeArrestBudget,
    json_object,
    query_string,
)
from invoice_model.connector.keap.lists import Get, pages
from invoice_model.connector.progress import RateLimitWaits, calls_and_waits
from invoice_model.dates import format_datetime

# What the destination does with Keap, for a refusal (403) to name the access a credential lacks.
USES = "writes orders, contacts and payments, and reads products and the order custom fields"
# Attempts of a `POST` whose answer is lost, each after looking for what the last one made.
CREATE_ATTEMPTS = 4
LOST_ANSWER_WAIT = 0.5  # seconds, doubled after each lost answer
# Calls in flight at once: enough to reach Keap's spike arrest at Keap's latency, which the
# budget then holds the calls to.
MAX_IN_FLIGHT_OAUTH = 8
MAX_IN_FLIGHT_API_KEY = 4


@dataclass(frozen=True)
class Answer:
    """Keap's answer to one request: its status (None when none came back) and JSON body."""

    status: int | None
    body: Mapping[str, Any] = field(default_factory=dict)
    said: str = ""  # Keap's reason, when it refused

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300

    @property
    def lost(self) -> bool:
        """No answer that says whether the request was carried out."""
        return self.status is None or self.status == 408 or self.status >= 500


class KeapClient:
    """The calls of one run, on one credential; safe to use from several threads."""

    def __init__(
        self, rest_url: str, credential: Credential, usage: KeapUsage, logger: logging.Logger
    ) -> None:
        self.rest_url = rest_url.rstrip("/")
        self.credential = credential
        self.usage = usage
        self.waits = RateLimitWaits("Keap")
        self.max_in_flight = MAX_IN_FLIGHT_OAUTH if credential.is_oauth else MAX_IN_FLIGHT_API_KEY
        self.http = HttpClient(
            name="keap",
            logger=logger,
            error_handler=KeapErrorHandler(
                logger,
                usage,
                is_oauth=credential.is_oauth,
                credential_field=credential.field,
                uses=USES,
                network=credential.network,
                answers_refusals=True,
                reports_throttling=False,
            ),
            api_budget=SpikeArrestBudget(credential.is_oauth, usage),
            authenticator=credential.authenticator,
            backoff_strategy=KeapBackoff(usage, self.waits),
            request_timeout=credential.network.timeouts,
        )

    def get(
        self, path: str, params: Mapping[str, Any] | None = None, items: str | None = None
    ) -> Mapping[str, Any]:
        """One GET; its JSON object (with a list of objects under `items`, when named). A
        refusal stops the sync with Keap's reason and the endpoint: reads are not per record."""
        answer = self.send("GET", path, params=params, items=items)
        if not answer.ok:
            raise AirbyteTracedException(
                message=answer.said or f"Keap gave no answer to GET /{path}",
                failure_type=FailureType.system_error,
            )
        return answer.body

    def pages(
        self, path: str, params: Mapping[str, Any], items: str
    ) -> Iterator[list[Mapping[str, Any]]]:
        """Every page of a list, 1,000 records a page."""
        get: Get = self.get
        yield from pages(get, path, params, items)

    def send(
        self,
        method: str,
        path: str,
        body: Mapping[str, Any] | None = None,
        params: Mapping[str, Any] | None = None,
        items: str | None = None,
    ) -> Answer:
        """One request; Keap's answer, refusals included (the caller reads them)."""
        self.stop_if_spent()
        url = f"{self.rest_url}/{path}" + (f"?{query_string(params)}" if params else "")
        try:
            with credential_errors(self.credential):
                _, response = self.http.send_request(
                    method,
                    url,
                    request_kwargs={},
                    json=body,
                    headers={"Accept": "application/json"},
                )
        except AirbyteTracedException:
            self.stop_if_spent()
            raise
        if response is None:
            return Answer(None, said=f"Keap gave no answer to {method} /{path}")
        if not response.ok:
            said = f"Keap answered {method} /{path} with {response.status_code}: "
            return Answer(response.status_code, said=said + keap_message(response))
        return Answer(response.status_code, json_object(response, items) if response.text else {})

    def create(
        self,
        path: str,
        body: Mapping[str, Any],
        find: Callable[[], Mapping[str, Any] | None],
        params: Mapping[str, Any] | None = None,
    ) -> Answer:
        """POST `body`; when the answer is lost, `find` looks for what Keap may have made (its
        JSON, or None) before the request is sent again."""
        wait = LOST_ANSWER_WAIT
        answer = Answer(None)
        for _ in range(CREATE_ATTEMPTS):
            answer = self.send("POST", path, body, params)
            if not answer.lost:
                return answer
            time.sleep(wait)
            wait *= 2
            found = find()
            if found is not None:
                return Answer(200, found)
        raise AirbyteTracedException(
            message=(
                f"{answer.said or f'Keap gave no answer to POST /{path}'} ({CREATE_ATTEMPTS} "
                "times). Nothing after the last saved state is lost; run the sync again later."
            ),
            failure_type=FailureType.transient_error,
        )

    def stop_if_spent(self) -> None:
        """Once Keap's daily quota is spent, every call would be refused: stop the sync."""
        if self.usage.spent_daily is not None:
            raise StopSync(daily_quota_error(self.usage))

    def progress(self) -> str:
        """Calls spent and time waited for Keap's limits, so far."""
        return calls_and_waits("Keap", self.usage.calls, self.usage.waited)


def daily_quota_error(usage: KeapUsage) -> AirbyteTracedException:
    resumes = usage.resumes_at
    when = f"after {format_datetime(resumes)}" if resumes else "tomorrow"
    return AirbyteTracedException(
        message=(
            f"{usage.quota_message()} Every record up to the last state message is written; "
            f"run the sync again {when}."
        ),
        failure_type=FailureType.transient_error,
    )
