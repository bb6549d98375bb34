"""Checks that what the sandbox answers conforms to the vendors' official OpenAPI specs.

The specs are not part of the repository: they are found where `KEAP_XERO_SPECS` points, else in
a `shared/specs` folder beside the repository (sandbox/README.md says where to get them, at the
upstream commits this sandbox was checked against). Without them `specs_dir()` raises
`SpecsNotFoundError` and the test fixtures run their tests unchecked, saying so once.

A response is validated against the operation its request maps to, with the request's host
rewritten to the spec's server, so `http://127.0.0.1:PORT/api.xro/2.0/Invoices` is checked as
`https://api.xero.com/api.xro/2.0/Invoices`. Calls with no operation in any spec (OAuth token
endpoints) and statuses a spec does not declare (neither vendor declares 429) are not checked:
there is nothing to check them against. A path no spec has may answer 404 or 405, and also 401,
403 or 429: both vendors' gateways authenticate and throttle a call before they route it.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar
from urllib.parse import urlsplit

import yaml
from jsonschema_path import SchemaPath
from openapi_core import Config, OpenAPI
from openapi_core.contrib.werkzeug import WerkzeugOpenAPIResponse
from openapi_core.datatypes import RequestParameters
from openapi_core.templating.paths.exceptions import OperationNotFound, PathNotFound
from openapi_core.templating.responses.exceptions import ResponseNotFound
from openapi_core.validation.exceptions import ValidationError
from openapi_core.validation.schemas.exceptions import InvalidSchemaValue
from werkzeug.datastructures import Headers, ImmutableMultiDict

from keap_xero_sandbox.routing import PathSpelling

if TYPE_CHECKING:
    from flask import Request, Response


@dataclass(frozen=True)
class SpecMount:
    """Where a spec's operations are served in the sandbox."""

    api: str
    path_prefix: str  # sandbox path prefix these operations live under
    spec_file: str
    host_url: str  # scheme and host of the spec's server
    ignore_case: bool = False  # the vendor routes without regard to case (see `routing`)

    def holds(self, path: str) -> bool:
        prefix = self.path_prefix
        if self.ignore_case:
            path, prefix = path.casefold(), prefix.casefold()
        return path.startswith(prefix) or path == prefix


MOUNTS = (
    SpecMount("xero", "/api.xro/2.0/", "xero_accounting.yaml", "https://api.xero.com", True),
    # Xero's docs call GET /connections; its identity spec and SDKs spell it /Connections.
    SpecMount("xero", "/connections", "xero-identity.yaml", "https://api.xero.com", True),
    SpecMount("keap", "/crm/rest/v2/", "keap-v2-openapi.yml", "https://api.keap.com"),
)


SPEC_FILES = tuple(dict.fromkeys(mount.spec_file for mount in MOUNTS))


class SpecsNotFoundError(FileNotFoundError):
    """The official specs are not on this machine; the message says how to get them."""


def specs_dir(starts: tuple[Path, ...] | None = None) -> Path:
    """`$KEAP_XERO_SPECS`, else a `shared/specs` folder holding every spec file in a parent of
    this module or of the working directory (the repository's parent); `SpecsNotFoundError` when
    there is none.
    """
    configured = os.environ.get("KEAP_XERO_SPECS")
    if configured:
        missing = [name for name in SPEC_FILES if not (Path(configured) / name).is_file()]
        if missing:
            raise SpecsNotFoundError(
                f"KEAP_XERO_SPECS={configured} lacks {', '.join(missing)}; {_WHERE_TO_GET_THEM}"
            )
        return Path(configured)
    for start in starts or (Path(__file__).resolve(), Path.cwd().resolve()):
        for parent in start.parents:
            candidate = parent / "shared" / "specs"
            if all((candidate / name).is_file() for name in SPEC_FILES):
                return candidate
    raise SpecsNotFoundError(
        f"the vendors' OpenAPI specs were not found (KEAP_XERO_SPECS is unset and no "
        f"shared/specs folder is beside the repository); {_WHERE_TO_GET_THEM}"
    )


_WHERE_TO_GET_THEM = (
    "sandbox/README.md (The official specs) says where to get them, at the pinned upstream "
    "commits, and where to put them"
)


class _SpecRequest:
    """A request as openapi-core sees it, moved onto the spec's server."""

    def __init__(self, request: Request, mount: SpecMount, path: str) -> None:
        self.host_url = mount.host_url
        self.path = path
        self.method = request.method.lower()
        self.body = request.get_data(cache=True) or None
        self.content_type = request.mimetype or "application/json"
        self.parameters = RequestParameters(
            query=ImmutableMultiDict(request.args),
            header=Headers(request.headers),
            cookie=ImmutableMultiDict(request.cookies),
        )


class Conformance:
    """Validates responses against the specs and keeps a list of violations."""

    _shared: ClassVar[Conformance | None] = None
    _shared_lock: ClassVar[threading.Lock] = threading.Lock()

    def __init__(self, directory: Path | None = None) -> None:
        self.directory = directory or specs_dir()
        self.violations: list[str] = []
        self.checked = 0
        self._lock = threading.Lock()

    @classmethod
    def shared(cls) -> Conformance:
        """One instance per process: loading the specs takes a couple of seconds. Raises
        `SpecsNotFoundError` when there are none to load.
        """
        with cls._shared_lock:
            if cls._shared is None:
                cls._shared = cls()
            return cls._shared

    @cached_property
    def _documents(self) -> dict[str, dict[str, Any]]:
        loaded = {}
        for name in SPEC_FILES:
            with (self.directory / name).open(encoding="utf-8") as handle:
                loaded[name] = yaml.load(handle, Loader=_SAFE_LOADER)  # noqa: S506 (a safe loader)
        return loaded

    @cached_property
    def _specs(self) -> dict[str, OpenAPI]:
        # Xero's spec gives string defaults to booleans, which a strict spec check rejects;
        # responses are still validated against its schemas.
        return {
            name: OpenAPI(SchemaPath.from_dict(document), config=Config(spec_validator_cls=None))
            for name, document in self._documents.items()
        }

    @cached_property
    def _spellings(self) -> dict[str, PathSpelling]:
        return {name: PathSpelling(self.paths(name)) for name in SPEC_FILES}

    def paths(self, spec_file: str) -> list[str]:
        """The spec's path templates as the server serves them (`/api.xro/2.0/Invoices`)."""
        document = self._documents[spec_file]
        base = urlsplit(document["servers"][0]["url"]).path.rstrip("/")
        return [base + path for path in document["paths"]]

    def operations(self, spec_file: str) -> list[tuple[str, str]]:
        """Every operation of the spec as (method, path template as the server serves it)."""
        document = self._documents[spec_file]
        return [
            (method.upper(), full)
            for full, item in zip(self.paths(spec_file), document["paths"].values(), strict=True)
            for method in item
            if method in _HTTP_METHODS
        ]

    def mount_for(self, api: str, path: str) -> SpecMount | None:
        return next((m for m in MOUNTS if m.api == api and m.holds(path)), None)

    def check(self, api: str, request: Request, response: Response) -> None:
        mount = self.mount_for(api, request.path)
        if mount is None:
            return
        problem = self.problem(mount, request, response)
        with self._lock:
            self.checked += 1
            if problem:
                self.violations.append(
                    f"{request.method} {request.full_path.rstrip('?')} -> {response.status_code}: "
                    f"{problem}"
                )

    def problem(self, mount: SpecMount, request: Request, response: Response) -> str | None:
        """Why the response breaks the spec, or None when it conforms (or cannot be checked)."""
        spec = self._specs[mount.spec_file]
        path = request.path
        if mount.ignore_case:
            path = self._spellings[mount.spec_file].respell(path) or path
        try:
            spec.validate_response(
                _SpecRequest(request, mount, path), WerkzeugOpenAPIResponse(response)
            )
        except (PathNotFound, OperationNotFound):
            if response.status_code in _REFUSED_BEFORE_ROUTING:
                return None
            return "no such operation in the spec"
        except ResponseNotFound:
            return None
        except ValidationError as error:
            return _describe(error)
        return None


_REFUSED_BEFORE_ROUTING = frozenset({401, 403, 404, 405, 429})
_SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_HTTP_METHODS = frozenset({"get", "put", "post", "delete", "patch", "head", "options", "trace"})


def _describe(error: Exception) -> str:
    cause = error.__cause__ or error
    if isinstance(cause, InvalidSchemaValue):
        details = "; ".join(
            f"{'/'.join(str(p) for p in e.absolute_path) or '(body)'}: {e.message}"
            for e in cause.schema_errors[:5]
        )
        return f"{cause.type} {details}"
    return f"{type(error).__name__}: {cause}"
