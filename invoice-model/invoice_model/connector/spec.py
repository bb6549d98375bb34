"""A config checked against the connector's spec, each mistake told as the field and the fix.

The CDK checks configs against the spec itself, but answers with jsonschema's own words for the
one error it picks: `'' does not match '^[0-9]+$'`, or, for a missing API key inside a `oneOf`,
`'oauth2.0' was expected`, naming no field. Here every error is explained in the spec's terms:
the dotted path of the field, what it must be (from its type, enum, pattern, bounds, title,
description and examples), and, inside a `oneOf` (credentials, start point, tax mode), the
branch the config chose by its discriminator (`auth_type`, `start_type`, `mode`). Values of
secret fields are never repeated.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from airbyte_cdk.models import FailureType
from airbyte_cdk.utils.traced_exception import AirbyteTracedException
from jsonschema.exceptions import ValidationError
from jsonschema.validators import validator_for

from invoice_model.connector.messages import json_kind
from invoice_model.validation import field_path

MAX_SHOWN_VALUE = 60
_SENTENCE_END = re.compile(r"(?<!e\.g)(?<!i\.e)\.\s")
_JSON_TYPES = {
    "string": "a string",
    "integer": "a whole number",
    "number": "a number",
    "boolean": "true or false",
    "object": "an object of fields",
    "array": "a list",
    "null": "empty (null)",
}


@dataclass(frozen=True)
class FieldProblem:
    """One mistake in a config: the dotted path of the field and what to do about it."""

    field: str
    message: str

    def __str__(self) -> str:
        return (
            f"Config field '{self.field}': {self.message}"
            if self.field
            else (f"The config {self.message}")
        )


def check_config(config: Mapping[str, Any], spec: Mapping[str, Any]) -> None:
    """Raise a config error listing every mistake of `config` against the spec's
    `connectionSpecification` (`spec`), each naming its field and its fix.
    """
    found = problems(config, spec)
    if found:
        text = "; ".join(str(problem) for problem in found)
        raise AirbyteTracedException(
            message=text, internal_message=text, failure_type=FailureType.config_error
        )


def problems(config: Any, spec: Mapping[str, Any]) -> list[FieldProblem]:
    """Every mistake of `config`, in the order of the spec's fields; [] when it conforms."""
    validator = validator_for(spec)(spec)
    found = [problem for error in validator.iter_errors(config) for problem in _explain(error)]
    return list(dict.fromkeys(sorted(found, key=lambda problem: problem.field)))


def _explain(error: ValidationError) -> Iterator[FieldProblem]:
    if error.validator in ("oneOf", "anyOf"):
        yield from _explain_choice(error)
        return
    path = field_path(error.absolute_path)
    schema = error.schema if isinstance(error.schema, Mapping) else {}
    if error.validator == "required":
        for name in error.validator_value:
            if isinstance(error.instance, Mapping) and name not in error.instance:
                sub = schema.get("properties", {}).get(name, {})
                yield FieldProblem(_join(path, name), f"is missing; {_expected(sub)}")
        return
    if error.validator == "additionalProperties":
        known = set(schema.get("properties", {}))
        for name in error.instance:
            if name not in known:
                yield FieldProblem(_join(path, name), "is not a field of this connector; remove it")
        return
    yield FieldProblem(path, _wrong_value(error, schema))


def _explain_choice(error: ValidationError) -> Iterator[FieldProblem]:
    """A `oneOf` (or `anyOf`): the branch the config chose by its discriminator, explained;
    or, when it chose none, what the discriminator may be.
    """
    path = field_path(error.absolute_path)
    branches: Sequence[Mapping[str, Any]] = error.validator_value
    instance = error.instance
    if not isinstance(instance, Mapping):
        kinds = _types(branches[0]) if branches else ()
        yield FieldProblem(
            path, f"must be {' or '.join(kinds) or 'an object'}, not {json_kind(instance)}"
        )
        return
    key, choices = _discriminator(branches)
    if key is None:
        yield FieldProblem(
            path, f"matches none of its {len(branches)} forms; {_expected(error.schema)}"
        )
        return
    options = ", ".join(f"{value!r} ({_title(branch)})" for value, branch in choices)
    chosen = [index for index, (value, _) in enumerate(choices) if value == instance.get(key)]
    if key not in instance:
        yield FieldProblem(_join(path, key), f"is missing; set it to one of {options}")
        return
    if not chosen:
        shown = _shown(instance[key], {})
        yield FieldProblem(_join(path, key), f"{shown} is not one of {options}")
        return
    index = chosen[0]
    own = [sub for sub in error.context or () if sub.relative_schema_path[0] == index]
    explained = [problem for sub in own for problem in _explain(sub)]
    yield from explained or [
        FieldProblem(path, f"matches more than one form; {_expected(error.schema)}")
    ]


def _discriminator(
    branches: Sequence[Mapping[str, Any]],
) -> tuple[str | None, list[tuple[Any, Mapping[str, Any]]]]:
    """The property every branch fixes with a `const` (or a one-value enum), and its values."""
    if not branches:
        return None, []
    for key in branches[0].get("properties", {}):
        values = [_fixed(branch.get("properties", {}).get(key, {})) for branch in branches]
        if all(value is not None for value in values):
            return key, list(zip(values, branches, strict=True))
    return None, []


def _fixed(schema: Mapping[str, Any]) -> Any:
    if "const" in schema:
        return schema["const"]
    enum = schema.get("enum")
    return enum[0] if isinstance(enum, list) and len(enum) == 1 else None


def _wrong_value(error: ValidationError, schema: Mapping[str, Any]) -> str:
    """What is wrong with one value and what it must be, in the spec's terms."""
    shown = _shown(error.instance, schema)
    rule = error.validator_value
    explain = {
        "type": lambda: (
            f"must be {' or '.join(_types(schema)) or 'of another type'}, "
            f"not {json_kind(error.instance)}"
        ),
        "enum": lambda: f"{shown} is not one of {', '.join(repr(v) for v in rule)}",
        "const": lambda: f"{shown} must be {rule!r}",
        "pattern": lambda: f"{shown} is not in the form this field takes; {_expected(schema)}",
        "format": lambda: f"{shown} is not in the form this field takes; {_expected(schema)}",
        "minLength": lambda: "must not be empty" if rule == 1 else f"needs {rule} characters",
        "maxLength": lambda: f"must have at most {rule} characters",
        "minimum": lambda: f"{shown} is too small: it must be {rule} or more",
        "exclusiveMinimum": lambda: f"{shown} is too small: it must be more than {rule}",
        "maximum": lambda: f"{shown} is too large: it must be {rule} or less",
        "exclusiveMaximum": lambda: f"{shown} is too large: it must be less than {rule}",
    }.get(error.validator)
    return explain() if explain else f"{shown} is not a valid value; {_expected(schema)}"


def _expected(schema: Mapping[str, Any]) -> str:
    """What to set the field to, from its title, description, choices and examples."""
    about = ", ".join(
        part
        for part in (_title(schema), _lowered(_first_sentence(schema.get("description"))))
        if part
    )
    if schema.get("enum"):
        about += (", " if about else "") + "one of " + ", ".join(repr(v) for v in schema["enum"])
    examples = schema.get("examples")
    if isinstance(examples, list) and examples and not schema.get("airbyte_secret"):
        about += (", " if about else "") + "e.g. " + " or ".join(repr(e) for e in examples[:2])
    return f"set it to: {about}" if about else "see the connector's documentation"


def _title(schema: Mapping[str, Any]) -> str:
    return str(schema.get("title") or "").strip()


def _first_sentence(text: Any) -> str:
    """The description's first sentence, without its full stop (`e.g.` ends none)."""
    words = " ".join(str(text or "").split())
    match = _SENTENCE_END.search(words)
    return (words[: match.start()] if match else words).rstrip(".")


def _lowered(text: str) -> str:
    """`The Keap invoice ID` -> `the Keap invoice ID`; acronyms (`IANA ...`) stay."""
    return text[0].lower() + text[1:] if len(text) > 1 and text[1].islower() else text


def _types(schema: Mapping[str, Any]) -> list[str]:
    kinds = schema.get("type") or []
    kinds = [kinds] if isinstance(kinds, str) else list(kinds)
    return [_JSON_TYPES.get(kind, kind) for kind in kinds]


def _shown(value: Any, schema: Mapping[str, Any]) -> str:
    """The value as the message may show it: never a secret's, never at length."""
    if schema.get("airbyte_secret"):
        return "the value given"
    text = repr(value)
    return text if len(text) <= MAX_SHOWN_VALUE else text[: MAX_SHOWN_VALUE - 4] + "...'"


def _join(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name
