"""Request bodies are read as JSON here (the app's JSON provider), with limits that keep well-formed but hostile
JSON cheap to refuse: Python's decoder recurses once per nesting level (100,000 levels is a RecursionError),
converts integer literals in quadratic time (over 4,300 digits it refuses with a ValueError), and takes seconds to
build 10 MB of small arrays. No request of ours needs any of these, so they are refused before parsing, by a scan
that costs about what the parse would."""
import itertools
import json
import operator

from flask.json.provider import DefaultJSONProvider

MAX_DEPTH = 64
MAX_INT_DIGITS = 25  # the largest id, 2**63 - 1, has 19
# Every body of ours is one flat object of a few fields: this many arrays and objects (each a Python object to
# build) and this many fields in all (a million of them take a second to parse) are plenty.
MAX_CONTAINERS = 10_000
MAX_FIELDS = 10_000


class JsonLimitExceeded(ValueError):
    """Valid JSON beyond what a request may hold (a ValueError, as a JSON provider's loads raises)."""


class TooManyFields(JsonLimitExceeded):
    """More fields than any operation declares: unknown fields, told without reading them one by one."""


# Translation tables (and what they delete) for the scans below: brackets as parentheses; digits as zeros, with
# whatever may end a number outside strings as a space, so that two numbers never read as one. Quotes stay.
_BRACKETS_AS_PARENS = bytes.maketrans(b"[{]}", b"(())")
_NOT_BRACKETS_OR_QUOTES = bytes(byte for byte in range(256) if byte not in b'[]{}"')
_NOT_COLONS_OR_QUOTES = bytes(byte for byte in range(256) if byte not in b':"')
_NUMBER_ENDS = b" \t\r\n,:[]{}.eE+-"
_DIGITS_AS_ZEROS = bytes(48 if byte in b"0123456789" else 32 if byte in _NUMBER_ENDS else byte for byte in range(256))
_NOT_NUMBER_PARTS = bytes(byte for byte in range(256) if byte not in b'0123456789"' + _NUMBER_ENDS)
_LONG_NUMBER = b"0" * (MAX_INT_DIGITS + 1)
_PREFIX = 64 * 1024


def check_limits(body: bytes) -> None:
    """Refuse a body nested deeper than MAX_DEPTH, with more than MAX_CONTAINERS arrays and objects, more than
    MAX_FIELDS fields (object members) or a number of more than MAX_INT_DIGITS digits, before the decoder sees it.

    The whole body is looked at first, strings included, at the cost of three counts and a translation in C: that
    settles every ordinary body. Only a body that may break a limit is read outside its strings, its first 64 KB
    first (a body that breaks a limit mostly does so there, and a prefix breaks none that its body keeps)."""
    brackets = body.count(b"[") + body.count(b"{") > MAX_DEPTH
    long_number = _LONG_NUMBER in body.translate(_DIGITS_AS_ZEROS, _NOT_NUMBER_PARTS)
    many_fields = body.count(b":") > MAX_FIELDS
    if not (brackets or long_number or many_fields):
        return
    if len(body) > _PREFIX:
        _check_outside_strings(body[:_PREFIX], brackets, long_number, many_fields)
    _check_outside_strings(body, brackets, long_number, many_fields)


def _check_outside_strings(body: bytes, brackets: bool, long_number: bool, many_fields: bool) -> None:
    """Escaped backslashes and escaped quotes go first, so that whatever lies between two quotes is a string. Every
    step is a pass in C (bytes methods, itertools). On a body that is not valid JSON, the strings found are the
    decoder's up to its first error, which is as far as it nests or reads numbers."""
    unescaped = body.replace(b"\\\\", b"").replace(b'\\"', b"")
    if long_number and _LONG_NUMBER in _outside_strings(unescaped.translate(_DIGITS_AS_ZEROS, _NOT_NUMBER_PARTS)):
        raise JsonLimitExceeded(f"The JSON body holds a number of more than {MAX_INT_DIGITS} digits.")
    if brackets:
        parens = _outside_strings(unescaped.translate(_BRACKETS_AS_PARENS, _NOT_BRACKETS_OR_QUOTES))
        _check_depth(parens[:2 * MAX_CONTAINERS + 1])  # a deep body is told so, whatever else it holds
        if parens.count(b"(") > MAX_CONTAINERS:
            raise JsonLimitExceeded(f"The JSON body holds more than {MAX_CONTAINERS} arrays and objects.")
    if many_fields and _outside_strings(unescaped.translate(None, _NOT_COLONS_OR_QUOTES)).count(b":") > MAX_FIELDS:
        raise TooManyFields(f"More than {MAX_FIELDS} fields.")


def _outside_strings(reduced: bytes) -> bytes:
    reduced = reduced.replace(b'""', b"")  # strings that hold nothing of interest (a quote pair either way)
    return b"".join(reduced.split(b'"')[::2])


def _check_depth(parens: bytes, limit: int = MAX_DEPTH) -> None:
    """`parens`: the brackets of a body as `(` and `)`. The depth peaks just before a closing bracket, so the runs
    of opening ones between two closing ones tell it; read in chunks, so that a body nested too deep fails early."""
    depth, start, size = 0, 0, 4096
    while start < len(parens):
        chunk = parens[start:start + size]
        opening_runs = chunk.split(b")")
        # Before the i-th closing bracket of the chunk: `depth` + the opening brackets so far - the i closed before.
        if depth + max(map(operator.sub, itertools.accumulate(map(len, opening_runs)), itertools.count())) > limit:
            raise JsonLimitExceeded(f"The JSON body is nested deeper than {limit} levels.")
        depth += len(chunk) - 2 * (len(opening_runs) - 1)
        start, size = start + size, min(size * 2, 1 << 20)


def _no_constant(name: str):
    raise ValueError(f"{name} is not JSON.")  # Python's decoder takes NaN and Infinity, RFC 8259 does not


def loads(body: bytes | str):
    """A request body, UTF-8 (RFC 8259 §8.1), as Python values, within the limits above; ValueError otherwise."""
    if isinstance(body, str):
        body = body.encode("utf-8", "surrogatepass")
    check_limits(body)
    return json.loads(body.decode("utf-8"), parse_constant=_no_constant)  # strict UTF-8: UnicodeDecodeError


class RequestJSONProvider(DefaultJSONProvider):
    """Flask's JSON, reading with the limits of this module (request.get_json and the argument parser)."""

    def loads(self, s, **kwargs):
        return loads(s)
