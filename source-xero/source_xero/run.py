"""The `source-xero` command: `spec`, `check`, `discover`, `read`, as every Airbyte source."""

import sys

from airbyte_cdk.entrypoint import launch

from source_xero.source import SourceXero


def run() -> None:
    launch(SourceXero(), sys.argv[1:])
