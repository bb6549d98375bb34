"""What a run stows out of memory comes back exactly, leaves with `pop_many`, and, past a
capacity, the oldest goes first; its memory stays flat, and its file is gone even if the run is
killed."""

import os
import subprocess
import sys
import textwrap

import pytest

from invoice_model.connector.stowage import Stowage


def test_what_is_stowed_comes_back_exactly_and_a_null_is_not_a_missing_key():
    store = Stowage()
    store.update([("a", "支払い済み — merci"), ("b", None), ("c", "")])

    assert store.get_many(["a", "b", "c", "d"]) == {"a": "支払い済み — merci", "b": None, "c": ""}
    assert len(store) == 3


def test_many_keys_are_asked_in_chunks_and_each_once():
    store = Stowage()
    store.update((str(i), f"v{i}") for i in range(5_000))

    found = store.get_many([str(i) for i in range(0, 10_000, 2)] + ["0", "0"])

    assert found == {str(i): f"v{i}" for i in range(0, 5_000, 2)}


def test_popped_keys_are_stowed_no_more():
    store = Stowage()
    store.update([("a", "1"), ("b", "2")])

    assert store.pop_many(["a", "x"]) == {"a": "1"}
    assert store.get_many(["a", "b"]) == {"b": "2"}


def test_past_its_capacity_the_keys_stowed_longest_ago_go_first():
    store = Stowage(capacity=3)
    store.update([("a", "1"), ("b", "2"), ("c", "3")])
    store.update([("a", "1 again")])  # stowed anew: now the youngest
    store.update([("d", "4")])

    assert store.get_many("abcd") == {"c": "3", "a": "1 again", "d": "4"}


def test_the_memory_it_takes_does_not_grow_with_what_it_holds():
    """A child process stows 200,000 values of 200 bytes (40 MB); its peak memory stays near
    what it was before it began."""
    script = textwrap.dedent(
        """
        import resource
        from invoice_model.connector.stowage import Stowage

        store = Stowage()
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        for start in range(0, 200_000, 1_000):
            store.update((str(i), "x" * 200) for i in range(start, start + 1_000))
        store.pop_many(str(i) for i in range(0, 200_000, 7))
        after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        print((after - before) // 1024)
        """
    )
    grown = subprocess.run(  # noqa: S603 (this interpreter, a script of this test)
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, env=os.environ
    )

    assert int(grown.stdout) < 10  # MiB; kept in memory, the values alone would be 40


@pytest.mark.skipif(not os.path.isdir("/proc/self/fd"), reason="reads /proc (Linux)")
def test_its_file_is_gone_while_the_run_lasts_and_after_it_is_killed(tmp_path):
    """The file SQLite spills to is unlinked as soon as it is opened: a run killed mid-sync leaves
    nothing in the temporary directory."""
    script = textwrap.dedent(
        """
        import sys, time
        from invoice_model.connector.stowage import Stowage

        store = Stowage()
        store.update((str(i), "x" * 500) for i in range(50_000))  # 25 MB: past SQLite's cache
        print(len(store), flush=True)
        time.sleep(60)
        """
    )
    env = {**os.environ, "SQLITE_TMPDIR": str(tmp_path), "TMPDIR": str(tmp_path)}
    run = subprocess.Popen(  # noqa: S603 (this interpreter, a script of this test)
        [sys.executable, "-c", script], stdout=subprocess.PIPE, text=True, env=env
    )
    try:
        assert run.stdout is not None
        assert run.stdout.readline().strip() == "50000"
        assert list(tmp_path.iterdir()) == []
        assert any("(deleted)" in str(os.readlink(fd)) for fd in _descriptors(run.pid))
    finally:
        run.kill()
        run.wait()
    assert list(tmp_path.iterdir()) == []


def _descriptors(pid: int) -> list[str]:
    """The open files of a process (Linux)."""
    folder = f"/proc/{pid}/fd"
    return [os.path.join(folder, name) for name in os.listdir(folder)]
