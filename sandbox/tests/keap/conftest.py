"""Every Keap test talks HTTP to the sandbox and has each response checked against Keap's spec.

`api` calls `/crm/rest/v2` with the default OAuth access token (whose limits, 25 a second and
1,500 a minute, no test reaches); the clock is frozen at the start of each test, so times are
exact, and tests move it with `sandbox.clock.advance`. Records are made through the API itself
(`shop`), except where a test needs history (then `sandbox.seed` or the account in-process).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

import pytest
import requests

from keap_xero_sandbox import Sandbox

REST = "/crm/rest/v2"


@pytest.fixture(autouse=True)
def keap_sandbox(sandbox_conformance: Sandbox) -> Sandbox:
    sandbox_conformance.clock.freeze()
    return sandbox_conformance


class KeapClient:
    """Calls to the emulated Keap API with one credential; returns `requests` responses."""

    def __init__(self, base_url: str, headers: Mapping[str, str]) -> None:
        self.base_url = base_url
        self.session = requests.Session()
        self.session.headers.update(headers)

    def get(self, path: str, **params: Any) -> requests.Response:
        return self.session.get(self.base_url + path, params=params, timeout=30)

    def post(
        self, path: str, body: Any = None, params: Mapping[str, Any] | None = None
    ) -> requests.Response:
        return self.session.post(self.base_url + path, json=body, params=params, timeout=30)

    def patch(
        self, path: str, body: Any = None, params: Mapping[str, Any] | None = None
    ) -> requests.Response:
        return self.session.patch(self.base_url + path, json=body, params=params, timeout=30)

    def delete(self, path: str) -> requests.Response:
        return self.session.delete(self.base_url + path, timeout=30)

    def pages(self, path: str, items: str, **params: Any) -> Iterator[list[dict[str, Any]]]:
        """Every page of a list, following `next_page_token`."""
        token = None
        while True:
            query = dict(params, page_token=token) if token else params
            response = self.get(path, **query)
            assert response.status_code == 200, response.text
            body = response.json()
            yield body[items]
            token = body["next_page_token"]
            if not token:
                return

    def all(self, path: str, items: str, **params: Any) -> list[dict[str, Any]]:
        return [record for page in self.pages(path, items, **params) for record in page]


@pytest.fixture
def credentials(keap_sandbox: Sandbox) -> dict[str, Any]:
    return keap_sandbox.keap.credentials()


@pytest.fixture
def api(keap_sandbox: Sandbox, credentials: dict[str, Any]) -> KeapClient:
    headers = {"Authorization": f"Bearer {credentials['access_token']}"}
    return KeapClient(f"{keap_sandbox.url}{REST}", headers)


@pytest.fixture
def raw(keap_sandbox: Sandbox) -> KeapClient:
    """A client without credentials: whole URLs relative to the sandbox."""
    return KeapClient(keap_sandbox.url, {})


class Shop:
    """Makes contacts, products and orders through the API, as a client would."""

    def __init__(self, api: KeapClient) -> None:
        self.api = api
        self._contacts = 0

    def contact(self, **values: Any) -> dict[str, Any]:
        self._contacts += 1
        body = {
            "given_name": "Zoë",
            "family_name": "Fernández",
            "email_addresses": [{"email": f"zoe{self._contacts}@example.com", "field": "EMAIL1"}],
            **values,
        }
        response = self.api.post("/contacts", body)
        assert response.status_code == 201, response.text
        return response.json()

    def product(self, **values: Any) -> dict[str, Any]:
        body = {"name": "Workshop ticket", "price": 4999, "short_description": "A seat", **values}
        response = self.api.post("/products", body)
        assert response.status_code == 201, response.text
        return response.json()

    def order(self, contact_id: str | None = None, **values: Any) -> dict[str, Any]:
        body = {
            "contact_id": contact_id or self.contact()["id"],
            "order_title": "Spring workshop",
            "order_type": "OFFLINE",
            "order_time": "2024-03-01T15:00:00Z",
            "order_items": [
                {"item_type": "OTHER", "name": "Consulting", "quantity": 2, "price_per_unit": 50}
            ],
            **values,
        }
        response = self.api.post("/orders", body)
        assert response.status_code == 201, response.text
        return response.json()

    def pay(self, order_id: str, amount: float, **values: Any) -> dict[str, Any]:
        body = {
            "payment_amount": amount,
            "payment_method_type": "Check",
            "apply_to_commissions": False,
            **values,
        }
        response = self.api.post(f"/orders/{order_id}/payments", body)
        assert response.status_code == 201, response.text
        return response.json()


@pytest.fixture
def shop(api: KeapClient) -> Shop:
    return Shop(api)


def amount(value: Mapping[str, Any]) -> int:
    """A `CurrencyValue`'s minor units."""
    return int(value["amount"])
