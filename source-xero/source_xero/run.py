"""The `source-xero` command: `spec`, `check`, `discover`, `read`, as every Airbyte source."""

import sys

from invoice_model.connector.entrypoint import launch
from source_xero.source import SourceXero


def run() -> None:
    launch(SourceXero(), sys.argv[1:])
