"""`python -m keap_xero_sandbox`: serve both emulated APIs on loopback until interrupted."""

from __future__ import annotations

import argparse
import contextlib
import json
import sys

from keap_xero_sandbox.server import SandboxServer


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="keap-xero-sandbox",
        description="Stateful local emulators of the Xero Accounting and Keap REST v2 APIs.",
    )
    parser.add_argument("--host", default="127.0.0.1", help="loopback address (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=0, help="port (default: a free one)")
    parser.add_argument(
        "--seed",
        metavar="JSON",
        help='seed options, e.g. \'{"xero": {"contacts": 10}, "keap": {"orders": 100}}\'',
    )
    args = parser.parse_args(argv)
    try:
        server = SandboxServer(host=args.host, port=args.port)
    except ValueError as error:
        parser.error(str(error))
    if args.seed:
        summary = server.sandbox.seed(**json.loads(args.seed))
        print(json.dumps(summary, indent=2, default=str), flush=True)
    print(f"sandbox serving on {server.url} (control surface: {server.url}/_sandbox)", flush=True)
    with contextlib.suppress(KeyboardInterrupt):
        server.serve_forever()
    return 0


if __name__ == "__main__":
    sys.exit(main())
