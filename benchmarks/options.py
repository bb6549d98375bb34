"""The command line every benchmark takes (see `run.py`): `--smoke` and `--out DIR`."""

from __future__ import annotations

import argparse
from pathlib import Path

HERE = Path(__file__).resolve().parent


def parser(doc: str) -> argparse.ArgumentParser:
    """A parser with the two options of every benchmark; a benchmark may add its own."""
    parsed = argparse.ArgumentParser(description=doc.strip().splitlines()[0])
    parsed.add_argument("--smoke", action="store_true", help="a tiny size, to check it runs")
    parsed.add_argument("--out", type=Path, default=HERE, help="where drawn figures go")
    return parsed
