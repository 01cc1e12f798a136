"""The Spanish edition: every page in Spanish with its switch to the same page in
English and back, hreflang, the sitemap, the 404 pages; the service answering a
Spanish form in Spanish; and the check that lists Spanish pages behind their English page."""

from __future__ import annotations

import html
import json
import re
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from forms_service.forms.definitions import FORMS, VOLUNTEER
from forms_service.settings import Settings
from forms_service.web.headers import NO_STORE, read_header_rules

from ..chromium import new_guarded
from ..desk import sign_in
from ..support import (
    ROOT,
    Service,
    SmtpServer,
    copy_of_the_site,
    text_part,
    valid_contact,
    valid_form,
)
from .test_launch_guard import build

API = "/api/forms/volunteer"
SPANISH_API = API + "?lang=es"
SPANISH_CONTACT = "/api/forms/contact?lang=es"
THANKS = {"/volunteer/thanks/", "/es/volunteer/thanks/", "/contact/thanks/", "/es/contact/thanks/"}
"""Pages outside the menu, so outside the sitemap: still pages of both editions."""
JSON = {"Accept": "application/json"}
SWITCH = re.compile(r'<a class="language-switch" href="([^"]+)" hreflang="(\w+)" lang="\w+">')
HREFLANG = re.compile(r'<xhtml:link rel="alternate" hreflang="([\w-]+)" href="([^"]+)"/>')
SITE_URL = "https://example.org/"


def page_html(site_dir: Path, path: str) -> str:
    return (site_dir / path.strip("/") / "index.html").read_text(encoding="utf-8")


def spanish(site_pages: list[str]) -> list[str]:
    return [p for p in site_pages if p.startswith("/es/")]


# ---------- the built site ----------


def test_the_pages_that_matter_most_are_in_spanish(site_pages):
    expected = {
        "/es/",
        "/es/get-help/",
        "/es/safety/",
        "/es/privacy/",
        "/es/how-we-work/",
        "/es/reintegration/",
        "/es/reintegration/healing/",
        "/es/reintegration/education/",
        "/es/reintegration/work/",
        "/es/reintegration/community/",
        "/es/reintegration/self-advocacy/",
        "/es/volunteer/",
        "/es/volunteer/thanks/",
        "/es/contact/",
        "/es/contact/thanks/",
    }
    assert expected <= set(spanish(site_pages))
    assert not any(p.startswith("/es/blog/") for p in site_pages)  # the blog stays English


def test_every_page_says_its_language(site_dir: Path, site_pages):
    for path in site_pages:
        lang = "es" if path.startswith("/es/") else "en"
        assert f'<html lang="{lang}"' in page_html(site_dir, path), path
    assert '<html lang="es"' in (site_dir / "es" / "404.html").read_text(encoding="utf-8")


MENU_BUTTON = re.compile(r'<label [^>]*aria-label="([^"]*)"[^>]*data-menu-button>')


def test_every_page_names_its_menu_button_and_its_404_in_its_language(site_dir: Path, site_pages):
    for path in site_pages:
        word = "Menú" if path.startswith("/es/") else "Menu"
        assert MENU_BUTTON.findall(page_html(site_dir, path)) == [word], path
    for folder, title in (("", "We cannot find that page"), ("es", "No encontramos esa página")):
        page = (site_dir / folder / "404.html").read_text(encoding="utf-8")
        assert f"<title>{title} - The Mission</title>" in page
        assert MENU_BUTTON.findall(page) == ["Menú" if folder else "Menu"]


def test_every_switch_leads_to_the_same_page_in_the_other_language_and_back(
    site_dir: Path, site_pages
):
    """Where the other edition has the page, the switch leads to it and its switch leads
    back; elsewhere (the blog) it leads to the other edition's home."""
    pages = set(site_pages)
    for path in site_pages:
        (href, lang), *more = SWITCH.findall(page_html(site_dir, path))
        assert more == [], path
        other = path.removeprefix("/es") if path.startswith("/es/") else "/es" + path
        assert lang == ("en" if path.startswith("/es/") else "es"), path
        if other in pages:
            assert href == other, path
            assert SWITCH.findall(page_html(site_dir, other))[0][0] == path, other
        else:
            assert href == ("/" if lang == "en" else "/es/"), path


def sitemap_alternates(site_dir: Path) -> dict[str, dict[str, str]]:
    """Each address in the sitemap -> its hreflang alternates (language -> address)."""
    text = (site_dir / "sitemap.xml").read_text(encoding="utf-8")
    return {
        loc: dict(HREFLANG.findall(url))
        for url in re.findall(r"<url>.*?</url>", text, re.S)
        for loc in re.findall(r"<loc>([^<]+)</loc>", url)
    }


def test_hreflang_alternates_name_both_languages_for_both_pages(site_dir: Path, site_pages):
    """In the sitemap, not in each page's head: Material's script fetches a sitemap.xml
    beside every <link rel="alternate"> of a page, which would leave the site."""
    alternates = sitemap_alternates(site_dir)
    for path in spanish(site_pages):
        if path in THANKS:
            continue
        english = SITE_URL + path.removeprefix("/es/")
        expected = {"en": english, "es": SITE_URL + path.lstrip("/"), "x-default": english}
        assert alternates[SITE_URL + path.lstrip("/")] == expected, path
        assert alternates[english] == expected, english
    assert alternates[SITE_URL + "blog/"] == {}  # English only: no alternates
    for path in site_pages:
        assert "hreflang" not in page_html(site_dir, path).partition("</head>")[0], path


def test_the_sitemap_lists_both_languages(site_dir: Path, site_pages):
    listed = set(re.findall(r"<loc>([^<]+)</loc>", (site_dir / "sitemap.xml").read_text()))
    for path in set(site_pages) - THANKS:
        assert SITE_URL + path.lstrip("/") in listed, path
    assert not (site_dir / "es" / "sitemap.xml").exists()  # one sitemap for the whole site


def test_spanish_search_has_its_own_spanish_index(site_dir: Path):
    index = json.loads((site_dir / "es" / "search" / "search_index.json").read_text())
    assert index["config"]["lang"] == ["es"]
    text = " ".join(doc["title"] + doc["text"] for doc in index["docs"])
    assert "Línea Directa Nacional" in text and "Standing with survivors" not in text
    english = json.loads((site_dir / "search" / "search_index.json").read_text())
    assert english["config"]["lang"] == ["en"]
    assert "Línea Directa Nacional" not in " ".join(doc["text"] for doc in english["docs"])


def test_the_spanish_search_speaks_as_the_site_does(site_dir: Path, site_pages):
    """Tú, as everywhere else, where Material's Spanish says "Teclee" (usted)."""
    for path in spanish(site_pages):
        page = page_html(site_dir, path)
        assert '"search.result.placeholder": "Escribe para empezar a buscar"' in page, path
        assert "Teclee" not in page, path
    english = page_html(site_dir, "/")
    assert '"search.result.placeholder": "Type to start searching"' in english


ENGLISH_ONLY = re.compile(
    r'<a [^>]*href="https://(?:www\.)?(?:techsafety\.org|ilo\.org)/[^"]*"[^>]*>.*?</a>(.*?)\.(?:\s|<)',
    re.S,
)
"""A link to a site that is in English only, and what follows it up to the sentence's end."""


def test_spanish_pages_say_the_blog_and_other_english_sites_are_in_english(
    site_dir: Path, site_pages
):
    linked = []
    for path in spanish(site_pages):
        article = page_html(site_dir, path).partition('<article class="md-content__inner')[2]
        for sentence in re.findall(r"[^.]*href=\"/blog/\"[^.]*\.", article):
            assert "inglés" in sentence, (path, sentence)
        for after in ENGLISH_ONLY.findall(article):
            linked.append(path)
            assert "en inglés" in after, (path, after)
    assert {"/es/safety/", "/es/reintegration/"} <= set(linked)


def test_the_spanish_edition_speaks_plainly_and_to_everyone(site_dir: Path, site_pages):
    """One call to volunteer, "Hazte voluntario o voluntaria"; "asistente legal" for women
    and men; Material's own words for the skip link and the footer in plain Spanish."""
    masculine_only = re.compile(
        r"\b(?:los|el|unos?)\s+asistentes?\s+legal|asistentes?\s+legal(?:es)?\s+certificados?"
        r"(?!\s+o\s)",
        re.I,
    )
    for path in spanish(site_pages):
        page = page_html(site_dir, path)
        for words in ("Hacerte voluntari", "Súmate", 'aria-label="Pie"', "Saltar a contenido"):
            assert words not in page, (path, words)
        assert masculine_only.search(page) is None, (path, masculine_only.search(page))
        assert "Ir al contenido" in page, path
    calls = {
        "/es/": r'class="md-button[^"]*"[^>]*>Hazte voluntario o voluntaria</a>',
        "/es/volunteer/": r"<h1[^>]*>Hazte voluntario o voluntaria</h1>",
    }
    for path, call in calls.items():
        assert re.search(call, page_html(site_dir, path)), path
    assert 'aria-label="Pie de página"' in page_html(site_dir, "/es/privacy/")
    not_found = (site_dir / "es" / "404.html").read_text(encoding="utf-8")
    assert "Hazte voluntario o voluntaria</a>" in not_found
    assert "Asistente legal certificado o certificada" in page_html(site_dir, "/es/volunteer/")


# A box's title as the built page shows it: (the box's type, its title).
BOX_TITLES = re.compile(
    r'<div class="admonition ([\w-]+)[^"]*">\s*<p class="admonition-title">([^<]*)</p>'
    r'|<details class="([\w-]+)[^"]*"[^>]*>\s*<summary>([^<]*)</summary>'
)
UNTITLED_BOXES = "\n!!! tip\n\n    Un consejo.\n\n??? note\n\n    Una nota.\n\n!!! warning\n\n    Cuidado.\n"


def box_titles(page: str) -> list[tuple[str, str]]:
    return [(m[1] or m[3], m[2] if m[1] else m[4]) for m in BOX_TITLES.finditer(page)]


def test_no_spanish_page_shows_a_boxs_english_default_title(site_dir: Path, site_pages):
    for path in spanish(site_pages):
        for kind, title in box_titles(page_html(site_dir, path)):
            assert title != kind.capitalize(), (path, title)


def test_a_box_without_a_title_is_titled_in_spanish_on_a_spanish_page(tmp_path: Path):
    root = copy_of_the_site(tmp_path / "repo")
    for name in ("docs/safety.md", "docs/es/safety.md"):
        with (root / name).open("a", encoding="utf-8") as page:
            page.write(UNTITLED_BOXES + '\n!!! danger "Si estás en peligro"\n\n    Llama.\n')
    result = build(root, None, tmp_path / "site")
    assert result.returncode == 0, result.stderr
    spanish_page = page_html(tmp_path / "site", "/es/safety/")
    assert box_titles(spanish_page)[-4:] == [
        ("tip", "Consejo"),
        ("note", "Nota"),
        ("warning", "Atención"),
        ("danger", "Si estás en peligro"),  # a title the editor wrote stays as written
    ]
    english = box_titles(page_html(tmp_path / "site", "/safety/"))[-4:]
    assert english[:3] == [("tip", "Tip"), ("note", "Note"), ("warning", "Warning")]
    index = (tmp_path / "site" / "es" / "search" / "search_index.json").read_text()
    assert "Consejo" in index and ">Tip<" not in index


def test_every_spanish_page_has_a_no_store_rule_for_netlify(site_dir: Path, site_pages):
    rules = read_header_rules(site_dir)
    for path in spanish(site_pages):
        assert rules.get(path) == NO_STORE and rules.get(path + "index.html") == NO_STORE, path
    assert rules.get("/es/search/search_index.json") == NO_STORE


def test_netlify_gives_unknown_spanish_addresses_the_spanish_404():
    toml = (ROOT / "netlify.toml").read_text()
    assert re.search(r'from = "/es/\*"\s+to = "/es/404.html"\s+status = 404', toml)


def test_unknown_addresses_get_the_404_page_of_their_language(site_service: Service):
    spanish_404 = httpx.get(site_service.url + "/es/no-existe/")
    english_404 = httpx.get(site_service.url + "/no-such-page/")
    assert spanish_404.status_code == english_404.status_code == 404
    assert "No encontramos esa página" in spanish_404.text
    assert "We cannot find that page" in english_404.text
    assert spanish_404.headers["cache-control"] == "no-store"


def test_the_spanish_contact_page_holds_the_form_in_spanish_and_true_words(site_dir: Path):
    page = page_html(site_dir, "/es/contact/")
    start = page.index('<form class="vf" id="contact-form"')
    form = page[start : page.index("</form>", start)]
    assert 'action="/api/forms/contact?lang=es"' in form
    assert form.split(">", 1)[0].count('autocomplete="off"') == 1  # a watched device
    for words in ("Tu mensaje", "Cómo podemos comunicarnos contigo", "Mensaje de texto", "Enviar"):
        assert words in form, words
    for words in ("Your message", "Text message", "(optional)", "(required)"):
        assert words not in form, words
    days = f"<strong>{Settings().contact_retention_days} días</strong>"
    for words in ("no es para emergencias", "1-888-373-7888", "233733", "711", days):
        assert words in page, words
    privacy = page_html(site_dir, "/es/privacy/")
    assert "El formulario de contacto" in privacy and days in privacy
    thanks = page_html(site_dir, "/es/contact/thanks/")
    assert "Gracias, recibimos tu mensaje" in thanks
    assert "1-888-373-7888" in thanks and "Salir rápido" in thanks and "historial" in thanks


def test_every_word_a_person_reads_on_a_form_has_its_spanish():
    """Titles, buttons, labels, hints, choices and messages: a Spanish page shows no
    English word of a form (the statuses are for coordinators, in English)."""
    for form in FORMS.values():
        words = [form.title, form.submit_label, form.reply_subject]
        for f in form.fields:
            words += [f.label, f.hint, f.required_message, *f.labels.values()]
            words += [message for _, _, message in f.needs]
        missing = [w for w in words if w and "es" not in getattr(w, "translations", {})]
        assert missing == [], form.slug


def test_the_spanish_contact_form_is_answered_in_spanish(start_service, smtp: SmtpServer):
    service = start_service(smtp.port, FORMS_ACKNOWLEDGE="true")
    no_way_back = valid_contact(ways=["call", "email"], email=None, acknowledge="yes")
    with service.client() as client:
        errors = client.post(SPANISH_CONTACT, data=no_way_back, headers=JSON)
        empty = client.post(SPANISH_CONTACT, data={"message": ""})
        wrong_type = client.post(
            SPANISH_CONTACT, content=b"message=x", headers={"Content-Type": "text/plain"}
        )
        sent = client.post(
            SPANISH_CONTACT,
            data=valid_contact(
                message="Necesito hablar", email="rosa@example.com", acknowledge="yes"
            ),
        )
    assert errors.status_code == 422
    assert errors.json()["errors"] == {
        "email": "Escribe el correo electrónico al que podemos escribirte",
        "phone": "Escribe el teléfono al que podemos llamar",
    }
    assert empty.status_code == 422 and '<html lang="es"' in empty.text
    assert "Escribe tu mensaje" in empty.text and "Elige al menos una forma" in empty.text
    assert "Escríbenos" in empty.text and "Enviar" in empty.text
    assert wrong_type.status_code == 415 and 'href="/es/contact/"' in wrong_type.text
    assert sent.status_code == 200 and "Gracias, recibimos tu mensaje" in sent.text
    assert "va en camino a la dirección que nos diste" in sent.text
    messages = smtp.inbox.wait_for(2)
    to_coordinators = next(m for m in messages if m["To"] != "rosa@example.com")
    acknowledgement = next(m for m in messages if m["To"] == "rosa@example.com")
    assert to_coordinators["Subject"].startswith("New contact message, in Spanish (C-")
    assert "Necesito" not in text_part(to_coordinators)  # a summary, in any language
    assert acknowledgement["Subject"].startswith("Recibimos tu mensaje")
    assert "Necesito" not in text_part(acknowledgement)
    stored = service.rows("SELECT json_extract(data, '$.language') FROM submissions")
    assert stored == [("es",)]


# ---------- the language switch in a browser ----------


@pytest.mark.browser
@pytest.mark.parametrize("js", [True, False], ids=["js", "no-js"])
def test_switching_language_stores_nothing(browser, site_service: Service, js):
    g = new_guarded(browser, site_service.url, java_script_enabled=js)
    page = g.new_page()
    page.goto(site_service.url + "/safety/")
    page.get_by_role("link", name="Español", exact=True).click()
    page.wait_for_url("**/es/safety/")
    assert page.locator("h1").inner_text() == "Navegar con seguridad"
    page.get_by_role("link", name="English", exact=True).click()
    page.wait_for_url(site_service.url + "/safety/")
    assert g.context.cookies() == []
    if js:
        stored = page.evaluate("[localStorage.length, sessionStorage.length, document.cookie]")
        assert stored == [0, 0, ""]
    assert g.foreign == []
    g.context.close()


# ---------- the service answers in Spanish ----------


def test_spanish_field_errors_in_json_and_on_the_page(service: Service):
    bad = valid_form(email="no es un correo", hours="999", consent="")
    with service.client() as client:
        data = client.post(SPANISH_API, data=bad, headers=JSON)
        page = client.post(SPANISH_API, data=bad)
        english = client.post(API, data=bad, headers=JSON)
    assert data.status_code == page.status_code == 422
    assert data.json()["errors"] == {
        "email": "Escribe una sola dirección de correo con el formato correcto, como "
        "nombre@ejemplo.com",
        "hours": "Escribe un número entero del 1 al 200",
        "consent": "Marca la casilla para aceptar, así podemos guardar tus respuestas y "
        "responderte",
    }
    assert english.json()["errors"]["hours"] == "Enter a whole number from 1 to 200"
    assert '<html lang="es"' in page.text and "Hay un problema" in page.text
    assert "Escribe un número entero del 1 al 200" in page.text


def test_a_long_field_is_refused_in_spanish_with_its_spanish_label(service: Service):
    with service.client() as client:
        r = client.post(SPANISH_API, data=valid_form(name="n" * 121), headers=JSON)
    assert r.json()["errors"]["name"] == (
        "“Tu nombre” puede tener como máximo 120 caracteres; ahora tiene 121."
    )


def test_spanish_refusals_413_415_403(service: Service):
    with service.client() as client:
        large = client.post(SPANISH_API, data=valid_form(message="x" * 70_000), headers=JSON)
        wrong_type = client.post(
            SPANISH_API, content=b"name=x", headers={"Content-Type": "text/plain"}
        )
    foreign = httpx.post(
        service.url + SPANISH_API,
        data=valid_form(),
        headers={**JSON, "Origin": "https://evil.example"},
    )
    assert large.status_code == 413 and "más grande de lo que acepta" in large.json()["error"]
    assert wrong_type.status_code == 415
    assert '<html lang="es"' in wrong_type.text
    assert "solo acepta nuestro formulario" in wrong_type.text
    assert "Volver al formulario" in wrong_type.text
    assert 'href="/es/volunteer/"' in wrong_type.text
    assert MENU_BUTTON.findall(wrong_type.text) == ["Menú"]
    assert foreign.status_code == 403 and "desde nuestro propio sitio" in foreign.json()["error"]


SKIP_LINK = re.compile(r'<a href="#([^"]+)" class="md-skip">')


@pytest.mark.parametrize("api", [API, SPANISH_API])
def test_the_skip_link_of_a_refusal_page_leads_to_its_heading(service: Service, api: str):
    with service.client() as client:
        page = client.post(api, content=b"name=x", headers={"Content-Type": "text/plain"}).text
    target = SKIP_LINK.search(page)[1]
    assert re.search(rf'<h1 id="{target}">', page), target


def test_spanish_429(start_service, smtp: SmtpServer):
    service = start_service(smtp.port, FORMS_RATE_LIMIT="1/hour")
    with service.client() as client:
        first = client.post(SPANISH_API, data=valid_form(), headers=JSON)
        second = client.post(SPANISH_API, data=valid_form(name="Otra"), headers=JSON)
        page = client.post(SPANISH_API, data=valid_form(name="Otra más"))
    assert first.status_code == 201
    assert second.status_code == page.status_code == 429
    assert 3500 < int(second.headers["Retry-After"]) <= 3601
    for words in (second.json()["error"], html.unescape(page.text)):
        assert "Podrás enviar el tuyo otra vez en 1 hora." in words
        assert "llama a la Línea Directa Nacional contra la Trata de Personas" in words
        assert "1-888-373-7888, manda un mensaje de texto al 233733 o usa TTY 711" in words
    assert "No pudimos recibir tu formulario" in page.text


def test_spanish_503_when_the_database_cannot_be_written(start_service, smtp, tmp_path: Path):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    service = start_service(smtp.port, FORMS_DATABASE=str(blocker / "forms.sqlite3"))
    with service.client() as client:
        data = client.post(SPANISH_API, data=valid_form(), headers=JSON)
        page = client.post(SPANISH_API, data=valid_form())
    assert data.status_code == page.status_code == 503
    assert "no pudimos guardar tu formulario" in data.json()["error"]
    assert "No pudimos guardar tu formulario" in page.text and '<html lang="es"' in page.text


def test_spanish_form_thanks_in_spanish_and_coordinators_see_the_language(
    start_service, smtp: SmtpServer
):
    service = start_service(smtp.port, FORMS_ACKNOWLEDGE="true")
    with service.client() as client:
        r = client.post(SPANISH_API, data=valid_form(name="Lucía", email="lucia@example.com"))
    assert r.status_code == 200 and '<html lang="es"' in r.text
    assert "Tu referencia es <strong>V-" in r.text and "va en camino" in r.text
    messages = smtp.inbox.wait_for(2)
    to_coordinators = next(m for m in messages if m["To"] != "lucia@example.com")
    acknowledgement = next(m for m in messages if m["To"] == "lucia@example.com")
    assert "in Spanish" in to_coordinators["Subject"]
    assert "please reply in Spanish" in text_part(to_coordinators)
    assert "Lucía" in text_part(to_coordinators)
    assert acknowledgement["Subject"].startswith("Recibimos tu mensaje")
    assert "Gracias por ofrecerte" in text_part(acknowledgement)
    stored = service.rows("SELECT json_extract(data, '$.language') FROM submissions")
    assert stored == [("es",)]


def test_the_desk_shows_the_language_and_its_reply_link_speaks_it(start_service, smtp: SmtpServer):
    service = start_service(smtp.port)
    with service.client() as client:
        r = client.post(SPANISH_API, data=valid_form(name="Lucía", help="admin"), headers=JSON)
    reference = r.json()["reference"]
    client = sign_in(service, smtp)
    listed = client.get("/desk/").text
    page = client.get(f"/desk/submissions/{reference}").text
    client.close()
    assert "Volunteer interest, in Spanish: Administrative support" in listed
    first = page.index("They wrote in Spanish: reply in Spanish.")
    assert first < page.index("Change status") < page.index("What they sent")
    # what they typed is read in Spanish by a screen reader; the desk's words stay English
    assert '<dd lang="es">Lucía</dd>' in page
    assert "<dd>Administrative support</dd>" in page
    subject = f"Tu%20ofrecimiento%20como%20voluntario%20o%20voluntaria%20%28{reference}%29"
    assert f"mailto:ada@example.com?subject={subject}" in page


def test_an_unknown_language_is_answered_in_english(service: Service):
    with service.client() as client:
        r = client.post(API + "?lang=xx", data=valid_form(hours="0"), headers=JSON)
        thanks = client.post(API + "?lang=../x", data=valid_form())
    assert r.json()["errors"]["hours"] == "Enter a whole number from 1 to 200"
    assert thanks.status_code == 200 and '<html lang="en"' in thanks.text
    assert "Your reference is" in thanks.text


# ---------- Spanish pages behind their English page ----------


def git(repo: Path, *args: str) -> str:
    env = {"GIT_AUTHOR_NAME": "E", "GIT_AUTHOR_EMAIL": "e@example.org"}
    env |= {"GIT_COMMITTER_NAME": "E", "GIT_COMMITTER_EMAIL": "e@example.org", "PATH": "/usr/bin"}
    return subprocess.run(
        ["git", "-C", str(repo), *args], capture_output=True, text=True, check=True, env=env
    ).stdout


def write(repo: Path, name: str, text: str) -> None:
    (repo / name).parent.mkdir(parents=True, exist_ok=True)
    (repo / name).write_text(text)


def check(repo: Path) -> str:
    result = subprocess.run(
        [sys.executable, str(ROOT / "tools" / "translations.py"), str(repo)],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0  # a warning, never a failure
    return result.stdout


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """Two pages in both languages, committed together."""
    repo = tmp_path / "site"
    repo.mkdir()
    git(repo, "init", "-q")
    for name in ("get-help", "safety"):
        write(repo, f"docs/{name}.md", "English\n")
        write(repo, f"docs/es/{name}.md", "Español\n")
    git(repo, "add", ".")
    git(repo, "commit", "-qm", "both languages")
    return repo


def test_a_spanish_page_behind_its_english_page_is_listed(repo: Path):
    assert "each is in step" in check(repo)
    write(repo, "docs/get-help.md", "English, changed\n")
    assert "docs/es/get-help.md may be behind docs/get-help.md (the English page has unsaved" in (
        check(repo)
    )
    git(repo, "commit", "-qam", "English only")
    out = check(repo)
    assert "docs/es/get-help.md may be behind docs/get-help.md" in out
    assert "changed in 1 commit(s) since" in out and "safety" not in out
    write(repo, "docs/es/get-help.md", "Español, al día\n")
    git(repo, "commit", "-qam", "Spanish in step")
    assert "each is in step" in check(repo)


def test_the_check_works_on_a_shallow_clone(repo: Path, tmp_path: Path):
    write(repo, "docs/safety.md", "English, changed\n")
    git(repo, "commit", "-qam", "English only")
    shallow = tmp_path / "shallow"
    git(tmp_path, "clone", "-q", "--depth", "1", f"file://{repo}", str(shallow))
    out = check(shallow)
    assert "docs/es/safety.md may be behind docs/safety.md (unknown" in out
    deep = tmp_path / "deep"
    git(tmp_path, "clone", "-q", f"file://{repo}", str(deep))
    assert "changed in 1 commit(s) since" in check(deep)


def advised_line(out: str) -> str:
    """The line the check's advice says to add to the Spanish page."""
    return re.search(r"<!-- matches English: [0-9a-f]{8} -->", out)[0]


def test_a_spanish_page_compared_and_found_to_match_is_in_step(repo: Path):
    """How we work's case: the English page gained 'a lawyer' beside 'an attorney', which
    Spanish's 'abogado' already says. History alone warned until someone changed the
    Spanish page for nothing; the advice (no git: editors have the web editor) gives a
    line that says the Spanish page matches this English version."""
    english = (ROOT / "docs" / "how-we-work.md").read_text(encoding="utf-8")
    before = english.replace("an attorney, a lawyer who", "an attorney who")
    write(repo, "docs/how-we-work.md", before)
    spanish = (ROOT / "docs/es/how-we-work.md").read_text(encoding="utf-8")
    write(repo, "docs/es/how-we-work.md", re.sub(r"\n<!-- matches English: \w+ -->", "", spanish))
    git(repo, "add", ".")
    git(repo, "commit", "-qm", "How we work in both languages")
    write(repo, "docs/how-we-work.md", english)
    git(repo, "commit", "-qam", "English: attorneys are lawyers too")
    out = check(repo)
    assert "docs/es/how-we-work.md may be behind docs/how-we-work.md" in out
    assert "web editor" in out and "git" not in out.lower()
    spanish = (repo / "docs/es/how-we-work.md").read_text()
    write(repo, "docs/es/how-we-work.md", spanish + "\n" + advised_line(out) + "\n")
    assert "each is in step" in check(repo)  # in the working copy, as in the editor
    git(repo, "commit", "-qam", "Spanish: compared, it matches")
    assert "each is in step" in check(repo)
    # the English page changes again: the line no longer matches, so it warns again
    write(repo, "docs/how-we-work.md", english + "\nA new paragraph.\n")
    git(repo, "commit", "-qam", "English: more")
    assert "since it was last compared" in check(repo)
    # and back to the version compared: in step, though history says English changed last
    write(repo, "docs/how-we-work.md", english)
    git(repo, "commit", "-qam", "English: as it was")
    assert "each is in step" in check(repo)


def test_no_built_page_shows_the_line_that_says_a_page_matches(site_dir: Path, site_pages):
    assert "<!-- matches English:" in (ROOT / "docs/es/how-we-work.md").read_text()
    for path in site_pages:
        assert "matches English" not in page_html(site_dir, path), path
    index = (site_dir / "es" / "search" / "search_index.json").read_text(encoding="utf-8")
    assert "matches English" not in index


def test_a_page_compared_with_its_english_is_in_step_on_a_shallow_clone(repo: Path, tmp_path):
    write(repo, "docs/safety.md", "English, changed\n")
    git(repo, "commit", "-qam", "English only")
    line = advised_line(check(repo))
    write(repo, "docs/es/safety.md", "Español\n\n" + line + "\n")
    git(repo, "commit", "-qam", "Spanish: compared")
    write(repo, "docs/get-help.md", "English, changed\n")
    git(repo, "commit", "-qam", "English only, again")
    shallow = tmp_path / "shallow"
    git(tmp_path, "clone", "-q", "--depth", "1", f"file://{repo}", str(shallow))
    out = check(shallow)
    assert "docs/es/get-help.md may be behind" in out and "safety" not in out


def test_the_check_says_so_outside_a_git_checkout(tmp_path: Path):
    assert "not a git checkout" in check(tmp_path)


def test_the_coordinators_email_shows_the_language_first():
    """The email lists a submission through Form.readable."""
    spanish = VOLUNTEER.readable({"language": "es", "name": "Lucía"})
    assert spanish[0] == ("Wrote in", "Spanish (please reply in Spanish)")
    assert ("Your name", "Lucía") in spanish
    assert VOLUNTEER.readable({"language": "en"})[0] == ("Wrote in", "English")
    assert VOLUNTEER.readable({"name": "Before"})[0][0] == "Your name"  # stored before this


def test_a_quoted_label_keeps_its_capital_in_spanish(service: Service):
    """Spanish quotes a label as the form shows it (Elige una de las opciones de “Quién
    escribe”); English names it in lower case inside its sentence."""
    bad = valid_contact(who="nadie", ways=["email", "fax"])
    with service.client() as client:
        spanish = client.post(SPANISH_CONTACT, data=bad, headers=JSON).json()["errors"]
        english = client.post("/api/forms/contact", data=bad, headers=JSON).json()["errors"]
    assert spanish == {
        "who": "Elige una de las opciones de “Quién escribe”",
        "ways": "Elige solo entre las opciones de “Cómo podemos comunicarnos contigo”",
    }
    assert english == {
        "who": "Choose one of the options for who is writing",
        "ways": "Choose only from the options listed for how we may reach you",
    }
