"""A volunteer's email address as header parts that cannot turn into anything else.

Assigning a string to an address header makes Python's email package parse it,
and that parser decodes RFC 2047 encoded words even inside a local part:
`=?UTF-8?Q?x=40evil.com=2C?=@example.com` would become two other addresses.
So an address is built from its validated parts (local part, ASCII domain) and
checked by parsing it back; one that does not come back unchanged is refused.
"""

from __future__ import annotations

import re
from email.headerregistry import Address
from email.policy import SMTP

import idna
from email_validator import EmailNotValidError, validate_email


class UnsafeAddress(ValueError):
    """The address cannot be put in a header exactly as it was given."""


def header_address(text: str) -> Address:
    """The address for a To or Reply-To header, domain in its ASCII (punycode) form."""
    try:
        info = validate_email(text, check_deliverability=False, allow_smtputf8=False)
    except EmailNotValidError:
        raise UnsafeAddress("not a valid address without SMTPUTF8") from None
    address = Address(username=info.local_part, domain=info.ascii_domain)
    try:
        parsed = SMTP.header_factory("Reply-To", str(address))
        same = parsed.addresses == (address,) and not parsed.defects
    except ValueError:  # the parser itself refuses what it decoded (a CR or LF)
        same = False
    if not same:
        raise UnsafeAddress("the address reads differently once in a header")
    return address


def canonical(text: str) -> str:
    """The one spelling by which two addresses are the same person's: domain in ASCII
    (punycode), all in lower case. Settings, sign-in, sessions and the operators'
    commands compare this form, so `ops@exämple.org`, `ops@xn--exmple-cua.org` and
    `OPS@Exämple.org` are one coordinator. Raises UnsafeAddress if it is not an address."""
    try:
        info = validate_email(text.strip(), check_deliverability=False)
    except EmailNotValidError:
        raise UnsafeAddress("not a valid address") from None
    return (info.ascii_email or info.normalized).lower()


DOTLESS = frozenset({"gmail.com", "googlemail.com"})
"""Domains whose provider documents that dots in the name do not matter (Google: "Dots
don't matter in Gmail addresses"; googlemail.com is the same inbox). Elsewhere a dot may
name another person: `j.smith@` and `js.mith@` of a company are two people."""


def inbox(text: str) -> str:
    """The inbox an address reaches, so that one person counts once however they spell it:
    the canonical form without a `+tag` (name+tag@ reaches name@ at Gmail, Outlook,
    iCloud, Fastmail, Proton and most others) and, at Gmail alone, without dots in the
    name. Text that is not an address is only lower-cased."""
    try:
        address = canonical(text)
    except UnsafeAddress:
        return text.strip().lower()
    local, _, domain = address.rpartition("@")
    local = local.split("+", 1)[0] or local
    if domain in DOTLESS:
        local, domain = local.replace(".", ""), "gmail.com"
    return f"{local}@{domain}"


def ascii_form(text: str) -> str:
    """The address as Reply-To carries it (domain in punycode), or as given where it
    cannot go in a header (stored before a check existed)."""
    try:
        address = header_address(text)
    except UnsafeAddress:
        return text
    return f"{address.username}@{address.domain}"


def shown(text: str) -> str:
    """An address as coordinators read it (the email, the desk): its ASCII form first,
    then how the person wrote it if that differs; so a domain of Cyrillic letters that
    looks like apple.com cannot pass for it (it reads `xn--80ak6aa92e.com`)."""
    ascii_text = ascii_form(text)
    return ascii_text if ascii_text == text else f"{ascii_text} (written {text})"


def spellings(text: str) -> list[str]:
    """What a coordinator types in search, as typed and with each label of a domain written
    the other way (punycode and Unicode): an address is stored as the person wrote it
    and shown ASCII first, and either spelling must find it."""
    parts = re.split(r"([@.\s]+)", text)
    written = {text, "".join(map(_unicode_label, parts)), "".join(map(_ascii_label, parts))}
    return sorted(written)


def _unicode_label(label: str) -> str:
    if not label.lower().startswith("xn--"):
        return label
    try:
        return idna.decode(label)
    except (idna.IDNAError, UnicodeError):  # a part of a label, or not punycode at all
        return label


def _ascii_label(label: str) -> str:
    if label.isascii():
        return label
    try:
        return idna.encode(label, uts46=True).decode("ascii")
    except (idna.IDNAError, UnicodeError):
        return label
