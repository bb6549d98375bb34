"""Console script `destination-xero`: `spec`, `check --config`, `write --config --catalog`."""

import sys

from destination_xero.destination import DestinationXero


def run() -> None:
    DestinationXero().run(sys.argv[1:])


if __name__ == "__main__":
    run()
