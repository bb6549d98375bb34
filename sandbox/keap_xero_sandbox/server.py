"""Serving a sandbox over HTTP on loopback: in-process for tests, standalone for people."""

from __future__ import annotations

import ipaddress
import logging
import threading

from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

from keap_xero_sandbox.sandbox import Sandbox


class _QuietHandler(WSGIRequestHandler):
    """Keeps per-request access lines out of test output; errors still reach the log."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        pass


class SandboxServer:
    """A threaded HTTP server for one `Sandbox`, on a loopback address.

    Port 0 picks a free ephemeral port; `url` says which. Use as a context manager or call
    `start()` / `stop()`.
    """

    def __init__(self, sandbox: Sandbox | None = None, host: str = "127.0.0.1", port: int = 0):
        if not ipaddress.ip_address(host).is_loopback:
            raise ValueError(f"the sandbox only serves loopback addresses, not {host}")
        self.sandbox = sandbox or Sandbox()
        self._server: BaseWSGIServer = make_server(
            host, port, self.sandbox.app, threaded=True, request_handler=_QuietHandler
        )
        self._server.daemon_threads = True
        logging.getLogger("werkzeug").setLevel(logging.WARNING)
        bound_host, bound_port = self._server.server_address[:2]
        self.url = f"http://{bound_host}:{bound_port}"
        self.sandbox.url = self.url
        self._thread: threading.Thread | None = None

    def start(self) -> SandboxServer:
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name="keap-xero-sandbox",
            daemon=True,
        )
        self._thread.start()
        return self

    def serve_forever(self) -> None:
        self._server.serve_forever()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> SandboxServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
