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
    kind: str  # text | email | tel | textarea | checkboxes | radio | number | consent | tick
    required: bool = False
    max_length: int = 200
    hint: str = ""
    autocomplete: str = ""
    choices: tuple[tuple[str, str], ...] = ()
    minimum: int = 0
    maximum: int = 0
    required_message: str = ""
    needs: tuple[tuple[str, str, str], ...] = ()
    """(choice, field, message): choosing this choice (or ticking, "yes") needs that field."""

    @property
    def labels(self) -> dict[str, str]:
        """Choice value -> the words a person sees."""
        return dict(self.choices)


@dataclass(frozen=True)
class Form:
    slug: str
    title: str
    fields: tuple[Field, ...]
    submit_label: str
    prefix: str
    """The first letter of its references (V-..., C-...), so a coordinator knows which form."""
    areas: str = ""
    """The choices field the coordinators' desk lists and filters by (areas of help)."""
    private: bool = False
    """What people write here never travels by email: coordinators get a summary with no
    submitted value at all, whatever FORMS_EMAIL_DETAILS says."""
    acknowledge: str = ""
    """The tick box by which a person asks for an acknowledgement; without one,
    FORMS_ACKNOWLEDGE decides for the whole form."""
    retention: str = "retention_days"
    """The Settings attribute holding how many days its submissions are kept."""
    statuses: tuple[tuple[str, str], ...] = ()
    """The follow-up statuses a coordinator chooses from, the first being a new one's."""
    reach: tuple[str, ...] = ()
    """The fields that say how and when it is safe to reply, shown first on the desk."""
    noun: str = "volunteer interest"
    """What one submission is called in the coordinators' emails."""
    reply_subject: str = "Your offer to volunteer"

    @property
    def action(self) -> str:
        return f"/api/forms/{self.slug}"

    @property
    def page(self) -> str:
        """The site's page that holds the form (docs/<slug>.md or docs/<slug>/index.md)."""
        return f"/{self.slug}/"

    @property
    def thanks(self) -> str:
        """Where a person goes once their form is stored."""
        return f"/{self.slug}/thanks/"

    @property
    def label(self) -> str:
        """The form's name for coordinators (the desk's form filter)."""
        return self.noun[:1].upper() + self.noun[1:]

    def field(self, name: str) -> Field | None:
        return next((f for f in self.fields if f.name == name), None)

    def areas_of(self, data: Mapping[str, object]) -> list[str]:
        """The areas of help chosen, in the words the volunteer saw."""
        field = self.field(self.areas)
        chosen = data.get(self.areas, [])
        if isinstance(chosen, str):
            chosen = [chosen] if chosen else []
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
            elif field.kind in ("consent", "tick"):
                value = "Yes" if value else "No"
            label = field.label if field.kind != "consent" else "Consent given"
            rows.append((label, str(value) or "-"))
        return rows


VOLUNTEER = Form(
    slug="volunteer",
    title="Tell us how you would like to help",
    submit_label="Send",
    prefix="V",
    areas="help",
    statuses=(
        ("new", "New"),
        ("contacted", "Contacted"),
        ("active", "Active"),
        ("not-now", "Not now"),
        ("closed", "Closed"),
    ),
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

CONTACT = Form(
    slug="contact",
    title="Write to us",
    submit_label="Send",
    prefix="C",
    areas="who",
    private=True,
    acknowledge="acknowledge",
    retention="contact_retention_days",
    statuses=(
        ("new", "New"),
        ("replied", "Replied"),
        ("waiting", "Waiting for a safe time"),
        ("referred", "Referred"),
        ("could-not-reach", "Could not reach safely"),
        ("closed", "Closed"),
    ),
    reach=("ways", "email", "phone", "leave_message", "good_times", "bad_times"),
    noun="contact message",
    reply_subject="Your message",
    fields=(
        Field(
            "who",
            "Who is writing",
            "radio",
            choices=(
                ("myself", "I need help for myself"),
                ("helping", "I am helping someone"),
                ("attorney", "I am an attorney who can take cases pro bono"),
                ("other", "Something else"),
            ),
        ),
        Field(
            "name",
            "What we may call you",
            "text",
            max_length=120,
            hint="Any name you like, or none.",
        ),
        Field(
            "message",
            "Your message",
            "textarea",
            required=True,
            max_length=3000,
            hint="Up to 3,000 characters. Write only what you are comfortable sharing.",
            required_message="Write your message",
        ),
        Field(
            "ways",
            "How we may reach you",
            "checkboxes",
            required=True,
            hint="Choose only the ways that are safe for you.",
            required_message="Choose at least one way we may reach you",
            choices=(("email", "Email"), ("call", "Phone call"), ("text", "Text message")),
            needs=(
                ("email", "email", "Enter the email address we may write to"),
                ("call", "phone", "Enter the phone number we may call"),
                ("text", "phone", "Enter the phone number we may text"),
            ),
        ),
        Field("email", "Email address", "email", max_length=254, autocomplete="email"),
        Field(
            "phone",
            "Phone number",
            "tel",
            max_length=40,
            autocomplete="tel",
            hint="For a call or a text message.",
        ),
        Field(
            "leave_message",
            "May we leave a voicemail or a message?",
            "radio",
            choices=(("no", "No, never leave a message"), ("yes", "Yes, that is safe")),
        ),
        Field(
            "good_times",
            "Good times to reach you",
            "text",
            max_length=200,
            hint="For example: weekdays after 6 pm.",
        ),
        Field(
            "bad_times",
            "Times we must not reach you",
            "text",
            max_length=200,
            hint="For example: weekends.",
        ),
        Field(
            "acknowledge",
            "Send an email to the address above to say you received my message.",
            "tick",
            hint="Leave this unticked and nothing is sent to your inbox until we reply.",
            needs=(("yes", "email", "Enter the email address we may write to"),),
        ),
    ),
)

FORMS = {form.slug: form for form in (VOLUNTEER, CONTACT)}
STATUSES = {value: label for form in FORMS.values() for value, label in form.statuses}
"""Every status of every form, with the words a coordinator reads."""
