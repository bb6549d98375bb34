"""The conformance checker catches responses that break the vendor's spec."""

import requests

from keap_xero_sandbox.conformance import Conformance


def test_spec_shaped_response_passes_and_broken_one_is_reported(toy):
    conformance = Conformance.shared()
    conformance.violations.clear()
    toy.conformance = conformance
    requests.get(toy.url + "/api.xro/2.0/Currencies")
    assert conformance.violations == []
    requests.get(toy.url + "/api.xro/2.0/Currencies?broken=1")
    assert len(conformance.violations) == 1
    assert "Currencies/0/Code" in conformance.violations[0]
    conformance.violations.clear()


def test_unknown_paths_and_undeclared_statuses_are_not_violations(toy):
    conformance = Conformance.shared()
    conformance.violations.clear()
    toy.conformance = conformance
    requests.get(toy.url + "/api.xro/2.0/NoSuchThing")  # 404 from the router
    toy.faults.add(path="*", status=429)
    requests.get(toy.url + "/api.xro/2.0/Currencies")
    assert conformance.violations == []


def test_identity_paths_are_checked_under_the_specs_spelling(toy):
    conformance = Conformance.shared()
    conformance.violations.clear()
    checked = conformance.checked
    toy.conformance = conformance
    requests.get(toy.url + "/connections")
    assert conformance.violations == []
    assert conformance.checked == checked + 1
