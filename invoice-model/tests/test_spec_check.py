"""Configs checked against a spec: each mistake names its field and the fix, in the spec's terms,
never jsonschema's raw words, never a secret's value.
"""

from typing import Any

import pytest
from airbyte_cdk.models import FailureType
from airbyte_cdk.utils.traced_exception import AirbyteTracedException
from hypothesis import example, given, settings

from invoice_model.connector.spec import FieldProblem, check_config, problems
from keap_xero_sandbox.config_fuzz import (
    assert_told_by_field,
    changed,
    changes,
)

SECRET = "s3cr3t-value-never-shown"
SPEC: dict[str, Any] = {
    "$schema": "http://json-schema.org/draft-07/schema#",
    "type": "object",
    "required": ["credentials", "start_from"],
    "additionalProperties": True,
    "properties": {
        "credentials": {
            "title": "Authentication",
            "type": "object",
            "oneOf": [
                {
                    "title": "OAuth2.0",
                    "type": "object",
                    "required": ["auth_type", "client_id", "refresh_token"],
                    "properties": {
                        "auth_type": {"type": "string", "const": "oauth2.0"},
                        "client_id": {"type": "string", "airbyte_secret": True},
                        "refresh_token": {"type": "string", "airbyte_secret": True},
                    },
                },
                {
                    "title": "API key",
                    "type": "object",
                    "required": ["auth_type", "api_key"],
                    "properties": {
                        "auth_type": {"type": "string", "const": "api_key"},
                        "api_key": {
                            "title": "API key",
                            "description": "A Personal Access Token. Sent as a header.",
                            "type": "string",
                            "airbyte_secret": True,
                            "pattern": "^KeapAK",
                        },
                    },
                },
            ],
        },
        "start_from": {
            "title": "Start from",
            "type": "object",
            "oneOf": [
                {
                    "title": "The first invoice",
                    "type": "object",
                    "required": ["start_type"],
                    "properties": {"start_type": {"type": "string", "const": "beginning"}},
                },
                {
                    "title": "A Keap invoice ID",
                    "type": "object",
                    "required": ["start_type", "invoice_id"],
                    "properties": {
                        "start_type": {"type": "string", "const": "invoice_id"},
                        "invoice_id": {
                            "title": "Invoice ID",
                            "description": "The Keap invoice ID to start from (not its order ID).",
                            "type": "string",
                            "pattern": "^[0-9]+$",
                            "examples": ["2087"],
                        },
                    },
                },
            ],
        },
        "due_days": {"title": "Days until due", "type": "integer", "minimum": 0, "maximum": 3650},
        "status": {"type": "string", "enum": ["AUTHORISED", "DRAFT"]},
        "advanced": {
            "type": "object",
            "additionalProperties": False,
            "properties": {"api_url": {"type": "string"}},
        },
    },
}
VALID: dict[str, Any] = {
    "credentials": {"auth_type": "api_key", "api_key": "KeapAK-" + SECRET},
    "start_from": {"start_type": "invoice_id", "invoice_id": "2087"},
    "due_days": 30,
    "status": "DRAFT",
    "advanced": {"api_url": "https://api.example.com"},
}


def _messages(config: Any) -> list[str]:
    return [str(problem) for problem in problems(config, SPEC)]


def test_a_valid_config_has_no_problems():
    assert problems(VALID, SPEC) == []
    check_config(VALID, SPEC)


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (
            {"start_from": {"start_type": "invoice_id", "invoice_id": ""}},
            "Config field 'start_from.invoice_id': '' is not in the form this field takes; set "
            "it to: Invoice ID, the Keap invoice ID to start from (not its order ID), e.g. '2087'",
        ),
        (
            {"credentials": {"auth_type": "api_key"}},
            "Config field 'credentials.api_key': is missing; set it to: API key, A Personal "
            "Access Token",
        ),
        (
            {"credentials": {"auth_type": "apikey", "api_key": "x"}},
            "Config field 'credentials.auth_type': 'apikey' is not one of 'oauth2.0' (OAuth2.0), "
            "'api_key' (API key)",
        ),
        (
            {"credentials": {"api_key": "x"}},
            "Config field 'credentials.auth_type': is missing; set it to one of 'oauth2.0' "
            "(OAuth2.0), 'api_key' (API key)",
        ),
        ({"credentials": "KeapAK-x"}, "Config field 'credentials': must be an object"),
        ({"due_days": -1}, "Config field 'due_days': -1 is too small: it must be 0 or more"),
        ({"due_days": "30"}, "Config field 'due_days': must be a whole number, not a string"),
        ({"status": "PAID"}, "Config field 'status': 'PAID' is not one of 'AUTHORISED', 'DRAFT'"),
        (
            {"advanced": {"api_url": "https://x", "base": 1}},
            "Config field 'advanced.base': is not a field of this connector; remove it",
        ),
    ],
)
def test_each_mistake_names_the_field_and_the_fix(change, expected):
    messages = _messages({**VALID, **change})
    assert len(messages) == 1
    assert messages[0].startswith(expected)


def test_every_mistake_is_listed_and_the_error_is_a_config_error():
    config = {"credentials": {"auth_type": "api_key", "api_key": SECRET}, "due_days": 1e9}
    with pytest.raises(AirbyteTracedException) as caught:
        check_config(config, SPEC)
    assert caught.value.failure_type == FailureType.config_error
    assert caught.value.message.split("; Config field ")[0].startswith(
        "Config field 'credentials.api_key': the value given is not in the form"
    )
    assert "'due_days'" in caught.value.message
    assert "'start_from': is missing" in caught.value.message
    assert SECRET not in caught.value.message


def test_a_config_that_is_not_an_object():
    assert _messages([]) == ["The config must be an object of fields, not a list"]


def test_problems_sort_by_field():
    found = problems({"credentials": {}, "due_days": -5}, SPEC)
    assert [p.field for p in found] == sorted(p.field for p in found)
    assert all(isinstance(p, FieldProblem) for p in found)


PATHS = [
    "credentials",
    "credentials.auth_type",
    "credentials.api_key",
    "start_from",
    "start_from.start_type",
    "start_from.invoice_id",
    "due_days",
    "status",
    "advanced",
    "advanced.api_url",
    "advanced.extra",
]


@settings(max_examples=300, deadline=None)
@given(config_changes=changes(PATHS, "", "api_key", "invoice_id", "2087", "DRAFT"))
@example(config_changes=[("start_from.invoice_id", "")])
@example(config_changes=[("credentials.api_key", None)])
@example(config_changes=[("credentials", [])])
def test_any_mistake_is_told_by_field_never_in_jsonschema_s_words(config_changes):
    config = changed(VALID, config_changes)
    try:
        check_config(config, SPEC)
    except AirbyteTracedException as error:
        assert_told_by_field(error, secrets=[SECRET])
