"""Console script `destination-keap`: `spec`, `check --config`, `write --config --catalog`."""

import sys

from destination_keap.destination import DestinationKeap


def run() -> None:
    DestinationKeap().run(sys.argv[1:])


if __name__ == "__main__":
    run()
