"""A person working in the Xero emulator's demo organisation directly, as a Xero user would: the
tests of both Xero connectors set their cases up and look at the result through it."""

from __future__ import annotations

from typing import Any

import requests

from keap_xero_sandbox.sandbox import Sandbox
from keap_xero_sandbox.xero.ledger import Ledger


class XeroUser:
    """Signed in through the sandbox's custom connection, at the first call."""

    def __init__(self, sandbox: Sandbox) -> None:
        self.sandbox = sandbox
        self.tenant_id = sandbox.xero.credentials()["custom_connection"]["tenant_id"]
        self._token: str | None = None

    @property
    def ledger(self) -> Ledger:
        """The organisation as the emulator holds it, for changes made while a sync runs."""
        return self.sandbox.xero.ledgers[self.tenant_id]

    def books(self) -> dict[str, Any]:
        """The organisation's contacts, invoices and payments, as the sandbox holds them."""
        return self.sandbox.xero.dump()["tenants"][self.tenant_id]

    def request(self, method: str, path: str, body: Any = None, **params: Any) -> requests.Response:
        """`method /api.xro/2.0{path}` with `body` as JSON; the answer whatever its status."""
        return requests.request(
            method,
            f"{self.sandbox.url}/api.xro/2.0{path}",
            json=body,
            params=params,
            headers={
                "Authorization": f"Bearer {self._access_token()}",
                "Accept": "application/json",
            },
            timeout=10,
        )

    def _access_token(self) -> str:
        if self._token is None:
            credentials = self.sandbox.xero.credentials()["custom_connection"]
            answer = requests.post(
                f"{self.sandbox.url}/connect/token",
                data={"grant_type": "client_credentials"},
                auth=(credentials["client_id"], credentials["client_secret"]),
                timeout=10,
            )
            self._token = str(answer.json()["access_token"])
        return self._token
