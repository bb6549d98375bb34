"""What the Airbyte platform does with a connector's `advanced_auth` when a user clicks
"Authenticate your account": its declarative OAuth flow (the platform's `DeclarativeOAuthFlow`
and `DeclarativeOAuthSpecHandler`), so that tests can run a spec's OAuth against the emulators
exactly as a self-managed Airbyte instance would run it against Keap or Xero.

The platform, given the app's client ID and secret (set once per instance) and its own redirect
URL (`<webapp>/auth_flow`):

1. renders `consent_url` (a Jinja template) and sends the user there. Its variables: the keys of
   `oauth_connector_input_specification` (`scope` ...), `client_id_value`, `redirect_uri_value`,
   `state_value`, `scope_value` and the same as `key=value` pairs (`client_id_param`,
   `redirect_uri_param` and `scope_param` URL-encoded as Java's `URLEncoder` does, spaces as `+`);
2. on the redirect back, checks nothing but takes `code` and `state` from it, and POSTs to the
   rendered `access_token_url` with the rendered `access_token_headers` (else `Content-Type:
   application/x-www-form-urlencoded` and `Accept: application/json`) and the rendered
   `access_token_params` as the body (JSON, unless the headers say form-encoded);
3. takes each value of the response at a `path_in_oauth_response` of
   `complete_oauth_output_specification` (as text), adding `token_expiry_date` (now plus the
   seconds) when the path ends in `expires_in`, keeps those the specification names, and stores
   each at its `path_in_connector_config`; the instance's client ID and secret go where
   `complete_oauth_server_output_specification` says before the connector runs.
"""

from __future__ import annotations

import base64
import copy
import datetime as dt
import hashlib
import json
from collections.abc import Callable, Mapping, MutableMapping, Sequence
from typing import Any
from urllib.parse import parse_qsl, quote_plus, urlencode, urlsplit, urlunsplit

import jinja2
import requests

FORM = "application/x-www-form-urlencoded"


class DeclarativeOAuthFlow:
    """One connector spec's `advanced_auth`, run as the platform runs it."""

    def __init__(
        self,
        advanced_auth: Mapping[str, Any],
        client_id: str,
        client_secret: str,
        *,
        rebase: Callable[[str], str] = lambda url: url,
        now: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC),
    ) -> None:
        """`rebase` moves a rendered vendor URL onto where it is served (a sandbox)."""
        self.advanced_auth = advanced_auth
        spec = advanced_auth["oauth_config_specification"]
        self.inputs: Mapping[str, Any] = spec["oauth_connector_input_specification"]
        self.outputs: Mapping[str, Any] = spec["complete_oauth_output_specification"]
        self.server_outputs: Mapping[str, Any] = spec["complete_oauth_server_output_specification"]
        self.client_id = client_id
        self.client_secret = client_secret
        self.rebase = rebase
        self.now = now
        self._jinja = jinja2.Environment(autoescape=False, undefined=jinja2.StrictUndefined)  # noqa: S701 (URLs, not HTML)
        self._jinja.filters["b64encode"] = lambda s: base64.b64encode(str(s).encode()).decode()
        self._jinja.filters["codechallengeS256"] = _code_challenge

    def consent_url(self, redirect_uri: str, state: str) -> str:
        """Where the platform sends the user (the vendor's URL, before `rebase`)."""
        values = self._values(redirect_uri=redirect_uri, state=state)
        return self._render(self.inputs["consent_url"], values)

    def complete(
        self, redirect_uri: str, callback: Mapping[str, str], session: requests.Session
    ) -> dict[str, Any]:
        """Exchange the code the vendor sent back; the outputs keyed as the specification names
        them (`refresh_token`, `access_token`, `token_expiry_date` ...)."""
        if "error" in callback:
            raise OAuthFlowError(f"the vendor refused: {callback['error']}")
        values = self._values(
            redirect_uri=redirect_uri,
            state=callback.get(self.inputs.get("state_key", "state")),
            code=callback[self.inputs.get("auth_code_key", "code")],
            secret=True,
        )
        url = self._render(self.inputs["access_token_url"], values)
        headers = {
            self._render(k, values): self._render(v, values)
            for k, v in (self.inputs.get("access_token_headers") or {}).items()
        } or {"Content-Type": FORM, "Accept": "application/json"}
        params = {
            self._render(k, values): self._render(v, values)
            for k, v in (self.inputs.get("access_token_params") or {}).items()
        }
        as_form = "access_token_params" not in self.inputs or headers.get("Content-Type") == FORM
        body = urlencode(params) if as_form else json.dumps(params)
        answer = session.post(self.rebase(url), data=body, headers=headers, timeout=30)
        try:
            data = answer.json()
        except ValueError as error:
            raise OAuthFlowError(f"{answer.status_code}: not JSON: {answer.text[:200]}") from error
        return self._extract(data)

    def config_with(
        self, config: MutableMapping[str, Any], outputs: Mapping[str, Any]
    ) -> MutableMapping[str, Any]:
        """The connector's config once the platform has stored the outputs and injected the
        instance's client ID and secret."""
        done = copy.deepcopy(config)
        for name, value in outputs.items():
            _put(done, self.outputs["properties"][name]["path_in_connector_config"], value)
        server = {"client_id": self.client_id, "client_secret": self.client_secret}
        for name, schema in self.server_outputs["properties"].items():
            _put(done, schema["path_in_connector_config"], server[name])
        return done

    # the platform's template values and output extraction

    def _values(
        self,
        *,
        redirect_uri: str,
        state: str | None,
        code: str | None = None,
        secret: bool = False,
    ) -> dict[str, Any]:
        keys = {
            "client_id_key": "client_id",
            "client_secret_key": "client_secret",
            "auth_code_key": "code",
            "redirect_uri_key": "redirect_uri",
            "scope_key": "scope",
            "state_key": "state",
        }
        values: dict[str, Any] = {
            name: self.inputs.get(name, default) for name, default in keys.items()
        }
        values.update({k: v for k, v in self.inputs.items() if isinstance(v, str)})
        values[values["client_id_key"]] = self.client_id
        values[values["client_secret_key"]] = self.client_secret if secret else None
        values[values["auth_code_key"]] = code
        values[values["redirect_uri_key"]] = redirect_uri
        values[values["state_key"]] = state
        for name, encode in (
            ("client_id", False),
            ("client_secret", False),
            ("auth_code", False),
            ("state", False),
            ("redirect_uri", True),
            ("scope", True),
        ):
            key = values[f"{name}_key"]
            value = values.get(key)  # the scope is the `scope` of the input specification
            shown = _java_url_encode(str(value)) if encode and value is not None else value
            values[f"{name}_param"] = f"{key}={shown}"
            values[f"{name}_value"] = value
        return values

    def _render(self, template: str, values: Mapping[str, Any]) -> str:
        return self._jinja.from_string(template).render(**values)

    def _extract(self, data: Mapping[str, Any]) -> dict[str, Any]:
        paths = self.inputs.get("extract_output") or [
            ".".join(schema["path_in_oauth_response"])
            for schema in self.outputs["properties"].values()
        ]
        expiry_key = self.inputs.get("token_expiry_key", "expires_in")
        found: dict[str, Any] = {}
        for path in paths:
            value = _at(data, path.split("."))
            key = path.split(".")[-1]
            if value is None:
                raise OAuthFlowError(f"Missing '{key}' field in the OAuth output: {sorted(data)}")
            if key == expiry_key:
                expiry = self.now() + dt.timedelta(seconds=int(value))
                found["token_expiry_date"] = expiry.isoformat().replace("+00:00", "Z")
            found[key] = value if isinstance(value, str) else json.dumps(value)
        named = self.outputs["properties"]
        outputs = {k: v for k, v in found.items() if k in named}
        missing = [k for k in self.outputs.get("required", []) if k not in outputs]
        if missing:
            raise OAuthFlowError(f"the OAuth output lacks {missing}")
        return outputs


def unplaced_outputs(spec: Mapping[str, Any]) -> list[str]:
    """Where, in a connector's spec (as `spec` prints it), the flow would store an output or the
    client credentials that the option the UI shows the button in (`predicate_key` equal to
    `predicate_value`) has no field for; an empty list when every one has its field."""
    advanced_auth = spec["advanced_auth"]
    schema = spec["connectionSpecification"]
    *parents, key = advanced_auth["predicate_key"]
    for name in parents:
        schema = schema["properties"][name]
    options = schema.get("oneOf", [schema])
    chosen = next(
        o for o in options if o["properties"][key].get("const") == advanced_auth["predicate_value"]
    )
    oauth = advanced_auth["oauth_config_specification"]
    unplaced = []
    for outputs in (
        "complete_oauth_output_specification",
        "complete_oauth_server_output_specification",
    ):
        for output in oauth[outputs]["properties"].values():
            path = output["path_in_connector_config"]
            if path[:-1] != parents or path[-1] not in chosen["properties"]:
                unplaced.append(".".join(path))
    return unplaced


class OAuthFlowError(Exception):
    """The flow failed where the platform's would."""


def onto(base_url: str) -> Callable[[str], str]:
    """A `rebase` that serves every vendor URL from `base_url` (a sandbox), path and query kept."""

    def rebase(url: str) -> str:
        parts = urlsplit(url)
        return base_url.rstrip("/") + urlunsplit(("", "", parts.path, parts.query, ""))

    return rebase


def consent_as_user(
    session: requests.Session, consent_url: str, tenants: Sequence[str] = ()
) -> tuple[str, dict[str, str]]:
    """What a user's browser does on the vendor's consent page: open it, allow access (choosing
    `tenants` where the vendor asks), and be sent on; where to (the redirect URI, unvisited) and
    with which parameters.
    """
    page = session.get(consent_url, timeout=30)
    if page.status_code != 200:
        raise OAuthFlowError(f"the consent page answered {page.status_code}: {page.text[:200]}")
    answer = session.post(
        consent_url,
        data={"decision": "allow", "tenant": list(tenants)},
        allow_redirects=False,
        timeout=30,
    )
    if answer.status_code != 302:
        raise OAuthFlowError(f"consent answered {answer.status_code}: {answer.text[:200]}")
    location = urlsplit(answer.headers["Location"])
    target = urlunsplit((location.scheme, location.netloc, location.path, "", ""))
    return target, dict(parse_qsl(location.query))


def _at(data: Any, path: list[str]) -> Any:
    for part in path:
        if not isinstance(data, Mapping) or part not in data:
            return None
        data = data[part]
    return data


def _put(config: MutableMapping[str, Any], path: list[str], value: Any) -> None:
    for part in path[:-1]:
        config = config.setdefault(part, {})
    config[path[-1]] = value


def _java_url_encode(value: str) -> str:
    """`java.net.URLEncoder.encode(value, UTF_8)`: only `A-Za-z0-9.-*_` kept, spaces as `+`."""
    return quote_plus(value, safe="*").replace("~", "%7E")


def _code_challenge(value: Any) -> str:
    digest = hashlib.sha256(str(value).encode()).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
