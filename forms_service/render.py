"""Renders a form from its definition, for the site's build and for the service."""

from __future__ import annotations

from collections.abc import Mapping

from jinja2 import Environment, PackageLoader, select_autoescape

from .forms import HONEYPOT, IDEMPOTENCY_KEY, Form

_env = Environment(
    loader=PackageLoader("forms_service", "templates"),
    autoescape=select_autoescape(default=True, default_for_string=True),
    trim_blocks=False,
    keep_trailing_newline=True,
)

START, END = "<!--form:start-->", "<!--form:end-->"


def form_html(
    form: Form,
    values: Mapping[str, object] | None = None,
    errors: Mapping[str, str] | None = None,
) -> str:
    """The form's HTML, with the posted values kept and each error beside its field."""
    return _env.get_template("form.html").render(
        form=form,
        values=values or {},
        errors=errors or {},
        honeypot=HONEYPOT,
        idempotency_key=IDEMPOTENCY_KEY,
    )
