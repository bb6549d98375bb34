"""OAuth tokens through whole syncs, both connectors signing in with a rotating refresh token
(source-keap with Keap's OAuth client, destination-xero with a Xero OAuth app): access tokens
expiring mid-sync, refresh tokens rotating on every refresh and handed back to the platform, the
platform failing to store one rotation, and access revoked by the user.

What the vendors do, as the emulators do it: Keap spends a refresh token as soon as it is used
(there is no second chance); Xero lets the previous one be used again for 30 minutes after its
rotation (a grace period for a lost answer). Access tokens last 24 hours at Keap, 30 minutes at
Xero, and either vendor may expire one earlier than the connector expects (the connector's clock
and the vendor's differ), so the tests expire them on the vendor's side, between two pages of a
read or two batches of writes (sandbox hooks).
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from invoice_model import Money

from .books import assert_exact

HOUR = 3600
KEAP_ACCESS_TOKEN_SECONDS = 24 * HOUR
XERO_REFRESH_GRACE_SECONDS = 30 * 60
ORDER_PAGES = "/crm/rest/v2/orders"
XERO_INVOICE_WRITES = "/api.xro/2.0/Invoices"


@pytest.fixture
def account(sandbox) -> dict[str, Any]:
    """120 orders, read 25 to a page: about five pages per stream."""
    sandbox.keap.largest_page = 25
    return sandbox.seed(keap={"orders": 120, "contacts": 20})["keap"]


@pytest.fixture
def oauth(pipeline, account):
    """The pipeline, destination-xero signing in with the Xero OAuth app."""
    pipeline.use_xero_oauth_app()
    return pipeline


def refreshes(sandbox, api: str) -> int:
    endpoint = "/token" if api == "keap" else "/connect/token"
    return sandbox.stats.count(api, method="POST", endpoint=endpoint)


def refresh_tokens(configs: list[dict[str, Any]]) -> list[str]:
    return [config["credentials"]["refresh_token"] for config in configs]


def a_payment(sandbox, account) -> None:
    """A payment recorded in Keap, so that the next sync has something to write."""
    order_id = int(account["samples"]["unpaid_order_id"])
    with sandbox.keap.account.lock:
        order = sandbox.keap.account.order(order_id)
        part = Money.from_minor(order.total_due // 2, order.currency).amount
        sandbox.keap.account.record_payment(
            order_id,
            {"payment_amount": part, "payment_method_type": "Check", "apply_to_commissions": False},
        )


def config_error(errors: list[dict[str, Any]]) -> str:
    """The message of the error traces a connector ended with (the CDK adds one per stream
    that failed to a source's), all of them config errors."""
    assert errors, "the sync ended with an error"
    assert {error["failure_type"] for error in errors} == {"config_error"}, errors
    return errors[0]["message"]


def test_access_tokens_expiring_mid_sync_are_refreshed_and_the_last_rotation_is_handed_back(
    oauth, sandbox, account
):
    # Keap's access token expires after the 2nd, 3rd and 4th page of orders read (the clock jumps
    # a day: Xero's expires too); Xero's again after each of the first two batches of invoices.
    sandbox.faults.add(
        kind="hook",
        api="keap",
        method="GET",
        path=ORDER_PAGES,
        after=True,
        skip=1,
        count=3,
        run=lambda: sandbox.clock.advance(KEAP_ACCESS_TOKEN_SECONDS + 1),
    )
    sandbox.faults.add(
        kind="hook",
        api="xero",
        method="PUT",
        path=XERO_INVOICE_WRITES,
        after=True,
        count=2,
        run=sandbox.xero.identity.expire_access_tokens,
    )

    sync = oauth.run()

    assert sync.completed, sync.logs[-10:] + [e["message"] for e in sync.source_errors]
    assert_exact(oauth.sandbox, oauth.xero())
    for api, handed_back in (("keap", sync.source_configs), ("xero", sync.destination_configs)):
        # Signing in, then once per expiry met: each refresh rotated the refresh token and the
        # new one was handed back at once, in a CONNECTOR_CONFIG message.
        tokens = refresh_tokens(handed_back)
        assert len(tokens) == refreshes(sandbox, api) >= 3, api
        assert len(set(tokens)) == len(tokens), f"{api}: every refresh rotates"

    # The last tokens handed back are the ones stored, and they work: the next sync starts with
    # both access tokens expired at the vendors, so it must refresh with them.
    stored_keap = json.loads(oauth.source_config.read_text())["credentials"]["refresh_token"]
    stored_xero = json.loads(oauth.destination_config.read_text())["credentials"]
    assert stored_keap == refresh_tokens(sync.source_configs)[-1]
    assert stored_xero["refresh_token"] == refresh_tokens(sync.destination_configs)[-1]
    sandbox.faults.clear()
    sandbox.clock.advance(KEAP_ACCESS_TOKEN_SECONDS + 1)
    a_payment(sandbox, account)
    sandbox.stats.reset()

    after = oauth.run()

    assert after.completed, after.logs[-10:]
    assert refreshes(sandbox, "keap") == refreshes(sandbox, "xero") == 1
    assert_exact(oauth.sandbox, oauth.xero())


def test_a_keap_rotation_the_platform_failed_to_store_asks_to_re_authenticate(
    oauth, sandbox, account
):
    before = oauth.source_config.read_text()
    first = oauth.run()
    assert first.completed
    oauth.source_config.write_text(before)  # the platform lost the rotated refresh token
    a_payment(sandbox, account)

    lost = oauth.run()

    # Keap spent the stored token when it rotated it: nothing can bring it back.
    assert not lost.completed
    message = config_error(lost.source_errors)
    assert "Config field 'credentials.refresh_token'" in message
    assert "re-authenticate" in message
    assert lost.records == []

    # Re-authenticating gives a new refresh token; the sync resumes from the saved state.
    config = json.loads(before)
    config["credentials"]["refresh_token"] = sandbox.keap.auth.mint_refresh_token().value
    oauth.source_config.write_text(json.dumps(config))
    resumed = oauth.run()
    assert resumed.completed
    assert [r["stream"] for r in resumed.records].count("payments") >= 1
    assert_exact(oauth.sandbox, oauth.xero())


def test_a_xero_rotation_the_platform_failed_to_store_works_for_30_minutes(oauth, sandbox, account):
    before = oauth.destination_config.read_text()
    first = oauth.run()
    assert first.completed
    oauth.destination_config.write_text(before)  # the platform lost the rotated refresh token
    a_payment(sandbox, account)

    # Within Xero's grace period the previous refresh token still works, once more rotated.
    sandbox.clock.advance(XERO_REFRESH_GRACE_SECONDS - 60)
    within = oauth.run()
    assert within.completed, within.logs[-5:]
    [rotated] = refresh_tokens(within.destination_configs)
    assert rotated not in refresh_tokens(first.destination_configs)
    assert_exact(oauth.sandbox, oauth.xero())

    # Lost again, and used after the grace period: the config error asks to authorise again.
    oauth.destination_config.write_text(before)
    a_payment(sandbox, account)
    sandbox.clock.advance(2 * 60)
    beyond = oauth.run()
    assert not beyond.completed
    message = config_error(beyond.errors)
    assert "Config field 'credentials.refresh_token'" in message
    assert "authorise the app again" in message.lower()

    config = json.loads(before)
    config["credentials"]["refresh_token"] = sandbox.xero.mint_refresh_token([oauth.tenant_id])
    oauth.destination_config.write_text(json.dumps(config))
    assert oauth.run().completed
    assert_exact(oauth.sandbox, oauth.xero())


def test_access_revoked_in_keap_mid_sync_ends_in_a_config_error_then_resumes_exactly(
    oauth, sandbox
):
    # The user removes the app's access to Keap after the second page of orders is read.
    sandbox.faults.add(
        kind="hook",
        api="keap",
        method="GET",
        path=ORDER_PAGES,
        after=True,
        skip=1,
        run=sandbox.keap.auth.revoke_client,
    )
    revoked = oauth.run()

    assert not revoked.completed
    message = config_error(revoked.source_errors)
    assert "Config field 'credentials.refresh_token'" in message
    assert "re-authenticate" in message
    assert revoked.errors == [], "the destination committed what came before and ended well"

    config = json.loads(oauth.source_config.read_text())
    config["credentials"]["refresh_token"] = sandbox.keap.auth.mint_refresh_token().value
    oauth.source_config.write_text(json.dumps(config))
    oauth.until_complete()
    assert_exact(oauth.sandbox, oauth.xero())


def test_access_revoked_in_xero_mid_sync_ends_in_a_config_error_then_resumes_exactly(
    oauth, sandbox
):
    app = sandbox.xero.credentials()["oauth_app"]

    def revoke() -> None:
        # The app's consent is revoked (Xero's revocation endpoint, or the user disconnecting
        # the app): every token of it, and its connections.
        sandbox.xero.identity.revoke(app["client_id"], app["client_secret"], app["refresh_token"])

    sandbox.faults.add(
        kind="hook", api="xero", method="PUT", path=XERO_INVOICE_WRITES, after=True, run=revoke
    )
    revoked = oauth.run()

    assert not revoked.completed
    message = config_error(revoked.errors)
    assert "credentials.refresh_token" in message
    assert "authorise the app again" in message.lower()

    # The next sync cannot sign in either, and says the same.
    again = oauth.run()
    assert "authorise the app again" in config_error(again.errors).lower()

    config = json.loads(oauth.destination_config.read_text())
    config["credentials"]["refresh_token"] = sandbox.xero.mint_refresh_token([oauth.tenant_id])
    oauth.destination_config.write_text(json.dumps(config))
    oauth.until_complete()
    assert_exact(oauth.sandbox, oauth.xero())
