"""The baseline the Keap → Xero benchmark compares against: a per-record integration.

What most Keap-to-Xero integrations do (a Zapier or Make scenario, a webhook handler, a small
script): each record on its own, with no memory of the records before it and a look-up before
every write, so that a rerun does not duplicate:

- an invoice: find its contact by ContactNumber (the Keap contact ID); create the contact if
  there is none (under `Name (Keap ID)` when another contact has its name, as destination-xero
  does by default); find the invoice by number; create it if there is none — one invoice per
  call;
- a payment received: find its invoice by number (for the InvoiceID); create the payment — one
  payment per call. Refunded and voided payments are left alone (cheaper than the truth: a real
  integration would look them up to remove them).

It is written honestly, not as a strawman: the same Xero emulator and the same invoice content
(lines on the same accounts, the source's tax as a line), HTTP keep-alive, `summarizeErrors`,
one token per 30 minutes. Records are handled by a few worker threads, those of one contact
always by the same one (so a contact is never created twice): the calls are the same as one at a
time, the benchmark just waits less. Run as a subprocess by `keap_to_xero.py`:

    python benchmarks/per_record_xero.py RECORDS.jsonl CONFIG.json

`RECORDS.jsonl` holds the source's Airbyte messages (only RECORDs are read); `CONFIG.json` the
destination-xero config (custom connection, base URLs, accounts). Prints a JSON summary.
"""

from __future__ import annotations

import json
import queue
import sys
import threading
import time
import zlib
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import requests

TOKEN_MARGIN_SECONDS = 60
WORKERS = 4


class PerRecordClient:
    """One record at a time, a look-up before every write, no memory between records."""

    def __init__(self, config: dict[str, Any]) -> None:
        self.config = config
        self.api = config["advanced"]["api_base_url"].rstrip("/") + "/api.xro/2.0"
        self.token_url = config["advanced"]["identity_base_url"].rstrip("/") + "/connect/token"
        self.outcomes: Counter[str] = Counter()
        self._token = ""
        self._token_expires = 0.0
        self._lock = threading.Lock()
        self._local = threading.local()

    # Xero, one call at a time

    def _access_token(self, refused: str | None = None) -> str:
        with self._lock:
            if self._token == refused or time.monotonic() >= self._token_expires:
                credentials = self.config["credentials"]
                answer = requests.post(
                    self.token_url,
                    data={"grant_type": "client_credentials"},
                    auth=(credentials["client_id"], credentials["client_secret"]),
                    timeout=30,
                )
                answer.raise_for_status()
                token = answer.json()
                self._token = token["access_token"]
                self._token_expires = time.monotonic() + token["expires_in"] - TOKEN_MARGIN_SECONDS
            return self._token

    def call(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        if not hasattr(self._local, "http"):
            self._local.http = requests.Session()
        refused = None
        while True:
            token = self._access_token(refused)
            headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
            response = self._local.http.request(
                method, self.api + path, headers=headers, timeout=60, **kwargs
            )
            if response.status_code == 401:
                refused = token
            elif response.status_code == 429:
                time.sleep(float(response.headers.get("Retry-After", "1")))
            else:
                return response

    def tell(self, outcome: str) -> None:
        with self._lock:
            self.outcomes[outcome] += 1

    def find(self, path: str, key: str, params: dict[str, str]) -> dict[str, Any] | None:
        found = self.call("GET", path, params=params).json().get(key) or []
        return found[0] if found else None

    def create(self, method: str, path: str, key: str, element: dict[str, Any]) -> dict[str, Any]:
        response = self.call(
            method, path, params={"summarizeErrors": "false"}, json={key: [element]}
        )
        echoed = (response.json().get(key) or [{}])[0]
        failed = echoed.get("HasErrors") or echoed.get("HasValidationErrors")
        return {} if failed or not response.ok else echoed

    # records

    def invoice(self, record: dict[str, Any]) -> None:
        contact_id = self.contact(record["contact"])
        if contact_id is None:
            self.tell("invoice refused (contact)")
            return
        number = record["source_invoice_id"]
        if self.find("/Invoices", "Invoices", {"InvoiceNumbers": number}) is not None:
            self.tell("invoice existed")
            return
        written = self.create("PUT", "/Invoices", "Invoices", self.invoice_body(record, contact_id))
        self.tell("invoice created" if written else "invoice refused")

    def contact(self, contact: dict[str, Any]) -> str | None:
        number = contact["source_id"]
        found = self.find("/Contacts", "Contacts", {"where": f'ContactNumber=="{number}"'})
        if found is not None:
            return found["ContactID"]
        name = contact.get("name") or f"Keap contact {number}"
        body = {"Name": name, "ContactNumber": number, "EmailAddress": contact.get("email") or ""}
        created = self.create("PUT", "/Contacts", "Contacts", body)
        if not created:  # the name is taken
            created = self.create(
                "PUT", "/Contacts", "Contacts", {**body, "Name": f"{name} ({number})"}
            )
        return created.get("ContactID")

    def invoice_body(self, record: dict[str, Any], contact_id: str) -> dict[str, Any]:
        accounts = self.config["invoices"]
        by_kind = {
            "shipping": accounts["shipping_account_code"],
            "tax": accounts["tax"]["tax_account_code"],
        }
        lines = [
            {
                "Description": line.get("description") or line["kind"],
                "Quantity": line["quantity"],
                "UnitAmount": line["unit_amount"],
                "DiscountAmount": line.get("discount") or None,
                "AccountCode": by_kind.get(line["kind"], accounts["sales_account_code"]),
            }
            for line in record["line_items"]
        ]
        return {
            "Type": "ACCREC",
            "Contact": {"ContactID": contact_id},
            "InvoiceNumber": record["source_invoice_id"],
            "Reference": record.get("reference") or "",
            "Date": record["issue_date"],
            "DueDate": record.get("due_date") or record["issue_date"],
            "CurrencyCode": record["currency"],
            "Status": "DRAFT" if record["status"] == "draft" else "AUTHORISED",
            "LineAmountTypes": "NoTax",
            "LineItems": lines,
        }

    def payment(self, record: dict[str, Any]) -> None:
        if record["status"] != "completed":
            self.tell("payment not received (left alone)")
            return
        number = record["invoice_source_invoice_id"]
        invoice = self.find("/Invoices", "Invoices", {"InvoiceNumbers": number})
        if invoice is None:
            self.tell("payment refused (no invoice)")
            return
        body = {
            "Invoice": {"InvoiceID": invoice["InvoiceID"]},
            "Account": {"Code": self.config["payments"]["account_code"]},
            "Date": record["date"],
            "Amount": record["amount"],
            "Reference": f"Keap payment {record['source_id']}",
        }
        written = self.create("PUT", "/Payments", "Payments", body)
        self.tell("payment created" if written else "payment refused")


def records(path: Path, stream: str) -> Iterator[dict[str, Any]]:
    prefix = b'{"type":"RECORD"'
    with path.open("rb") as messages:
        for line in messages:
            if line.startswith(prefix):
                record = json.loads(line)["record"]
                if record["stream"] == stream:
                    yield record["data"]


def in_workers(handle: Any, items: Iterator[tuple[str, dict[str, Any]]]) -> None:
    """`handle(item)` for each item, by `WORKERS` threads; items of one key go to one thread,
    in order."""
    queues: list[queue.Queue[dict[str, Any] | None]] = [queue.Queue(100) for _ in range(WORKERS)]
    failures: list[BaseException] = []

    def work(mine: queue.Queue[dict[str, Any] | None]) -> None:
        while (item := mine.get()) is not None:
            try:
                handle(item)
            except Exception as error:  # reported once every thread has ended
                failures.append(error)

    threads = [threading.Thread(target=work, args=(q,)) for q in queues]
    for thread in threads:
        thread.start()
    for key, item in items:
        queues[zlib.crc32(key.encode()) % WORKERS].put(item)
    for mine in queues:
        mine.put(None)
    for thread in threads:
        thread.join()
    if failures:
        raise failures[0]


def main(argv: list[str]) -> int:
    records_path, config_path = Path(argv[0]), Path(argv[1])
    client = PerRecordClient(json.loads(config_path.read_text()))
    started = time.perf_counter()
    invoices = records(records_path, "invoices")
    in_workers(client.invoice, ((i["contact"]["source_id"], i) for i in invoices))
    payments = records(records_path, "payments")
    in_workers(client.payment, ((p["invoice_source_id"], p) for p in payments))
    seconds = time.perf_counter() - started
    print(json.dumps({"outcomes": dict(client.outcomes), "seconds": seconds}))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
