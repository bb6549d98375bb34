"""Paths whose case does not matter, as at Xero.

Xero's APIs run on ASP.NET, whose routing ignores case: `GET /Connections` (the spelling of
Xero's identity spec and SDKs) and `GET /connections` (its developer docs) are the same call, as
are `/api.xro/2.0/Invoices` and `/api.xro/2.0/invoices`. Flask matches paths exactly, so an
emulator that routes without regard to case has each path respelled as its route spells it
before routing: the route's static segments are taken in its own spelling, and the segments that
carry values (IDs, numbers, codes) are kept exactly as sent. Keap's REST services are matched
exactly (its spec's spelling only), so its emulator is left alone.
"""

from __future__ import annotations

from collections.abc import Iterable


class PathSpelling:
    """Respells paths as a set of route templates spell them, ignoring case.

    Templates are Werkzeug's (`/Invoices/<invoice_id>`, a trailing `<path:rest>` matching the
    rest) or OpenAPI's (`/Invoices/{InvoiceID}`); a segment that is a placeholder matches any
    value.
    """

    def __init__(self, templates: Iterable[str]) -> None:
        routes = {tuple(_segments(t)) for t in templates}
        # As a router tries them: a catch-all (`<path:...>`) last, fixed segments before
        # placeholders, then by spelling so the order never depends on the set's.
        self._routes = sorted(routes, key=_precedence)

    def respell(self, path: str) -> str | None:
        """The path in the spelling of the route it matches, or None when it matches none."""
        sent = _segments(path)
        for route in self._routes:
            spelled = _spell(route, sent)
            if spelled is not None:
                trailing = "/" if path.endswith("/") and spelled else ""
                return "/" + "/".join(spelled) + trailing
        return None


def _precedence(route: tuple[str, ...]) -> tuple[bool, int, int, tuple[str, ...]]:
    is_catch_all = bool(route) and _is_rest(route[-1])
    fixed = sum(not _is_placeholder(part) for part in route)
    return (is_catch_all, -len(route), -fixed, route)


def _segments(path: str) -> list[str]:
    return [s for s in path.strip("/").split("/") if s] if path.strip("/") else []


def _is_placeholder(segment: str) -> bool:
    return (segment.startswith("<") and segment.endswith(">")) or (
        segment.startswith("{") and segment.endswith("}")
    )


def _is_rest(segment: str) -> bool:
    return segment.startswith("<path:")


def _spell(route: tuple[str, ...], sent: list[str]) -> list[str] | None:
    spelled: list[str] = []
    for index, part in enumerate(route):
        if _is_rest(part):
            rest = sent[index:]
            return [*spelled, *rest] if rest else None
        if index >= len(sent):
            return None
        if _is_placeholder(part):
            spelled.append(sent[index])
        elif part.casefold() == sent[index].casefold():
            spelled.append(part)
        else:
            return None
    return spelled if len(sent) == len(route) else None
