"""The control surface, outside every real API path: `/_sandbox/...`.

Everything here is also callable in-process on the `Sandbox` object; the HTTP form serves the
standalone sandbox, the demo and clients written in other languages.

| method and path | does |
| --- | --- |
| `GET /_sandbox` | what is emulated, clock, limits, faults |
| `POST /_sandbox/reset` | empty accounts, default credentials and limits, no faults, zero stats |
| `POST /_sandbox/seed` | `{"xero": {...}, "keap": {...}}` seeds each API; returns summaries |
| `GET /_sandbox/state[?api=xero]` | dump of the state, for reconciliation |
| `GET, DELETE /_sandbox/stats` | call statistics per API, endpoint, tenant and status |
| `GET, POST, DELETE /_sandbox/faults`, `DELETE /_sandbox/faults/<id>` | fault rules |
| `GET, POST /_sandbox/clock` | `{"advance": s}`, `{"speed": x}` (0 freezes), `{"set": iso}` |
| `GET /_sandbox/limits` | every API's windows and concurrency caps |
| `POST /_sandbox/limits/<api>` | `{"name", "limit", "seconds"}` or `{"enabled": false}` |
| `/_sandbox/<api>/...` | API-specific controls (tenants, tokens ...), see each emulator |
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from flask import Blueprint, abort, jsonify, request

if TYPE_CHECKING:
    from flask.typing import ResponseReturnValue

    from keap_xero_sandbox.sandbox import Sandbox


def json_body() -> dict[str, Any]:
    """The request's JSON object (empty without a body); a 400 for anything else."""
    data = request.get_json(silent=True)
    if data is None:
        return {}
    if not isinstance(data, dict):
        abort(400, "the body must be a JSON object")
    return data


def control_blueprint(sandbox: Sandbox) -> Blueprint:  # noqa: PLR0915 (one route per statement)
    bp = Blueprint("sandbox_control", __name__)

    @bp.get("")
    def describe() -> ResponseReturnValue:
        return jsonify(sandbox.describe())

    @bp.post("/reset")
    def reset() -> ResponseReturnValue:
        sandbox.reset()
        return jsonify({"reset": True})

    @bp.post("/seed")
    def seed() -> ResponseReturnValue:
        options = json_body()
        unknown = set(options) - set(sandbox.emulators)
        if unknown:
            abort(
                400, f"no emulated API named {sorted(unknown)}; APIs: {sorted(sandbox.emulators)}"
            )
        try:
            return jsonify(sandbox.seed(**options))
        except ValueError as error:  # an emulator's word for seed options that make no sense
            abort(400, str(error))

    @bp.get("/state")
    def state() -> ResponseReturnValue:
        api = request.args.get("api")
        if api is not None and api not in sandbox.emulators:
            abort(404, f"no emulated API named {api!r}")
        return jsonify(sandbox.dump(api))

    @bp.get("/stats")
    def stats() -> ResponseReturnValue:
        return jsonify(sandbox.stats.snapshot())

    @bp.delete("/stats")
    def reset_stats() -> ResponseReturnValue:
        sandbox.stats.reset()
        return jsonify({"reset": True})

    @bp.get("/faults")
    def faults() -> ResponseReturnValue:
        return jsonify(sandbox.faults.describe())

    @bp.post("/faults")
    def add_fault() -> ResponseReturnValue:
        try:
            fault = sandbox.faults.add(**json_body())
        except (TypeError, ValueError) as error:
            abort(400, str(error))
        return jsonify(fault.describe()), 201

    @bp.delete("/faults")
    def clear_faults() -> ResponseReturnValue:
        sandbox.faults.clear()
        return jsonify({"cleared": True})

    @bp.delete("/faults/<int:fault_id>")
    def remove_fault(fault_id: int) -> ResponseReturnValue:
        if not sandbox.faults.remove(fault_id):
            abort(404, f"no fault {fault_id}")
        return jsonify({"removed": fault_id})

    @bp.get("/clock")
    def clock() -> ResponseReturnValue:
        return jsonify(sandbox.clock.describe())

    @bp.post("/clock")
    def set_clock() -> ResponseReturnValue:
        data = json_body()
        try:
            if "advance" in data:
                sandbox.clock.advance(float(data["advance"]))
            if "speed" in data:
                sandbox.clock.set_speed(float(data["speed"]))
            if "set" in data:
                sandbox.clock.set(dt.datetime.fromisoformat(data["set"]))
        except (TypeError, ValueError) as error:
            abort(400, str(error))
        return jsonify(sandbox.clock.describe())

    @bp.get("/limits")
    def limits() -> ResponseReturnValue:
        return jsonify({name: e.limits.describe() for name, e in sandbox.emulators.items()})

    @bp.post("/limits/<api>")
    def set_limits(api: str) -> ResponseReturnValue:
        emulator = sandbox.emulators.get(api) or abort(404, f"no emulated API named {api!r}")
        data = json_body()
        if "enabled" in data:
            emulator.limits.enabled = bool(data["enabled"])
        if "name" in data:
            try:
                emulator.limits.configure(data["name"], data.get("limit"), data.get("seconds"))
            except KeyError as error:
                abort(404, str(error))
        return jsonify(emulator.limits.describe())

    for name, emulator in sandbox.emulators.items():
        extra = emulator.control_blueprint()
        if extra is not None:
            bp.register_blueprint(extra, url_prefix=f"/{name}")

    @bp.errorhandler(400)
    @bp.errorhandler(404)
    def error(exc: Any) -> ResponseReturnValue:
        return jsonify({"error": exc.description}), exc.code

    return bp
