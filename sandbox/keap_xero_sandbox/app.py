"""The WSGI application: every emulator's routes, the control surface, faults and statistics.

Cross-cutting behaviour lives in request hooks so that the emulators never see it: a fault rule
may answer or drop a call before the emulator runs, or (`after`) lose the emulator's answer once
it has run, and every call to a real API path is counted (and, when a conformance checker is
attached, validated against the vendor's OpenAPI spec). Before any of that, a call to an API
that routes without regard to case (Xero) has its path spelled as its route spells it
(`routing`), so that faults, statistics and routes see one spelling.
"""

from __future__ import annotations

import contextlib
import socket
import time
from typing import TYPE_CHECKING

from flask import Flask, Response, g, request

from keap_xero_sandbox.control import control_blueprint
from keap_xero_sandbox.routing import PathSpelling
from keap_xero_sandbox.stats import Call

if TYPE_CHECKING:
    from collections.abc import Iterable

    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

    from keap_xero_sandbox.emulator import Emulator
    from keap_xero_sandbox.faults import Fault
    from keap_xero_sandbox.sandbox import Sandbox


def create_app(sandbox: Sandbox) -> Flask:
    app = Flask("keap_xero_sandbox")
    app.json.sort_keys = False  # vendors' field order, as their envelopes have it
    app.json.ensure_ascii = False
    app.url_map.strict_slashes = False
    app.extensions["sandbox"] = sandbox

    spellings: list[tuple[Emulator, PathSpelling]] = []
    for emulator in sandbox.emulators.values():
        blueprint = emulator.blueprint()
        app.register_blueprint(blueprint)
        if emulator.paths_ignore_case:
            rules = app.url_map.iter_rules()
            own = [r.rule for r in rules if r.endpoint.startswith(f"{blueprint.name}.")]
            spellings.append((emulator, PathSpelling(own)))
    app.register_blueprint(control_blueprint(sandbox), url_prefix="/_sandbox")
    if spellings:
        app.wsgi_app = _respelling(app.wsgi_app, spellings)  # type: ignore[method-assign]

    @app.before_request
    def inject_fault() -> Response | None:
        emulator = _emulator_for(sandbox, request.path)
        g.emulator = emulator
        if emulator is None:
            return None
        fault = sandbox.faults.pick(emulator.name, request.method, request.path)
        if fault is None:
            return None
        if fault.after:
            g.lost_answer = fault  # the emulator serves the call; `observe` loses its answer
            return None
        return _strike(fault, emulator)

    @app.after_request
    def observe(response: Response) -> Response:
        emulator: Emulator | None = g.get("emulator")
        if emulator is None:
            return response
        fault: Fault | None = g.pop("lost_answer", None)
        if fault is not None:
            response = _strike(fault, emulator) or response
        sandbox.stats.record(
            Call(
                api=emulator.name,
                tenant=emulator.tenant_of(request),
                method=request.method,
                endpoint=request.url_rule.rule if request.url_rule else request.path,
                path=request.path,
                query=request.query_string.decode("latin-1"),
                status=response.status_code,
                at=sandbox.clock.now().isoformat(),
            )
        )
        if sandbox.conformance is not None:
            sandbox.conformance.check(emulator.name, request, response)
        if g.pop("drop", False):
            # Only once the call is counted, so that a client retrying at once finds it counted.
            _drop_connection()
        return response

    return app


def _respelling(
    wsgi_app: WSGIApplication, spellings: list[tuple[Emulator, PathSpelling]]
) -> WSGIApplication:
    """Before anything sees a call (faults, statistics, routing), spell its path as the route it
    matches spells it, for the APIs that ignore case."""

    def respelled(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        for emulator, spelling in spellings:
            if emulator.owns(path):
                environ["PATH_INFO"] = spelling.respell(path) or path
                break
        return wsgi_app(environ, start_response)

    return respelled


def _strike(fault: Fault, emulator: Emulator) -> Response | None:
    """Apply a fault to the current call: the answer to give instead, or None to carry on."""
    if fault.kind == "latency":
        time.sleep(fault.seconds)
        return None
    if fault.kind == "hook":
        assert fault.run is not None  # noqa: S101 (a hook is made with its callable)
        fault.run()
        return None
    if fault.kind == "drop":
        g.drop = True  # `observe` closes the connection: no answer reaches the client
        return None if fault.after else Response(status=500)
    response = emulator.fault_response(fault)
    if isinstance(fault.body, str):  # a body that is not JSON, as a proxy's error page is
        response.set_data(fault.body)
        response.content_type = fault.headers.get("Content-Type", "text/html; charset=utf-8")
    return response


def _emulator_for(sandbox: Sandbox, path: str) -> Emulator | None:
    for emulator in sandbox.emulators.values():
        if emulator.owns(path):
            return emulator
    return None


def _drop_connection() -> None:
    """Close the client's TCP connection mid-request, as a dying load balancer does."""
    sock: socket.socket | None = request.environ.get("werkzeug.socket")
    if sock is None:
        return
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)
    sock.close()
