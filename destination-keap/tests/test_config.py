"""The config, read before any call: every mistake a config error naming its field."""

from __future__ import annotations

import pytest
from airbyte_cdk.models import FailureType
from airbyte_cdk.utils.traced_exception import AirbyteTracedException

from destination_keap.config import read_settings

API_KEY = {"credentials": {"auth_type": "api_key", "api_key": "KeapAK-key"}}


def test_defaults():
    settings = read_settings(dict(API_KEY))

    assert settings.rest_url == "https://api.infusionsoft.com/crm/rest/v2"
    assert settings.match_by_name_and_company is True
    assert settings.products_by_sku is True
    assert settings.create_custom_field is True
    assert settings.write_payments is False
    assert settings.fail_on_invalid_record is False
    assert settings.credential.field == "credentials.api_key"


@pytest.mark.parametrize(
    ("config", "field"),
    [
        ({}, "credentials"),
        ({"credentials": {"auth_type": "api_key"}}, "credentials.api_key"),
        ({"credentials": {"auth_type": "oauth2.0", "client_id": "a"}}, "credentials.auth_type"),
        ({**API_KEY, "api_url": "http://keap.example"}, "api_url"),
        ({**API_KEY, "payments": {"write_payments": True}}, "payments.payment_type"),
        ({**API_KEY, "payments": {"write_payments": "yes"}}, "payments.write_payments"),
        ({**API_KEY, "payments": {"payment_type": 7}}, "payments.payment_type"),
        ({**API_KEY, "contacts": []}, "contacts"),
        ({**API_KEY, "orders": {"create_custom_field": 1}}, "orders.create_custom_field"),
        ({**API_KEY, "on_invalid_record": "ignore"}, "on_invalid_record"),
    ],
)
def test_mistakes_are_config_errors_naming_the_field(config, field):
    with pytest.raises(AirbyteTracedException) as raised:
        read_settings(config)

    assert raised.value.failure_type == FailureType.config_error
    assert raised.value.message.startswith(f"Config field '{field}': ")


def test_payments_need_their_manual_payment_type_and_say_where_it_is():
    with pytest.raises(AirbyteTracedException) as raised:
        read_settings({**API_KEY, "payments": {"write_payments": True, "payment_type": "  "}})

    assert "E-Commerce > Settings > Orders > Manual Payment Types" in raised.value.message
