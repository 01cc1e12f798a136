"""The OpenAPI document for the intake endpoints, derived from the form definitions."""

from __future__ import annotations

from collections.abc import Mapping

from .definitions import HONEYPOT, IDEMPOTENCY_KEY, Field, Form
from .thanks import ACKNOWLEDGEMENT
from .words import LANGUAGES

_MESSAGE = {
    "type": "object",
    "properties": {"error": {"type": "string"}},
    "required": ["error"],
}


_LANGUAGE = {
    "name": "lang",
    "in": "query",
    "required": False,
    # not an enum: an unknown value is answered in the default language, not refused
    "schema": {"type": "string", "default": LANGUAGES[0]},
    "description": "The language of the page the form is sent from: errors, refusals, the"
    f" thank-you page and the acknowledgement come in it ({', '.join(LANGUAGES)};"
    " unknown values are en).",
}


_ACKNOWLEDGEMENT = {
    "type": "string",
    "enum": list(ACKNOWLEDGEMENT),
    "description": "The email saying we received it: on its way, not sent because its inbox"
    " had one that day, refused by the address, or not asked for.",
}
_THANK_YOU = {
    "description": "Stored (for HTML clients): the thank-you page, with the reference and"
    " what became of the email saying we received it.",
    "content": {"text/html": {}},
}


def _field_schema(f: Field) -> dict[str, object]:
    if f.kind == "checkboxes":
        return {"type": "array", "items": {"type": "string", "enum": [c for c, _ in f.choices]}}
    if f.kind == "radio":
        return {"type": "string", "enum": ["", *(c for c, _ in f.choices)]}
    if f.kind in ("consent", "tick"):
        return {"type": "string", "enum": ["yes"]}
    if f.kind == "number":
        return {"type": "string", "pattern": r"^\s*[0-9]*\s*$"}
    schema: dict[str, object] = {"type": "string", "maxLength": f.max_length}
    if f.required:
        schema.update(minLength=1, pattern=r"\S")  # blank is the same as missing
    if f.kind == "email":
        schema["format"] = "email"
    return schema


def _error(description: str) -> dict[str, object]:
    return {
        "description": description,
        "content": {"application/json": {"schema": _MESSAGE}, "text/html": {}},
    }


def document(forms: Mapping[str, Form]) -> dict[str, object]:
    """OpenAPI 3.0, one path per form. The schemas state types, choices and lengths; some
    rules (no control or line-separator characters, a deliverable-looking address, a way
    back that needs its address or number) are only in the 422 answer."""
    return {
        "openapi": "3.0.3",
        "info": {"title": "Form intake", "version": "1"},
        "paths": {
            **{form.action: _form_path(form) for form in forms.values()},
            **{f"{form.action}/thanks": _thanks_path() for form in forms.values()},
            "/api/healthz": {"get": {"responses": {"200": {"description": "The process runs."}}}},
            "/api/readyz": {
                "get": {
                    "responses": {
                        "200": {"description": "The database takes writes."},
                        "503": {"description": "The database cannot be written."},
                    }
                }
            },
        },
    }


def _form_path(form: Form) -> dict[str, object]:
    properties = {f.name: {**_field_schema(f), "description": f.label} for f in form.fields}
    properties[HONEYPOT] = {"type": "string", "description": "Leave empty."}
    properties[IDEMPOTENCY_KEY] = {
        "type": "string",
        "description": "Any unique value; a repeat with the same key returns the same reference.",
    }
    body_schema = {
        "type": "object",
        "properties": properties,
        "required": [f.name for f in form.fields if f.required],
    }
    return {
        "parameters": [_LANGUAGE],
        "get": {
            "summary": "The form itself lives on the site: a redirect to it.",
            "responses": {"303": {"description": f"To {form.page} on the site."}},
        },
        "post": {
            "summary": form.title,
            "requestBody": {
                "required": True,
                "content": {
                    "application/x-www-form-urlencoded": {"schema": body_schema},
                    "multipart/form-data": {"schema": body_schema},
                },
            },
            "responses": {
                "201": {
                    "description": "Stored; the coordinators will be emailed"
                    + (" (a summary with none of the answers)." if form.private else "."),
                    "content": {
                        "application/json": {
                            "schema": {
                                "type": "object",
                                "properties": {
                                    "reference": {"type": "string"},
                                    "status": {"type": "string"},
                                    "acknowledgement": _ACKNOWLEDGEMENT,
                                },
                                "required": ["reference", "status", "acknowledgement"],
                            }
                        }
                    },
                },
                "200": _THANK_YOU,
                "400": _error("The body could not be read as a form in UTF-8."),
                "403": _error("Not sent from the site's own origin or proxy."),
                "408": _error("The body took too long to arrive."),
                "413": _error("The body is larger than the cap."),
                "409": _error("The idempotency key was used before with different answers."),
                "415": _error("Not a form content type."),
                "422": {
                    "description": "Some fields need correcting.",
                    "content": {
                        "application/json": {
                            "schema": {
                                "type": "object",
                                "properties": {
                                    "errors": {
                                        "type": "object",
                                        "additionalProperties": {"type": "string"},
                                    }
                                },
                                "required": ["errors"],
                            }
                        },
                        "text/html": {},
                    },
                },
                "429": _error("Too many forms stored from one client; see Retry-After."),
                "503": _error("The database cannot be written; nothing was stored."),
            },
        },
    }


def _thanks_path() -> dict[str, object]:
    """The thank-you page again, for the page's script once its post was stored."""
    body = {
        "type": "object",
        "properties": {
            IDEMPOTENCY_KEY: {"type": "string", "description": "The key the form was sent with."}
        },
        "required": [IDEMPOTENCY_KEY],
    }
    return {
        "parameters": [_LANGUAGE],
        "post": {
            "summary": "The thank-you page of a form sent with this idempotency key.",
            "requestBody": {
                "required": True,
                "content": {
                    "application/x-www-form-urlencoded": {"schema": body},
                    "multipart/form-data": {"schema": body},
                },
            },
            "responses": {
                "200": _THANK_YOU,
                "201": {
                    "description": "For JSON clients: the reference and the email's outcome.",
                    "content": {"application/json": {}},
                },
                "400": _error("The body could not be read as a form in UTF-8."),
                "403": _error("Not sent from the site's own origin or proxy."),
                "404": _error("No form kept was sent with this key."),
                "408": _error("The body took too long to arrive."),
                "413": _error("The body is larger than the cap."),
                "415": _error("Not a form content type."),
            },
        },
    }
