"""Reading a form's body in process: only UTF-8 is read, whatever way it is sent."""

from __future__ import annotations

from urllib.parse import quote_from_bytes, unquote_plus

import pytest
from hypothesis import given
from hypothesis import strategies as st

from forms_service.web.reading import utf8_body

URLENCODED = "application/x-www-form-urlencoded"
MULTIPART = "multipart/form-data; boundary=b0undary"


def is_utf8(raw: bytes) -> bool:
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


@pytest.mark.parametrize(
    "body",
    [
        b"name=%FF%FE",  # percent-encoded bytes that are no character
        b"name=\xff",  # the same unencoded
        b"name=%C3",  # a character cut short
        b"name=%ED%A0%80",  # a lone surrogate, which UTF-8 may not carry
        b"name=%C0%AF",  # an overlong '/'
        b"%FF=Ada",  # in a field's name too
        b"name=Jos%C3&x=%A9",  # a character split across fields
    ],
)
def test_a_urlencoded_body_that_is_not_utf8_is_not_read(body):
    assert utf8_body(URLENCODED, body) is None


PART = b'--b0undary\r\nContent-Disposition: form-data; name="name"\r\n%s\r\n%s\r\n--b0undary--\r\n'
"""A one-field multipart body: its extra part headers (each ending in CRLF), its value."""


def test_a_multipart_part_that_is_not_utf8_is_not_read():
    assert utf8_body(MULTIPART, PART % (b"", "José".encode())) == PART % (b"", "José".encode())
    assert utf8_body(MULTIPART, PART % (b"", "José".encode("latin-1"))) is None


@pytest.mark.parametrize(
    ("headers", "value"),
    [
        (b"Content-Type: text/plain; charset=iso-8859-1\r\n", "José".encode()),
        (b"Content-Type: text/plain; charset=nonsense\r\n", b"Jose"),
        (b"Content-Transfer-Encoding: quoted-printable\r\n", b"Jos=E9"),
        (b"content-transfer-encoding: BASE64\r\n", b"Sm9zw6k="),
        (b"Content-Transfer-Encoding: 7bit\r\nContent-Transfer-Encoding: base64\r\n", b"QWRh"),
    ],
    ids=["latin-1 part", "unknown charset", "quoted-printable", "base64", "two encodings"],
)
def test_a_part_that_says_it_is_not_plain_utf8_is_not_read(headers, value):
    assert utf8_body(MULTIPART, PART % (headers, value)) is None


@pytest.mark.parametrize(
    "headers",
    [
        b"Content-Type: text/plain; charset=UTF-8\r\n",
        b"Content-Type: text/plain; charset=utf8\r\n",
        b"Content-Type: text/plain\r\n",
        b"Content-Transfer-Encoding: 8bit\r\n",
        b"Content-Transfer-Encoding: Binary\r\n",
        b"Content-Transfer-Encoding: 7bit\r\n",
    ],
)
def test_a_part_that_says_it_is_utf8_as_typed_is_read(headers):
    body = PART % (headers, "José".encode())
    assert utf8_body(MULTIPART, body) == body


@pytest.mark.parametrize(
    "content_type",
    [
        f"{URLENCODED}; charset=iso-8859-1",
        f"{MULTIPART}; charset=latin-1",
        f"{URLENCODED}; charset=x",
    ],
)
def test_a_body_declared_in_another_charset_is_not_read(content_type):
    assert utf8_body(content_type, b"name=Ada") is None


@pytest.mark.parametrize("content_type", [URLENCODED, f"{URLENCODED}; charset=UTF-8"])
def test_unencoded_utf8_in_a_urlencoded_body_is_read_as_utf8(content_type):
    readable = utf8_body(content_type, "name=José+Núñez&city=São%20Paulo".encode())
    assert readable == b"name=Jos%C3%A9+N%C3%BA%C3%B1ez&city=S%C3%A3o%20Paulo"
    assert unquote_plus(readable.decode("ascii")) == "name=José Núñez&city=São Paulo"


@given(st.binary(max_size=40), st.booleans())
def test_any_value_is_read_exactly_when_it_is_utf8(value, encoded):
    if not encoded:  # sent as it is, without the signs that would change its meaning
        value = bytes(b for b in value if b not in b"%&+=")
    body = b"name=" + (quote_from_bytes(value).encode() if encoded else value)
    assert (utf8_body(URLENCODED, body) is not None) == is_utf8(value)
