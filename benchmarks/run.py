"""`make bench`: run the benchmarks and write RESULTS.md from what they print.

A benchmark is a script in this folder that follows three rules, and is then found, run,
recorded and smoke-tested without being listed anywhere:

1. it defines a module-level string `SECTION`: the heading of its part of RESULTS.md (found by
   reading the file, not by importing it; helper modules have none);
2. `python benchmarks/<name>.py [--smoke] [--out DIR]` prints that part's Markdown (tables and
   what they mean, without the heading) on stdout, progress on stderr, and exits non-zero when
   it fails. Files it draws (a PNG) go into DIR, default this folder, linked by their name;
3. `--smoke` runs it at a tiny size, in seconds: `make test` does so for every benchmark
   (`test_benchmarks.py`) to keep it working; its figures mean nothing.

`python benchmarks/run.py [NAME ...] [--smoke] [--out DIR]` runs every benchmark (or those
named), one after the other, and writes DIR/RESULTS.md: each benchmark's section with the
command that produced it, the machine, the date and the machine's load average before and
after (the machine may be shared; wall-clock figures depend on it), then what it printed.
Sections of benchmarks not run this time, or that failed, are kept as they were. Every
benchmark runs against an in-process sandbox on loopback.
"""

from __future__ import annotations

import argparse
import ast
import datetime as dt
import os
import platform
import re
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
RESULTS = "RESULTS.md"
MARKER = "<!-- benchmark: {} -->"
SECTION_START = re.compile(r"^<!-- benchmark: (\w+) -->$", re.MULTILINE)
HEADER = """# Benchmark results

Written by `make bench` (`benchmarks/run.py`) from what each benchmark printed; re-run one with
`.venv/bin/python benchmarks/run.py NAME`. Every benchmark runs against an in-process sandbox on
loopback; connectors run as subprocesses, and a connector's peak memory is its own resident
set's high-water mark (`VmHWM`, sampled every 20 ms: `wait4`'s `ru_maxrss` would include the
parent's, which holds the sandbox; see `peak_memory.py`). Each section says when and on what it
was measured, and how busy the machine was (load average over one minute, before and after).
"""


def benchmarks() -> dict[str, str]:
    """Every benchmark of this folder: its name and its `SECTION` heading."""
    found = {}
    for path in sorted(HERE.glob("*.py")):
        for node in ast.parse(path.read_text()).body:
            if (
                isinstance(node, ast.Assign)
                and any(isinstance(t, ast.Name) and t.id == "SECTION" for t in node.targets)
                and isinstance(node.value, ast.Constant)
                and isinstance(node.value.value, str)
            ):
                found[path.stem] = node.value.value
    return found


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    memory = ""
    meminfo = Path("/proc/meminfo")
    if meminfo.exists():
        total_kib = int(meminfo.read_text().split()[1])
        memory = f", {total_kib / 1024 / 1024:.0f} GiB RAM"
    return (
        f"{cpu}, {os.cpu_count()} cores{memory}, {platform.system()} {platform.release()}, "
        f"Python {platform.python_version()}"
    )


def run(name: str, heading: str, smoke: bool, out: Path) -> str | None:
    """Runs one benchmark; its section of RESULTS.md, or None when it failed."""
    flags = ["--smoke"] if smoke else []
    command = " ".join([".venv/bin/python", f"benchmarks/{name}.py", *flags])
    print(f"{command} ...", file=sys.stderr, flush=True)
    load_before = os.getloadavg()[0]
    started = dt.datetime.now(dt.UTC)
    result = subprocess.run(  # noqa: S603 (a script of this folder)
        [sys.executable, str(HERE / f"{name}.py"), *flags, "--out", str(out)],
        stdout=subprocess.PIPE,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        print(f"{name} failed (exit code {result.returncode})", file=sys.stderr)
        return None
    minutes = (dt.datetime.now(dt.UTC) - started).total_seconds() / 60
    return (
        f"{MARKER.format(name)}\n## {heading}\n\n"
        f"Command: `{command}`  \n"
        f"Measured: {started:%Y-%m-%d %H:%M} UTC, {minutes:.0f} min, on {machine()}; load "
        f"average {load_before:.2f} before, {os.getloadavg()[0]:.2f} after.\n\n"
        f"{result.stdout.strip()}\n"
    )


def sections(text: str) -> dict[str, str]:
    """The sections of an existing RESULTS.md, by benchmark name."""
    starts = list(SECTION_START.finditer(text))
    ends = [match.start() for match in starts[1:]] + [len(text)] if starts else []
    return {
        match[1]: text[match.start() : end].strip() + "\n"
        for match, end in zip(starts, ends, strict=True)
    }


def write_results(path: Path, fresh: dict[str, str], known: dict[str, str]) -> None:
    """RESULTS.md: the sections just measured, and the earlier ones of the others, by name."""
    kept = sections(path.read_text()) if path.exists() else {}
    kept.update(fresh)
    ordered = [kept[name] for name in sorted(kept) if name in known]
    path.write_text(HEADER + "\n" + "\n".join(ordered))


def main(argv: list[str]) -> int:
    known = benchmarks()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", help=f"default: every one ({', '.join(known)})")
    parser.add_argument("--smoke", action="store_true", help="tiny sizes, to check they run")
    parser.add_argument("--out", type=Path, default=HERE, help="where RESULTS.md goes")
    args = parser.parse_args(argv)
    unknown = set(args.names) - set(known)
    if unknown:
        parser.error(f"no benchmark {', '.join(sorted(unknown))} (there are {', '.join(known)})")
    args.out.mkdir(parents=True, exist_ok=True)
    fresh, failed = {}, []
    for name in args.names or known:
        section = run(name, known[name], args.smoke, args.out)
        if section is None:
            failed.append(name)
        else:
            fresh[name] = section
            write_results(args.out / RESULTS, fresh, known)
    if failed:
        print(f"failed: {', '.join(failed)}; their sections are kept as they were", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
