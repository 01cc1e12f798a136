"""Multipart part headers of any shape, sent to every form and every desk post of the real
service: a person gets a form taken, a form's mistakes, or the 400 "could not read your
form" in their language, never a 500 (nor a traceback in the log)."""

from __future__ import annotations

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from forms_service.forms.definitions import FORMS

from ..desk import csrf, sign_in

BOUNDARY = b"b0undary"
CONTENT_TYPE = "multipart/form-data; boundary=b0undary"
READ = {"en": "We could not read your form", "es": "No pudimos leer tu formulario"}

ODD = st.binary(max_size=40).filter(lambda b: b"\r\n" not in b and b"--b0undary" not in b)
CHARSET = st.sampled_from([b"utf-8", b"UTF8", b"latin-1", b"utf\x00", b"\x00", b"\xff\xfe", b'"'])
ENCODING = st.sampled_from([b"7bit", b"8bit", b"binary", b"base64", b"\x00", b"x" * 300])
LONG = st.binary(min_size=1000, max_size=5000).map(lambda b: b.replace(b"\r\n", b""))
HEADER = st.one_of(
    st.tuples(st.just(b"Content-Type"), st.builds(b"text/plain; charset=%s".__mod__, CHARSET)),
    st.tuples(st.just(b"Content-Type"), st.builds(b"text/plain; charset=%s".__mod__, ODD)),
    st.tuples(st.just(b"content-transfer-encoding"), ENCODING | ODD),
    st.tuples(st.just(b"Content-Disposition"), st.builds(b'form-data; name="%s"'.__mod__, ODD)),
    st.tuples(st.just(b"X-Any") | ODD, ODD | LONG),
)
"""A part header: the ones the service reads with odd values, or any name and value."""


def body(parts: list[tuple[bytes, list[tuple[bytes, bytes]]]]) -> bytes:
    """A multipart body: each part as (its field name, its extra headers)."""
    out = b""
    for name, headers in parts:
        extra = b"".join(key + b": " + value + b"\r\n" for key, value in headers)
        out += b'--b0undary\r\nContent-Disposition: form-data; name="%s"\r\n%s\r\nvalue\r\n' % (
            name,
            extra,
        )
    return out + b"--b0undary--\r\n"


PARTS = st.lists(
    st.tuples(
        st.sampled_from([b"name", b"email", b"message", b"csrf", b"q"]) | ODD,
        st.lists(HEADER, max_size=3),
    ),
    min_size=1,
    max_size=4,
)


@pytest.fixture(scope="module")
def desk_client(hostile, smtp_module):
    client = sign_in(hostile, smtp_module)
    yield client, csrf(client)
    client.close()


def assert_read_or_refused(r: httpx.Response, lang: str) -> None:
    assert r.status_code < 500, r.text
    if r.status_code == 400:
        assert READ[lang] in r.text


FUZZ = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@FUZZ
@pytest.mark.parametrize("slug", list(FORMS))
@given(parts=PARTS, lang=st.sampled_from(["en", "es"]))
def test_any_part_header_sent_to_a_form_gets_an_answer_a_person_reads(hostile, slug, parts, lang):
    r = httpx.post(
        f"{hostile.url}/api/forms/{slug}?lang={lang}",
        content=body(parts),
        headers={"Origin": hostile.url, "Content-Type": CONTENT_TYPE},
    )
    assert_read_or_refused(r, lang)


DESK_POSTS = ["/desk/sign-in", "/desk/filter", "/desk/export", "/desk/sign-out-everywhere"]


@FUZZ
@pytest.mark.parametrize("path", DESK_POSTS)
@given(parts=PARTS)
def test_any_part_header_sent_to_the_desk_gets_an_answer_a_person_reads(desk_client, path, parts):
    client, token = desk_client
    parts = [(b"csrf", [(b"Content-Type", b"text/plain")]), *parts]
    content = body(parts).replace(b"value", token.encode(), 1)
    r = client.post(path, content=content, headers={"Content-Type": CONTENT_TYPE})
    assert_read_or_refused(r, "en")


@pytest.mark.parametrize("lang", ["en", "es"])
@pytest.mark.parametrize(
    "header",
    [
        b"Content-Type: text/plain; charset=utf\x00",  # the codec lookup's ValueError
        b"Content-Type: text/plain; charset=\xff\xfe",
        b"Content-Type: text/plain; charset=" + b"u" * 5000,
    ],
    ids=["NUL", "not ascii", "endless"],
)
def test_a_charset_the_codec_lookup_rejects_is_a_400_in_the_person_s_language(
    hostile, lang, header
):
    content = body([(b"name", [tuple(header.split(b": ", 1))])])
    for slug in FORMS:
        r = httpx.post(
            f"{hostile.url}/api/forms/{slug}?lang={lang}",
            content=content,
            headers={"Origin": hostile.url, "Content-Type": CONTENT_TYPE},
        )
        assert r.status_code == 400 and READ[lang] in r.text
    assert "Traceback" not in hostile.log() and "unexpected error" not in hostile.log()
