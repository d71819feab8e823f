"""The limits of app.request_json: the scan decides as the decoder would, on any JSON and on broken JSON."""
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.request_json import (
    MAX_CONTAINERS,
    MAX_DEPTH,
    MAX_FIELDS,
    MAX_INT_DIGITS,
    JsonLimitExceeded,
    TooManyFields,
    loads,
)


def depth(value):
    if isinstance(value, dict):
        return 1 + max(map(depth, value.values()), default=0)
    if isinstance(value, list):
        return 1 + max(map(depth, value), default=0)
    return 0


def containers(value):
    if isinstance(value, (dict, list)):
        children = value.values() if isinstance(value, dict) else value
        return 1 + sum(map(containers, children))
    return 0


def longest_integer(value):
    if isinstance(value, (dict, list)):
        children = value.values() if isinstance(value, dict) else value
        return max(map(longest_integer, children), default=0)
    return len(str(abs(value))) if isinstance(value, int) and not isinstance(value, bool) else 0


# Strings full of what the scan must not be fooled by: brackets, quotes, backslashes, digits, escapes.
tricky_text = st.text(alphabet='[]{}"\\0123456789 ,:u/\n\x00é\U0001F3B5', max_size=12)
scalars = st.one_of(st.none(), st.booleans(), st.integers(min_value=-10**30, max_value=10**30),
                    st.floats(allow_nan=False, allow_infinity=False), tricky_text)


def nested_in(inner, levels):
    for _ in range(levels):
        inner = [inner]
    return inner


values = st.recursive(scalars, lambda children: st.one_of(
    st.lists(children, max_size=4), st.dictionaries(tricky_text, children, max_size=4),
    # now and then a deep chain, so that both sides of the depth limit are met
    st.builds(nested_in, children, st.integers(min_value=50, max_value=70)),
), max_leaves=20)


@settings(max_examples=300, deadline=None, derandomize=True)
@given(values, st.booleans())
def test_scan_refuses_exactly_what_breaks_a_limit(value, ensure_ascii):
    body = json.dumps(value, ensure_ascii=ensure_ascii).encode()
    too_much = depth(value) > MAX_DEPTH or longest_integer(value) > MAX_INT_DIGITS or containers(value) > MAX_CONTAINERS
    if too_much:
        with pytest.raises(JsonLimitExceeded):
            loads(body)
    else:
        assert loads(body) == json.loads(body)


@pytest.mark.parametrize("levels, refused", [(MAX_DEPTH, False), (MAX_DEPTH + 1, True)])
def test_depth_limit_is_64_levels(levels, refused):
    for body in (b"[" * levels + b"]" * levels, b'{"a":' * (levels - 1) + b"{}" + b"}" * (levels - 1)):
        if refused:
            with pytest.raises(JsonLimitExceeded, match="nested deeper than 64"):
                loads(body)
        else:
            loads(body)


@pytest.mark.parametrize("body", [
    b"[" * 100_000,  # never closed
    b"[" * 100_000 + b'"',  # and a string that never ends
    b'["\\\\", ' + b"[" * 100_000 + b"]" * 100_000 + b"]",  # an escaped backslash ends its string
    b'["\\"' + b"[" * 10 + b'", ' + b"[" * 100_000 + b"]" * 100_000 + b"]",  # an escaped quote does not
    b'{"a": 1, "b": [' + b"[]," * (MAX_CONTAINERS + 1) + b"[]]}",
])
def test_hostile_nesting_is_refused_without_recursing(body):
    with pytest.raises(JsonLimitExceeded):
        loads(body)


@pytest.mark.parametrize("literal, refused", [
    (b"9" * MAX_INT_DIGITS, False), (b"-" + b"9" * MAX_INT_DIGITS, False), (b"9" * (MAX_INT_DIGITS + 1), True),
    (b"9" * 4301, True), (b"1." + b"5" * 30, True), (b"1e" + b"5" * 30, True),
    (b'"' + b"9" * 5000 + b'"', False),  # digits in a string: a password may be all digits
])
def test_number_limit_is_25_digits(literal, refused):
    body = b'{"a": [1, ' + literal + b", 2]}"
    if refused:
        with pytest.raises(JsonLimitExceeded, match="more than 25 digits"):
            loads(body)
    else:
        loads(body)


@pytest.mark.parametrize("body", [
    b"NaN", b"[Infinity]", b'{"a": -Infinity}', b'"\xff"', b'"\xed\xa0\x80"', b"\xef\xbb\xbf{}",
])
def test_what_is_not_json_is_refused(body):
    with pytest.raises(ValueError):
        loads(body)


@pytest.mark.parametrize("fields, refused", [(MAX_FIELDS, False), (MAX_FIELDS + 1, True)])
def test_field_limit_counts_members_outside_strings(fields, refused):
    members = {f"k:{i}": "a:b" for i in range(fields - 1)}  # colons in strings do not count
    body = json.dumps({"nested": members}).encode()
    if refused:
        with pytest.raises(TooManyFields):
            loads(body)
    else:
        loads(body)


@pytest.mark.parametrize("shift", range(-40, 41, 7))
def test_a_string_or_number_across_the_first_64_kb_is_read_as_a_whole(shift):
    # The first 64 KB are checked on their own first; what is cut there must not look like a broken limit.
    padding = "p" * (64 * 1024 - 60 + shift)
    inside_a_string = json.dumps({"a": padding + "[" * 100 + "9" * 40 + "\\\"[" * 30, "b": 1}).encode()
    assert loads(inside_a_string)["b"] == 1
    number = json.dumps({"a": padding, "b": 10 ** (MAX_INT_DIGITS - 1)}).encode()
    assert loads(number)["b"] == 10 ** (MAX_INT_DIGITS - 1)
    with pytest.raises(JsonLimitExceeded):
        loads(number.replace(b'"b": 1', b'"b": 1' + b"0" * 10))
