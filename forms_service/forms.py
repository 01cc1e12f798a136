"""Form definitions: the one source for the site's HTML and the service's rules.

The site's build renders the form from these definitions and the service
validates against them, so the two can never disagree on a field.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

HONEYPOT = "website"
"""A field people never see or fill; only bots do."""

IDEMPOTENCY_KEY = "idempotency_key"
"""Sent by our script so that a double click or a retry makes one submission."""


@dataclass(frozen=True)
class Field:
    name: str
    label: str
    kind: str  # text | email | tel | textarea | checkboxes | radio | number | consent
    required: bool = False
    max_length: int = 200
    hint: str = ""
    autocomplete: str = ""
    choices: tuple[tuple[str, str], ...] = ()
    minimum: int = 0
    maximum: int = 0
    required_message: str = ""

    @property
    def labels(self) -> dict[str, str]:
        """Choice value -> the words a person sees."""
        return dict(self.choices)


@dataclass(frozen=True)
class Form:
    slug: str
    title: str
    action: str
    fields: tuple[Field, ...]
    submit_label: str
    areas: str = ""
    """The checkboxes field the coordinators' desk lists and filters by (areas of help)."""

    def field(self, name: str) -> Field | None:
        return next((f for f in self.fields if f.name == name), None)

    def areas_of(self, data: Mapping[str, object]) -> list[str]:
        """The areas of help chosen, in the words the volunteer saw."""
        field = self.field(self.areas)
        chosen = data.get(self.areas, [])
        if field is None or not isinstance(chosen, list):
            return []
        return [field.labels.get(v, v) for v in chosen]

    def readable(self, data: Mapping[str, object]) -> list[tuple[str, str]]:
        """(label, value) in form order, choices shown in the words the volunteer saw."""
        rows = []
        for field in self.fields:
            value = data.get(field.name, "")
            if isinstance(value, list):
                value = "; ".join(field.labels.get(v, v) for v in value)
            elif field.kind == "radio":
                value = field.labels.get(str(value), str(value))
            elif field.kind == "consent":
                value = "Yes" if value else "No"
            label = field.label if field.kind != "consent" else "Consent given"
            rows.append((label, str(value) or "-"))
        return rows


VOLUNTEER = Form(
    slug="volunteer",
    title="Tell us how you would like to help",
    action="/api/forms/volunteer",
    submit_label="Send",
    areas="help",
    fields=(
        Field(
            "name",
            "Your name",
            "text",
            required=True,
            max_length=120,
            autocomplete="name",
            required_message="Enter your name",
        ),
        Field(
            "email",
            "Email address",
            "email",
            required=True,
            max_length=254,
            autocomplete="email",
            hint="We only use this to reply to you.",
            required_message="Enter your email address",
        ),
        Field("phone", "Phone number", "tel", max_length=40, autocomplete="tel"),
        Field(
            "location",
            "City or time zone",
            "text",
            max_length=100,
            hint="So we can suggest tasks that fit your hours.",
        ),
        Field(
            "help",
            "Ways you would like to help",
            "checkboxes",
            hint="Choose any that interest you. No paralegal training is needed for most.",
            choices=(
                ("legal-research", "Legal research and drafting"),
                ("documents", "Document preparation and organization"),
                ("translation", "Translation or interpreting"),
                ("admin", "Administrative support"),
                ("fundraising", "Fundraising and events"),
                ("outreach", "Outreach and awareness"),
                ("technology", "Technology"),
            ),
        ),
        Field(
            "background",
            "Paralegal background",
            "radio",
            choices=(
                ("none", "None"),
                ("student", "Student"),
                ("paralegal", "Certified paralegal"),
                ("attorney", "Attorney"),
            ),
        ),
        Field(
            "hours",
            "Hours a month you could give",
            "number",
            minimum=1,
            maximum=200,
            hint="A rough number is fine, for example 4.",
        ),
        Field(
            "languages",
            "Languages you speak",
            "text",
            max_length=200,
            hint="For example: English, Spanish.",
        ),
        Field(
            "message",
            "Anything else you would like us to know",
            "textarea",
            max_length=2000,
            hint="Up to 2,000 characters.",
        ),
        Field(
            "consent",
            "I agree that the coordinators may store my answers and contact me about volunteering, "
            "as the privacy page explains.",
            "consent",
            required=True,
            required_message="Tick the box to agree, so we can store your answers and reply",
        ),
    ),
)

FORMS = {VOLUNTEER.slug: VOLUNTEER}
