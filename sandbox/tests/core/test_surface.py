"""Faults, statistics, the control surface and serving, through real HTTP on loopback."""

import threading
import time

import pytest
import requests

from keap_xero_sandbox import SandboxServer
from keap_xero_sandbox.__main__ import main


def url(sandbox, path):
    return sandbox.url + path


def test_control_surface_describes_seeds_dumps_and_resets(toy):
    described = requests.get(url(toy, "/_sandbox")).json()
    assert described["apis"] == {"xero": ["/api.xro/2.0", "/connections"]}
    assert requests.post(url(toy, "/_sandbox/seed"), json={"xero": {"items": 2}}).json() == {
        "xero": {"items": 2}
    }
    assert requests.get(url(toy, "/_sandbox/state")).json() == {
        "xero": {"items": ["item-0", "item-1"]}
    }
    assert requests.get(url(toy, "/_sandbox/state?api=xero")).json() == {
        "items": ["item-0", "item-1"]
    }
    requests.post(url(toy, "/_sandbox/reset"))
    assert toy.dump("xero") == {"items": []}


def test_control_surface_refuses_what_it_does_not_know(toy):
    response = requests.post(url(toy, "/_sandbox/seed"), json={"quickbooks": {}})
    assert response.status_code == 400
    assert "quickbooks" in response.json()["error"]
    response = requests.post(url(toy, "/_sandbox/seed"), json={"xero": {"items": -1}})
    assert response.status_code == 400
    assert "items must be" in response.json()["error"]
    assert requests.get(url(toy, "/_sandbox/state?api=nope")).status_code == 404
    assert requests.post(url(toy, "/_sandbox/faults"), json={"kind": "explode"}).status_code == 400
    assert (
        requests.post(url(toy, "/_sandbox/limits/xero"), json={"name": "hour"}).status_code == 404
    )
    assert requests.post(url(toy, "/_sandbox/clock"), json={"advance": -5}).status_code == 400
    assert requests.delete(url(toy, "/_sandbox/faults/999")).status_code == 404


def test_injected_status_for_the_next_n_calls(toy):
    requests.post(
        url(toy, "/_sandbox/faults"),
        json={
            "path": "/api.xro/2.0/Currencies",
            "status": 503,
            "count": 2,
            "headers": {"X-Why": "storm"},
        },
    )
    statuses = [requests.get(url(toy, "/api.xro/2.0/Currencies")).status_code for _ in range(4)]
    assert statuses == [503, 503, 200, 200]
    assert requests.get(url(toy, "/_sandbox/faults")).json()[0]["fired"] == 2


def test_a_fault_can_let_the_first_matching_calls_through(toy):
    requests.post(
        url(toy, "/_sandbox/faults"),
        json={"path": "/api.xro/2.0/Currencies", "status": 503, "skip": 2, "count": 1},
    )
    statuses = [requests.get(url(toy, "/api.xro/2.0/Currencies")).status_code for _ in range(4)]
    assert statuses == [200, 200, 503, 200]
    described = requests.get(url(toy, "/_sandbox/faults")).json()[0]
    assert (described["skipped"], described["fired"]) == (2, 1)
    assert requests.post(url(toy, "/_sandbox/faults"), json={"skip": -1}).status_code == 400


def test_injected_faults_match_method_and_api(toy):
    toy.faults.add(method="POST", path="*", status=500, count=None)
    toy.faults.add(api="keap", path="*", status=500, count=None)
    assert requests.get(url(toy, "/api.xro/2.0/Currencies")).status_code == 200


def test_seeded_probability_is_reproducible(toy):
    def run():
        toy.reset()
        toy.faults.add(path="/api.xro/2.0/*", status=500, count=None, probability=0.3, seed=7)
        toy.emulators["xero"].limits.enabled = False
        return [requests.get(url(toy, "/api.xro/2.0/Currencies")).status_code for _ in range(30)]

    first, second = run(), run()
    assert first == second
    assert 3 <= first.count(500) <= 18


def test_dropped_connection(toy):
    toy.faults.add(kind="drop", path="/api.xro/2.0/Currencies")
    with pytest.raises(requests.ConnectionError):
        requests.get(url(toy, "/api.xro/2.0/Currencies"))
    assert requests.get(url(toy, "/api.xro/2.0/Currencies")).status_code == 200


def test_by_default_a_fault_strikes_before_the_emulator_writes(toy):
    toy.faults.add(method="PUT", path="/api.xro/2.0/Currencies", status=503)
    answer = requests.put(url(toy, "/api.xro/2.0/Currencies"), json={"Code": "EUR"})
    assert answer.status_code == 503
    assert toy.dump("xero") == {"items": []}


def test_an_answer_lost_after_the_write(toy):
    currencies = url(toy, "/api.xro/2.0/Currencies")
    toy.faults.add(kind="drop", after=True, method="PUT", path="/api.xro/2.0/Currencies")
    with pytest.raises(requests.ConnectionError):
        requests.put(currencies, json={"Code": "EUR"})
    toy.faults.add(after=True, method="PUT", path="/api.xro/2.0/Currencies", status=503)
    assert requests.put(currencies, json={"Code": "GBP"}).status_code == 503
    toy.faults.add(kind="latency", seconds=0.2, after=True, path="/api.xro/2.0/Currencies")
    started = time.monotonic()
    assert requests.put(currencies, json={"Code": "NZD"}).json()["Currencies"][0]["Code"] == "NZD"
    assert time.monotonic() - started >= 0.2
    # Every call was carried out; only the first two answers were lost.
    assert toy.dump("xero") == {"items": ["EUR", "GBP", "NZD"]}
    assert [(c.method, c.status) for c in toy.stats.calls()] == [
        ("PUT", 200),  # what the emulator answered; the client never got it
        ("PUT", 503),
        ("PUT", 200),
    ]


def test_a_hook_runs_before_or_after_the_call_it_matches(toy):
    currencies = url(toy, "/api.xro/2.0/Currencies")
    toy.faults.add(kind="hook", method="PUT", path="/api.xro/2.0/*", run=lambda: seen.append(1))
    toy.faults.add(
        kind="hook",
        method="PUT",
        path="/api.xro/2.0/*",
        after=True,
        run=lambda: seen.append(list(toy.dump("xero")["items"])),
    )
    seen: list = []
    requests.put(currencies, json={"Code": "EUR"})  # the first hook: before the write
    requests.put(currencies, json={"Code": "GBP"})  # the second: after it
    requests.put(currencies, json={"Code": "NZD"})  # both spent
    assert seen == [1, ["EUR", "GBP"]]
    assert toy.dump("xero") == {"items": ["EUR", "GBP", "NZD"]}
    assert [f["run"] for f in requests.get(url(toy, "/_sandbox/faults")).json()] == [
        "test_a_hook_runs_before_or_after_the_call_it_matches.<locals>.<lambda>"
    ] * 2


def test_a_hook_is_added_in_process_with_its_callable(toy):
    answer = requests.post(url(toy, "/_sandbox/faults"), json={"kind": "hook"})
    assert answer.status_code == 400
    assert "in-process" in answer.json()["error"]
    with pytest.raises(ValueError, match="hooks only"):
        toy.faults.add(status=500, run=print)


def test_after_must_be_a_boolean(toy):
    answer = requests.post(url(toy, "/_sandbox/faults"), json={"after": "yes"})
    assert answer.status_code == 400
    assert "after" in answer.json()["error"]


def test_latency(toy):
    toy.faults.add(kind="latency", seconds=0.2, path="*")
    started = time.monotonic()
    assert requests.get(url(toy, "/api.xro/2.0/Currencies")).status_code == 200
    assert time.monotonic() - started >= 0.2


def test_rate_limit_window_on_a_fast_clock(toy):
    statuses = [requests.get(url(toy, "/api.xro/2.0/Currencies")).status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    requests.post(url(toy, "/_sandbox/clock"), json={"advance": 60})
    assert requests.get(url(toy, "/api.xro/2.0/Currencies")).status_code == 200
    requests.post(url(toy, "/_sandbox/limits/xero"), json={"enabled": False})
    assert all(requests.get(url(toy, "/api.xro/2.0/Currencies")).ok for _ in range(5))


def test_server_serves_calls_concurrently(toy):
    toy.faults.add(kind="latency", seconds=0.3, path="*", count=1)
    results = []
    slow = threading.Thread(
        target=lambda: results.append(requests.get(url(toy, "/api.xro/2.0/Currencies")))
    )
    slow.start()
    time.sleep(0.1)
    # The slow call is still waiting while this one is served.
    assert requests.get(url(toy, "/api.xro/2.0/Currencies")).status_code == 200
    slow.join()
    assert results[0].status_code == 200


def test_statistics_per_endpoint_tenant_and_status(toy):
    toy.faults.add(path="*", status=500)
    requests.get(url(toy, "/api.xro/2.0/Currencies"), headers={"tenant": "t1"})
    requests.get(url(toy, "/api.xro/2.0/Currencies"), headers={"tenant": "t2"})
    requests.get(url(toy, "/api.xro/2.0/Nowhere"))
    requests.get(url(toy, "/_sandbox/stats"))  # control calls are not API calls
    stats = requests.get(url(toy, "/_sandbox/stats")).json()
    assert stats["total"] == 3
    assert stats["by_endpoint"]["xero GET /api.xro/2.0/Currencies"] == 2
    assert stats["by_tenant"] == {"xero -": 1, "xero t1": 1, "xero t2": 1}
    assert stats["by_status"] == {"xero 200": 1, "xero 404": 1, "xero 500": 1}
    assert toy.stats.count("xero", endpoint="/api.xro/2.0/Currencies", tenant="t2") == 1
    assert [c.status for c in toy.stats.calls()] == [500, 200, 404]
    requests.delete(url(toy, "/_sandbox/stats"))
    assert toy.stats.count() == 0


def test_clock_control(toy):
    toy.clock.freeze()
    before = toy.clock.now()
    body = requests.post(url(toy, "/_sandbox/clock"), json={"advance": 3600}).json()
    assert body["frozen"] is True
    assert (toy.clock.now() - before).total_seconds() == 3600
    assert requests.post(url(toy, "/_sandbox/clock"), json={"speed": 60}).json()["speed"] == 60


def test_server_refuses_non_loopback_hosts():
    with pytest.raises(ValueError, match="loopback"):
        SandboxServer(host="0.0.0.0")  # noqa: S104


def test_standalone_entry_point_refuses_non_loopback(capsys):
    with pytest.raises(SystemExit):
        main(["--host", "10.0.0.1"])
    assert "loopback" in capsys.readouterr().err
