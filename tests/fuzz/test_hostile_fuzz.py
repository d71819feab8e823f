"""Schemathesis' fuzzing phase over the auth routes, each generated body made large or hostile on the way out:
thousands of unknown fields, megabyte strings, integers beyond 25 digits, nesting beyond 64 levels, NUL and lone
surrogates. Every answer must be documented, in the error shape when it is an error, and small.

Bounded: a fixed seed and MAX_EXAMPLES per operation. tests/api/test_hostile_input.py sends the named payloads
(100,000 levels, a million keys, ...) that a generator would not reach.
"""
import os

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from app.extensions import limiter

MAX_EXAMPLES = 12
MAX_ERROR_BODY = 4096

CONFIG = {
    "seed": int(os.environ.get("FUZZ_SEED", "20261203")),
    "generation": {
        "mode": "all",
        "max-examples": MAX_EXAMPLES,
        "deterministic": True,
        "database": "none",
        "with-security-parameters": False,
        "allow-x00": True,  # NUL is refused with a 422 everywhere
    },
    # `--phases fuzzing`: no examples, coverage or stateful phases.
    "phases": {
        "examples": {"enabled": False},
        "coverage": {"enabled": False},
        "fuzzing": {"enabled": True},
        "stateful": {"enabled": False},
    },
    # The bodies below are made invalid on purpose, also those generated as valid: a refusal is the right answer.
    "checks": {"positive_data_acceptance": {"enabled": False}},
}


def _load_schema():
    from app import create_app
    from config import TestingConfig

    config = schemathesis.Config.from_dict(CONFIG)
    loaded = schemathesis.openapi.from_wsgi("/openapi.json", create_app(TestingConfig), config=config)
    return loaded.include(path_regex=r"^/api/(v1/auth|v2/refresh_tokens)")


schema = _load_schema()


def nested(value, levels):
    for _ in range(levels):
        value = [value]
    return value


def _hostile_values(original):
    return st.one_of(
        st.integers(min_value=1_000, max_value=2_000_000).map(lambda size: "a" * size),
        st.integers(min_value=20, max_value=200).map(lambda digits: 10 ** digits),
        st.integers(min_value=55, max_value=300).map(lambda levels: nested(original, levels)),
        st.sampled_from(["\ud800", "\udfff", "x\x00y", "\ud83c"]).map(lambda bad: f"{original}{bad}"),
    )


@schema.hook("flatmap_body")
def enlarge(context, body):
    """A generated object body, with hostile values in some of its fields and up to 50,000 unknown ones."""
    if not isinstance(body, dict):
        return st.just(body)
    fields = sorted(body) or ["email"]
    changed = st.dictionaries(st.sampled_from(fields), st.deferred(lambda: _hostile_values("x")), max_size=len(fields))
    many = st.integers(min_value=1, max_value=50_000).map(lambda n: {f"extra_{i}": i for i in range(n)})
    unknown = st.one_of(st.just({}), many)
    return st.tuples(changed, unknown).map(lambda parts: {**body, **parts[0], **parts[1]})


def small_error_body(ctx, response, case):
    """Every error is in the contract's shape and a few KB at most, whatever was sent."""
    if response.status_code < 400:
        return
    assert response.status_code < 500, f"{response.status_code} from {case.operation.label}"
    assert len(response.content) <= MAX_ERROR_BODY, f"{len(response.content)} bytes from {case.operation.label}"
    body = response.json()
    assert set(body) == {"errors"} and 1 <= len(body["errors"]) <= 20, body


@pytest.fixture
def token_headers(make_user, auth_headers):
    """A fresh token for each example: a logout example revokes the one it sent."""
    user = make_user(password="password123")
    return lambda: auth_headers(user)


@schema.parametrize()
@settings(suppress_health_check=list(HealthCheck), deadline=None)
def test_hostile_bodies_on_auth_routes_answer_small_documented_errors(case, app, token_headers):
    limiter.reset()
    headers = token_headers() if case.operation.security else {}
    case.call_and_validate(headers=headers, app=app, session=app.test_client(), additional_checks=[small_error_body])
