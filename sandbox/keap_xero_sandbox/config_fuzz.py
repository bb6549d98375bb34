"""Property-based checks of a connector's config handling, shared by the connectors' tests.

For tests only (the `connector-tests` extra of this package brings hypothesis). A test draws
`changes` to a valid config (any JSON value, or none, at up to three dotted paths), applies them
with `changed`, runs the connector's spec check and config reading, and holds any refusal to
`assert_told_by_field`: a config error naming a field (or the config as a whole), never in
jsonschema's own words, never repeating a secret.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from airbyte_cdk.models import FailureType
from airbyte_cdk.utils.traced_exception import AirbyteTracedException
from hypothesis import strategies as st

# jsonschema's wording, which a user must never be left with.
JSONSCHEMA_WORDS = (
    "does not match",
    "was expected",
    "is not valid under any of the given schemas",
    "is a required property",
    "is not of type",
    "Additional properties",
    "Failed validating",
)
DELETE = None
Change = tuple[str, Any]


def json_values(*likely: Any) -> st.SearchStrategy[Any]:
    """Any JSON value, small, with the `likely` ones (values close to the valid) drawn often."""
    leaves = (
        st.none()
        | st.booleans()
        | st.integers()
        | st.floats(allow_nan=False)
        | st.text(max_size=12)
    )
    if likely:
        leaves |= st.sampled_from(likely)
    return st.recursive(
        leaves,
        lambda inner: (
            st.lists(inner, max_size=2) | st.dictionaries(st.text(max_size=6), inner, max_size=2)
        ),
        max_leaves=4,
    )


def changes(paths: Sequence[str], *likely: Any) -> st.SearchStrategy[list[Change]]:
    """One to three changes: a path of `paths` and a JSON value, or `DELETE` to leave it out."""
    value = st.just(DELETE) | json_values(*likely)
    return st.lists(st.tuples(st.sampled_from(paths), value), min_size=1, max_size=3)


def changed(valid: Mapping[str, Any], config_changes: Iterable[Change]) -> dict[str, Any]:
    """A copy of `valid` with each change made; every step on a path is made an object."""
    config = copy.deepcopy(dict(valid))
    for path, value in config_changes:
        *parents, leaf = path.split(".")
        holder = config
        for part in parents:
            if not isinstance(holder.get(part), dict):
                holder[part] = {}
            holder = holder[part]
        if value is DELETE:
            holder.pop(leaf, None)
        else:
            holder[leaf] = value
    return config


def assert_told_by_field(error: AirbyteTracedException, secrets: Iterable[str] = ()) -> None:
    """A refusal a user can act on: a config error naming the field, in the connector's words."""
    message = error.message or ""
    wrong = (
        "not a config error" * (error.failure_type != FailureType.config_error)
        or "names no field" * (not message.startswith(("Config field '", "The config ")))
        or "in jsonschema's words" * any(words in message for words in JSONSCHEMA_WORDS)
        or "repeats a secret" * any(secret in message for secret in secrets)
    )
    if wrong:
        raise AssertionError(f"refusal {wrong}: {message!r}")
