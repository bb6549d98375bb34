"""The authorization endpoint of OAuth 2.0's authorization-code grant (RFC 6749 §4.1), as both
vendors serve it: the sandbox's stand-in for their sign-in and consent pages.

`GET` with the app's request (`client_id`, `redirect_uri`, `response_type=code`, `scope`,
`state`) shows a consent page, a plain HTML form; the form posts the same request back with
`decision=allow` (and, where the vendor asks which accounts to share, the chosen `tenant` values)
or `decision=deny`. The sandbox has one signed-in user, so there is no sign-in step.

What RFC 6749 §4.1.2.1 says, both vendors do: a request whose client is unknown or whose
redirect URI is not acceptable gets an error page and is never redirected (the redirect URI
cannot be trusted); any other problem, and a denial, go back to the redirect URI as `error` (and
`state`). Each vendor decides what its clients, redirect URIs and scopes are (`validate`) and
what consent gives (`approve`: the code and any other parameters of the redirect).
"""

from __future__ import annotations

import html
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from urllib.parse import urlencode, urlsplit

from flask import Response, redirect, request


@dataclass(frozen=True)
class Consent:
    """A well-formed authorization request, as the consent page shows it."""

    client_id: str
    app_name: str
    redirect_uri: str
    scope: str
    state: str | None
    account: str  # who is consenting, as the page names them
    tenants: Sequence[tuple[str, str]] = ()  # (value, label) the user may choose among


class AuthorizationError(Exception):
    """A refused authorization request: shown on a page when `to_page`, else redirected."""

    def __init__(self, error: str, description: str, *, to_page: bool = False) -> None:
        super().__init__(description)
        self.error = error
        self.description = description
        self.to_page = to_page


Validate = Callable[[Mapping[str, str]], Consent]
Approve = Callable[[Consent, list[str]], dict[str, str]]


def authorization_endpoint(validate: Validate, approve: Approve) -> Response:
    """Answer the current `GET` or `POST` of the authorization endpoint."""
    query = request.args
    redirect_uri = query.get("redirect_uri")
    try:
        consent = validate(query)
        if request.method == "GET":
            return _consent_page(consent)
        decision = request.form.get("decision")
        if decision != "allow":
            raise AuthorizationError("access_denied", "the user denied the request")
        chosen = request.form.getlist("tenant")
        if consent.tenants and not chosen:
            raise AuthorizationError("access_denied", "no organisation was chosen")
        return _redirect(consent.redirect_uri, approve(consent, chosen), consent.state)
    except AuthorizationError as refused:
        if refused.to_page or not redirect_uri:
            return _error_page(refused)
        params = {"error": refused.error, "error_description": refused.description}
        return _redirect(redirect_uri, params, query.get("state"))


def is_https_or_loopback(uri: str) -> bool:
    """Whether a redirect URI may receive codes: https, or plain http to the local machine."""
    parts = urlsplit(uri)
    if parts.scheme == "https":
        return bool(parts.netloc)
    return parts.scheme == "http" and parts.hostname in ("localhost", "127.0.0.1", "::1")


def _redirect(redirect_uri: str, params: Mapping[str, str], state: str | None) -> Response:
    if state is not None:
        params = {**params, "state": state}
    separator = "&" if urlsplit(redirect_uri).query else "?"
    return redirect(f"{redirect_uri}{separator}{urlencode(params)}", code=302)


def _consent_page(consent: Consent) -> Response:
    choices = "".join(
        f'<label><input type="checkbox" name="tenant" value="{html.escape(value)}"> '
        f"{html.escape(label)}</label><br>"
        for value, label in consent.tenants
    )
    body = (
        "<!doctype html><title>Authorize</title>"
        f"<h1>{html.escape(consent.app_name)} wants to access {html.escape(consent.account)}</h1>"
        f"<p>Scope: {html.escape(consent.scope)}</p>"
        f'<form method="post">{choices}'
        '<button name="decision" value="allow">Allow access</button> '
        '<button name="decision" value="deny">Cancel</button></form>'
    )
    return Response(body, mimetype="text/html")


def _error_page(refused: AuthorizationError) -> Response:
    body = (
        "<!doctype html><title>Error</title>"
        f"<h1>{html.escape(refused.error)}</h1><p>{html.escape(refused.description)}</p>"
    )
    return Response(body, status=400, mimetype="text/html")
