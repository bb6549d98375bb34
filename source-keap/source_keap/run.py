"""The `source-keap` command: `spec`, `check`, `discover`, `read`, as every Airbyte source."""

import sys

from invoice_model.connector.entrypoint import launch
from source_keap.source import SourceKeap


def run() -> None:
    launch(SourceKeap(), sys.argv[1:])
