"""Form definitions: the one source for the site's HTML and the service's rules.

Every word a person reads is written once with its translations beside it
(`W("Your name", es="Tu nombre")`, see words.py); a plain string is English only.

The site's build renders the form from these definitions and the service
validates against them, so the two can never disagree on a field.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from .addresses import shown
from .words import LANGUAGE_KEY, LANGUAGES, NAMES
from .words import Words as W

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
    submitted value at all, whatever FORMS_EMAIL_DETAILS says; and the browser is told not
    to offer to save or fill its fields (autocomplete="off"), as the device may be watched."""
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
    """The subject of a coordinator's reply (the desk's email link), in the person's language."""

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
        """(label, value) in form order, choices shown in the words the volunteer saw, as the
        coordinators' email lists them; first the language they wrote in."""
        rows = []
        if lang := data.get(LANGUAGE_KEY):
            name = NAMES.get(str(lang), str(lang))
            note = name if lang == LANGUAGES[0] else f"{name} (please reply in {name})"
            rows.append(("Wrote in", note))
        return rows + [row for _, row in self.field_rows(data)]

    def field_rows(self, data: Mapping[str, object]) -> list[tuple[Field, tuple[str, str]]]:
        """Each field with its (label, value) as `readable` shows it."""
        rows = []
        for field in self.fields:
            value = data.get(field.name, "")
            if isinstance(value, list):
                value = "; ".join(field.labels.get(v, v) for v in value)
            elif field.kind == "radio":
                value = field.labels.get(str(value), str(value))
            elif field.kind in ("consent", "tick"):
                value = "Yes" if value else "No"
            elif field.kind == "email" and value:
                value = shown(str(value))
            label = field.label if field.kind != "consent" else "Consent given"
            rows.append((field, (label, str(value) or "-")))
        return rows


VOLUNTEER = Form(
    slug="volunteer",
    title=W("Tell us how you would like to help", es="Cuéntanos cómo te gustaría ayudar"),
    submit_label=W("Send", es="Enviar"),
    prefix="V",
    areas="help",
    reply_subject=W("Your offer to volunteer", es="Tu ofrecimiento como voluntario o voluntaria"),
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
            W("Your name", es="Tu nombre"),
            "text",
            required=True,
            max_length=120,
            autocomplete="name",
            required_message=W("Enter your name", es="Escribe tu nombre"),
        ),
        Field(
            "email",
            W("Email address", es="Correo electrónico"),
            "email",
            required=True,
            max_length=254,
            autocomplete="email",
            hint=W(
                "We only use this to reply to you.",
                es="Solo lo usamos para responderte.",
            ),
            required_message=W("Enter your email address", es="Escribe tu correo electrónico"),
        ),
        Field(
            "phone",
            W("Phone number", es="Teléfono"),
            "tel",
            max_length=40,
            autocomplete="tel",
        ),
        Field(
            "location",
            W("City or time zone", es="Ciudad o zona horaria"),
            "text",
            max_length=100,
            hint=W(
                "So we can suggest tasks that fit your hours.",
                es="Para sugerirte tareas que se ajusten a tus horarios.",
            ),
        ),
        Field(
            "help",
            W("Ways you would like to help", es="Cómo te gustaría ayudar"),
            "checkboxes",
            hint=W(
                "Choose any that interest you. No paralegal training is needed for most.",
                es="Elige todas las que te interesen. Para casi todas no se necesita"
                " formación de asistente legal.",
            ),
            choices=(
                (
                    "legal-research",
                    W("Legal research and drafting", es="Investigación legal y redacción"),
                ),
                (
                    "documents",
                    W(
                        "Document preparation and organization",
                        es="Preparar y ordenar documentos",
                    ),
                ),
                ("translation", W("Translation or interpreting", es="Traducción o interpretación")),
                ("admin", W("Administrative support", es="Apoyo administrativo")),
                ("fundraising", W("Fundraising and events", es="Recaudación de fondos y eventos")),
                ("outreach", W("Outreach and awareness", es="Difusión y concientización")),
                ("technology", W("Technology", es="Tecnología")),
            ),
        ),
        Field(
            "background",
            W("Paralegal background", es="Experiencia como asistente legal"),
            "radio",
            choices=(
                ("none", W("None", es="Ninguna")),
                ("student", W("Student", es="Estudiante")),
                (
                    "paralegal",
                    W("Certified paralegal", es="Asistente legal certificado o certificada"),
                ),
                ("attorney", W("Attorney", es="Abogado o abogada")),
            ),
        ),
        Field(
            "hours",
            W("Hours a month you could give", es="Horas al mes que podrías dar"),
            "number",
            minimum=1,
            maximum=200,
            hint=W(
                "A rough number is fine, for example 4.",
                es="Basta con un número aproximado, por ejemplo 4.",
            ),
        ),
        Field(
            "languages",
            W("Languages you speak", es="Idiomas que hablas"),
            "text",
            max_length=200,
            hint=W("For example: English, Spanish.", es="Por ejemplo: español, inglés."),
        ),
        Field(
            "message",
            W(
                "Anything else you would like us to know",
                es="Algo más que quieras contarnos",
            ),
            "textarea",
            max_length=2000,
            hint=W("Up to 2,000 characters.", es="Hasta 2,000 caracteres."),
        ),
        Field(
            "consent",
            W(
                "I agree that the coordinators may store my answers and contact me about"
                " volunteering, as the privacy page explains.",
                es="Acepto que las personas que coordinan guarden mis respuestas y me escriban"
                " sobre el voluntariado, como explica la página de privacidad.",
            ),
            "consent",
            required=True,
            required_message=W(
                "Tick the box to agree, so we can store your answers and reply",
                es="Marca la casilla para aceptar, así podemos guardar tus respuestas y"
                " responderte",
            ),
        ),
    ),
)

CONTACT = Form(
    slug="contact",
    title=W("Write to us", es="Escríbenos"),
    submit_label=W("Send", es="Enviar"),
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
    reply_subject=W("Your message", es="Tu mensaje"),
    fields=(
        Field(
            "who",
            W("Who is writing", es="Quién escribe"),
            "radio",
            choices=(
                ("myself", W("I need help for myself", es="Necesito ayuda para mí")),
                ("helping", W("I am helping someone", es="Estoy ayudando a otra persona")),
                (
                    "attorney",
                    W(
                        "I am an attorney who can take cases pro bono",
                        es="Soy abogado o abogada y puedo llevar casos sin cobrar",
                    ),
                ),
                ("other", W("Something else", es="Otra cosa")),
                # a radio cannot be untouched again: this is the way back to saying nothing
                ("unsaid", W("I would rather not say", es="Prefiero no decirlo")),
            ),
        ),
        Field(
            "name",
            W("What we may call you", es="El nombre que quieres que usemos"),
            "text",
            max_length=120,
            hint=W("Any name you like, or none.", es="El que quieras, o ninguno."),
        ),
        Field(
            "message",
            W("Your message", es="Tu mensaje"),
            "textarea",
            required=True,
            max_length=3000,
            hint=W(
                "Up to 3,000 characters. Write only what you are comfortable sharing.",
                es="Hasta 3,000 caracteres. Escribe solo lo que quieras contarnos.",
            ),
            required_message=W("Write your message", es="Escribe tu mensaje"),
        ),
        Field(
            "ways",
            W("How we may reach you", es="Cómo podemos comunicarnos contigo"),
            "checkboxes",
            required=True,
            hint=W(
                "Choose only the ways that are safe for you.",
                es="Elige solo las formas que sean seguras para ti.",
            ),
            required_message=W(
                "Choose at least one way we may reach you",
                es="Elige al menos una forma de comunicarnos contigo",
            ),
            choices=(
                ("email", W("Email", es="Correo electrónico")),
                ("call", W("Phone call", es="Llamada")),
                ("text", W("Text message", es="Mensaje de texto")),
            ),
            needs=(
                (
                    "email",
                    "email",
                    W(
                        "Enter the email address we may write to",
                        es="Escribe el correo electrónico al que podemos escribirte",
                    ),
                ),
                (
                    "call",
                    "phone",
                    W(
                        "Enter the phone number we may call",
                        es="Escribe el teléfono al que podemos llamar",
                    ),
                ),
                (
                    "text",
                    "phone",
                    W(
                        "Enter the phone number we may text",
                        es="Escribe el teléfono al que podemos mandar mensajes de texto",
                    ),
                ),
            ),
        ),
        Field(
            "email",
            W("Your email address", es="Tu correo electrónico"),
            "email",
            max_length=254,
            hint=W(
                "Needed if you choose email above, or ask for an email saying we received"
                " your message.",
                es="Se necesita si elegiste correo electrónico arriba, o si pides un correo que"
                " diga que recibimos tu mensaje.",
            ),
        ),
        Field(
            "phone",
            W("Your phone number", es="Tu teléfono"),
            "tel",
            max_length=40,
            hint=W(
                "Needed if you choose a phone call or a text message above.",
                es="Se necesita si elegiste una llamada o un mensaje de texto arriba.",
            ),
        ),
        Field(
            "leave_message",
            W(
                "May we leave a voicemail or a message?",
                es="¿Podemos dejarte un mensaje de voz o de texto?",
            ),
            "radio",
            choices=(
                ("no", W("No, never leave a message", es="No, nunca me dejen mensajes")),
                ("yes", W("Yes, that is safe", es="Sí, es seguro")),
            ),
        ),
        Field(
            "good_times",
            W("Good times to reach you", es="Horarios en que podemos comunicarnos contigo"),
            "text",
            max_length=200,
            hint=W(
                "For example: weekdays after 6 pm.",
                es="Por ejemplo: entre semana, después de las 6 de la tarde.",
            ),
        ),
        Field(
            "bad_times",
            W("Times we must not reach you", es="Horarios en que no debemos comunicarnos"),
            "text",
            max_length=200,
            hint=W("For example: weekends.", es="Por ejemplo: los fines de semana."),
        ),
        Field(
            "acknowledge",
            W(
                "Send an email to the address above to say you received my message.",
                es="Envíenme un correo a la dirección de arriba para saber que recibieron mi"
                " mensaje.",
            ),
            "tick",
            hint=W(
                "Leave this unticked and nothing is sent to your inbox until we reply.",
                es="Si no marcas esta casilla, no llega nada a tu correo hasta que te respondamos.",
            ),
            needs=(
                (
                    "yes",
                    "email",
                    W(
                        "Enter the email address for the email saying we received your message",
                        es="Escribe el correo al que enviamos el aviso de que recibimos tu mensaje",
                    ),
                ),
            ),
        ),
    ),
)

FORMS = {form.slug: form for form in (VOLUNTEER, CONTACT)}
STATUSES = {value: label for form in FORMS.values() for value, label in form.statuses}
"""Every status of every form, with the words a coordinator reads."""
