"""The connection file: which Keap and Xero accounts, which sync mode, where to start.

```yaml
keap: keap.json            # the Keap account: source-keap's config (destination-keap's too)
xero: xero.json            # the Xero organisation: destination-xero's config (source-xero's too)
keap_to_xero:
  mode: 2                  # 1 invoices only, 2 invoices and payments,
                           # 3 paid invoices with payments, 4 no Keap → Xero
  start: beginning         # or {invoice_id: "2087"} or {invoice_date: 2024-03-01}
xero_to_keap:
  enabled: false           # invoices raised in Xero flow into Keap
state: .invoice-sync/shop  # optional: state, cache and run log (default .invoice-sync/<name>)
```

Paths are relative to the connection file. Every mistake is a `ConnectionFileError` naming the
file, the key and what is wrong with it, before anything is run.
"""

from __future__ import annotations

import datetime as dt
import enum
import json
import re
import zoneinfo
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

TOP_LEVEL_KEYS = ("keap", "xero", "keap_to_xero", "xero_to_keap", "state")
DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


class _Loader(yaml.SafeLoader):
    """Safe YAML that leaves dates as text, so a wrong one is named by its key."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, pattern) for tag, pattern in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


class ConnectionFileError(ValueError):
    """A connection file that cannot be used, naming the key and the problem."""

    def __init__(self, path: Path, key: str | None, problem: str) -> None:
        self.path, self.key, self.problem = path, key, problem
        where = f"{path}: {key}" if key else str(path)
        super().__init__(f"{where}: {problem}")


class Mode(enum.IntEnum):
    """The sync modes of the product, Keap → Xero."""

    INVOICES = 1
    INVOICES_AND_PAYMENTS = 2
    PAID_INVOICES_WITH_PAYMENTS = 3
    OFF = 4

    @property
    def description(self) -> str:
        return _MODE_DESCRIPTIONS[self]


_MODE_DESCRIPTIONS = {
    Mode.INVOICES: "invoices only",
    Mode.INVOICES_AND_PAYMENTS: "invoices and payments",
    Mode.PAID_INVOICES_WITH_PAYMENTS: "paid invoices with payments",
    Mode.OFF: "no Keap → Xero",
}
_MODE_NAMES = {mode.name.lower(): mode for mode in Mode} | {"off": Mode.OFF}


@dataclass(frozen=True)
class StartPoint:
    """Where Keap → Xero starts, and a floor for every later sync (see source-keap)."""

    invoice_id: str | None = None
    invoice_date: dt.date | None = None
    time_zone: str | None = None  # the day's zone; None: the Keap account's

    def source_config(self) -> dict[str, Any]:
        """source-keap's `start_from`."""
        if self.invoice_id is not None:
            return {"start_type": "invoice_id", "invoice_id": self.invoice_id}
        if self.invoice_date is not None:
            start = {"start_type": "invoice_date", "invoice_date": self.invoice_date.isoformat()}
            return start | ({"time_zone": self.time_zone} if self.time_zone else {})
        return {"start_type": "beginning"}

    def describe(self) -> str:
        if self.invoice_id is not None:
            return f"from Keap invoice {self.invoice_id}"
        if self.invoice_date is not None:
            zone = f" ({self.time_zone})" if self.time_zone else ""
            return f"from invoices dated {self.invoice_date.isoformat()}{zone}"
        return "from the beginning"


BEGINNING = StartPoint()


@dataclass(frozen=True)
class Connection:
    """A validated connection file."""

    path: Path
    keap_config: Path
    xero_config: Path
    mode: Mode
    start: StartPoint
    xero_to_keap: bool
    state_dir: Path

    @property
    def name(self) -> str:
        return self.path.stem

    @classmethod
    def load(cls, path: Path | str) -> Connection:
        path = Path(path)
        try:
            document = yaml.load(path.read_text("utf-8"), Loader=_Loader)  # noqa: S506
        except FileNotFoundError:
            raise ConnectionFileError(path, None, "no such file") from None
        except (OSError, UnicodeDecodeError) as error:
            raise ConnectionFileError(path, None, f"cannot be read: {error}") from None
        except yaml.YAMLError as error:
            raise ConnectionFileError(path, None, f"is not valid YAML: {error}") from None
        return _Reader(path).connection(document)


class _Reader:
    """Reads one connection document, every error naming its key."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.folder = path.resolve().parent

    def error(self, key: str | None, problem: str) -> ConnectionFileError:
        return ConnectionFileError(self.path, key, problem)

    def connection(self, document: Any) -> Connection:
        top = self.mapping(None, document, TOP_LEVEL_KEYS)
        if "keap_to_xero" not in top:
            raise self.error("keap_to_xero", "missing: give its mode (1, 2, 3 or 4)")
        forward = self.mapping("keap_to_xero", top["keap_to_xero"], ("mode", "start"))
        mode = self.mode(forward.get("mode"))
        start = self.start(forward.get("start")) if mode != Mode.OFF else BEGINNING
        reverse = self.mapping("xero_to_keap", top.get("xero_to_keap", {}), ("enabled",))
        enabled = reverse.get("enabled", False)
        if not isinstance(enabled, bool):
            raise self.error("xero_to_keap.enabled", f"{enabled!r} is not true or false")
        if mode == Mode.OFF and not enabled:
            raise self.error(
                "keap_to_xero.mode",
                "4 (no Keap → Xero) and xero_to_keap is not enabled: there is nothing to sync",
            )
        return Connection(
            path=self.path,
            keap_config=self.config_file("keap", top.get("keap")),
            xero_config=self.config_file("xero", top.get("xero")),
            mode=mode,
            start=start,
            xero_to_keap=enabled,
            state_dir=self.state_dir(top.get("state")),
        )

    def mapping(self, key: str | None, value: Any, allowed: tuple[str, ...]) -> Mapping[str, Any]:
        what = key or "the file"
        if not isinstance(value, Mapping):
            raise self.error(key, f"{what} must be a mapping of {', '.join(allowed)}")
        for name in value:
            if name not in allowed:
                full = f"{key}.{name}" if key else str(name)
                raise self.error(full, f"unknown key; expected one of {', '.join(allowed)}")
        return value

    def mode(self, value: Any) -> Mode:
        if isinstance(value, str) and value.strip().isdigit():
            value = int(value)
        if isinstance(value, int) and not isinstance(value, bool) and value in set(Mode):
            return Mode(value)
        if isinstance(value, str) and value.strip().lower() in _MODE_NAMES:
            return _MODE_NAMES[value.strip().lower()]
        choices = ", ".join(f"{m.value} ({m.description})" for m in Mode)
        problem = "missing" if value is None else f"{value!r} is not a sync mode"
        raise self.error("keap_to_xero.mode", f"{problem}; choose {choices}")

    def start(self, value: Any) -> StartPoint:
        key = "keap_to_xero.start"
        choices = "beginning, {invoice_id: <Keap invoice ID>} or {invoice_date: YYYY-MM-DD}"
        if value == "beginning":
            return BEGINNING
        if not isinstance(value, Mapping):
            problem = "missing" if value is None else f"{value!r} is not a start point"
            raise self.error(key, f"{problem}; choose {choices}")
        start = self.mapping(key, value, ("invoice_id", "invoice_date", "time_zone"))
        if ("invoice_id" in start) == ("invoice_date" in start):
            raise self.error(key, f"give exactly one of invoice_id and invoice_date ({choices})")
        if "invoice_id" in start:
            if "time_zone" in start:
                raise self.error(f"{key}.time_zone", "only goes with invoice_date")
            return StartPoint(invoice_id=self.invoice_id(start["invoice_id"]))
        return StartPoint(
            invoice_date=self.invoice_date(start["invoice_date"]),
            time_zone=self.time_zone(start.get("time_zone")),
        )

    def invoice_id(self, value: Any) -> str:
        text = str(value).strip() if isinstance(value, int | str) else ""
        if isinstance(value, bool) or not text.isdigit():
            raise self.error("keap_to_xero.start.invoice_id", f"{value!r} is not a Keap invoice ID")
        return text

    def invoice_date(self, value: Any) -> dt.date:
        key = "keap_to_xero.start.invoice_date"
        if isinstance(value, str) and DATE.match(value.strip()):
            try:
                return dt.date.fromisoformat(value.strip())
            except ValueError:
                pass
        raise self.error(key, f"{value!r} is not a date (YYYY-MM-DD)")

    def time_zone(self, value: Any) -> str | None:
        if value is None:
            return None
        key = "keap_to_xero.start.time_zone"
        if not isinstance(value, str) or not value.strip():
            raise self.error(key, f"{value!r} is not an IANA time zone such as America/New_York")
        try:
            zoneinfo.ZoneInfo(value.strip())
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            raise self.error(key, f"{value!r} is not an IANA time zone") from None
        return value.strip()

    def config_file(self, key: str, value: Any) -> Path:
        connector = "source-keap" if key == "keap" else "destination-xero"
        if not isinstance(value, str) or not value.strip():
            problem = "missing" if value is None else f"{value!r} is not a file name"
            raise self.error(
                key,
                f"{problem}; name the {key.title()} account's config file "
                f"(the JSON config of {connector})",
            )
        path = self.folder / value.strip()
        try:
            config = json.loads(path.read_text("utf-8"))
        except FileNotFoundError:
            raise self.error(key, f"{path} does not exist") from None
        except (OSError, UnicodeDecodeError) as error:
            raise self.error(key, f"{path} cannot be read: {error}") from None
        except json.JSONDecodeError as error:
            raise self.error(key, f"{path} is not valid JSON: {error}") from None
        if not isinstance(config, dict):
            raise self.error(key, f"{path} must hold a JSON object (the connector's config)")
        return path

    def state_dir(self, value: Any) -> Path:
        if value is None:
            return self.folder / ".invoice-sync" / self.path.stem
        if not isinstance(value, str) or not value.strip():
            raise self.error("state", f"{value!r} is not a folder name")
        return self.folder / value.strip()
