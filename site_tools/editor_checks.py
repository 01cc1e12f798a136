"""Checks that speak to editors: what in a Markdown page would break it or hurt readers,
in plain words, with the file, the line and what to do.

Every build lists them, most harmful first: what would break a page (and stop a
publish), then warnings, then reminders (sentences to confirm), one line or one folded
list per page so they never hide the rest. A deploy preview (Netlify's
CONTEXT=deploy-preview) also shows them on a page of its own, /editor-checks/, which no
other build writes. A production
build stops on those that would break a page (a broken link or anchor, an admonition
that would publish empty, a volunteer or contact page without its form), as the launch
guard stops on stand-ins. They read the Markdown sources only, so any engine can run
them.

The reading grade is for the pages survivors read first. English is measured with
Flesch-Kincaid (a school grade); Spanish with Fernández Huerta (a 0-100 ease score,
below 60 is harder than grade 8). Syllables are counted by rule, so a grade is a
guide, not a verdict.
"""

from __future__ import annotations

import html
import itertools
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from markdown import Markdown
from markdown.extensions.toc import slugify

from .admonitions import DEFAULT_TITLES, default_title
from .launch_guard import STAND_INS, LaunchBlocked
from .project import Project
from .translations import advice, is_checkout, pages_behind

PAGE = "editor-checks"
FORM_PAGES = {"volunteer/index.md": "volunteer", "contact.md": "contact"}
FIRST_READ = ("index.md", "get-help.md", "safety.md", "contact.md")
MAX_GRADE = 8
EXTENSIONS = ["admonition", "attr_list", "md_in_html", "pymdownx.details"]

FENCE = re.compile(r"^\s*(```|~~~)")
LINK = re.compile(r"(?<!!)\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
IMAGE = re.compile(r"!\[([^\]]*)\]\(([^)]*)\)")
IMG_TAG = re.compile(r"<img\b(?![^>]*\balt=\"[^\"]+\")[^>]*>", re.I)
HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
ATTR_ID = re.compile(r"\{[^}]*#([\w-]+)[^}]*\}\s*$")
HTML_ID = re.compile(r"\bid=\"([^\"]+)\"")
ADMONITION = re.compile(r"^(?:!!!|\?\?\?\+?) ?[\w-]")  # the space is optional, as in Markdown
OUTSIDE = re.compile(r"^(?:[a-z][a-z0-9+.-]*:|//|/)", re.I)


@dataclass(frozen=True)
class Finding:
    path: str
    line: int
    problem: str
    todo: str
    breaks: bool = False  # would break the published page: a production build stops
    reminder: bool = False  # known and wanted for now (a sentence to confirm): listed last

    def __str__(self) -> str:
        return f"{self.path}, line {self.line}: {self.problem}. {self.todo}"

    @property
    def rank(self) -> int:
        """0 breaks a page (and stops a publish), 1 a warning, 2 a reminder."""
        return 0 if self.breaks else 2 if self.reminder else 1


# The three kinds, most harmful first: a heading and what it means, for the build's log
# and the preview's page.
KINDS = (
    ("Would break a page", "A published build stops on these: fix them first."),
    ("Warnings", "The page is published, but some readers are let down: fix these next."),
    (
        "Reminders",
        "Sentences the organization has still to confirm, grouped by page: they break no page.",
    ),
)


def by_harm(findings: list[Finding]) -> list[list[Finding]]:
    """The findings in three lists, as KINDS names them, each in the order found."""
    return [[f for f in findings if f.rank == rank] for rank in range(len(KINDS))]


def reminders_by_page(reminders: list[Finding]) -> dict[str, list[Finding]]:
    """Reminders grouped by page, pages in the order first met."""
    pages: dict[str, list[Finding]] = {}
    for finding in reminders:
        pages.setdefault(finding.path, []).append(finding)
    return pages


def counted(findings: list[Finding]) -> str:
    """'1 would break a page, 2 warning(s), 47 reminder(s) on 8 page(s)', leaving out
    what there is none of."""
    breaking, warnings, reminders = by_harm(findings)
    parts = [f"{len(breaking)} would break a page"] if breaking else []
    parts += [f"{len(warnings)} warning(s)"] if warnings else []
    if reminders:
        pages = len(reminders_by_page(reminders))
        parts.append(f"{len(reminders)} reminder(s) on {pages} page(s)")
    return ", ".join(parts)


def lines_outside_code(text: str) -> Iterator[tuple[int, str]]:
    """Each line with its number, leaving out front matter and fenced code."""
    lines = text.splitlines()
    start = 0
    if lines and lines[0] == "---":
        start = next((i + 1 for i, line in enumerate(lines[1:], 1) if line == "---"), 0)
    fenced = False
    for number, line in enumerate(lines[start:], start + 1):
        if FENCE.match(line):
            fenced = not fenced
        elif not fenced:
            yield number, line


def anchors(text: str) -> set[str]:
    """The ids a page's headings and elements get (MkDocs' default heading ids)."""
    found = set()
    for _, line in lines_outside_code(text):
        if heading := HEADING.match(line):
            own = ATTR_ID.search(heading[2])
            title = ATTR_ID.sub("", heading[2])
            found.add(own[1] if own else slugify(re.sub(r"[*_`]|\[|\]\([^)]*\)", "", title), "-"))
        found.update(HTML_ID.findall(line))
    return found


def linked_anchors(linked: Path) -> set[str]:
    """The ids a linked Markdown page has (a linked file of another kind: any id)."""
    if linked.suffix != ".md":
        return {anchor for anchor in HTML_ID.findall(linked.read_text(errors="replace"))}
    return anchors(linked.read_text(encoding="utf-8"))


def check_links(path: Path, rel: str, text: str) -> Iterator[Finding]:
    for number, line in lines_outside_code(text):
        for target in LINK.findall(re.sub(r"`[^`]*`", "", line)):
            if OUTSIDE.match(target):
                continue  # another site, an email or phone link, or an address on this site
            file_part, _, anchor = target.partition("#")
            linked = (path.parent / file_part).resolve() if file_part else path
            if not linked.exists():
                yield Finding(
                    rel,
                    number,
                    f"the link to {target} leads nowhere ({file_part} does not exist)",
                    "Check the file name and folder of the page you meant, or remove the link.",
                    breaks=True,
                )
            elif anchor and anchor not in linked_anchors(linked):
                yield Finding(
                    rel,
                    number,
                    f"the link to {target} points to a heading that does not exist",
                    f"Use the heading's id as it is now (its words in lower case joined"
                    f" by -), or link to the page without #{anchor}.",
                    breaks=True,
                )


def check_images(rel: str, text: str) -> Iterator[Finding]:
    todo = "Describe the image in a few words between the [ ], for people who cannot see it."
    for number, line in lines_outside_code(text):
        for alt, source in IMAGE.findall(line):
            if not alt.strip():
                yield Finding(rel, number, f"the image {source} has no alt text", todo)
        if IMG_TAG.search(line):
            yield Finding(rel, number, "an <img> has no alt text", 'Add alt="a few words".')


def check_headings(rel: str, text: str) -> Iterator[Finding]:
    level = 1  # the page's title is its level-1 heading
    for number, line in lines_outside_code(text):
        if heading := HEADING.match(line):
            new = len(heading[1])
            if new > level + 1:
                yield Finding(
                    rel,
                    number,
                    f"the heading jumps from level {level} to {new}",
                    f"Use {'#' * (level + 1)} here: screen-reader users move by heading"
                    " levels and think a part is missing.",
                )
            level = new


def check_admonitions(rel: str, text: str) -> Iterator[Finding]:
    lines = list(lines_outside_code(text))
    for at, (number, line) in enumerate(lines):
        if not ADMONITION.match(line):
            continue
        body = next((b for _, b in lines[at + 1 :] if b.strip()), "")
        if not body.startswith(("    ", "\t")):  # Markdown takes a tab for four spaces
            yield Finding(
                rel,
                number,
                "the box starting here has no indented text, so it would publish empty",
                "Indent the lines that belong in the box by four spaces.",
                breaks=True,
            )


UNTITLED_BOX = re.compile(r"^(?:!!!|\?\?\?\+?) ?([\w-]+)[\w\s-]*$")  # no "title" after it


def check_box_titles(rel: str, text: str, lang: str) -> Iterator[Finding]:
    """A box without a title on a page of another language than English shows its type's
    English word, unless the build knows the word in that language."""
    known = DEFAULT_TITLES.get(lang)
    if known is None:
        return
    for number, line in lines_outside_code(text):
        if (box := UNTITLED_BOX.match(line.rstrip())) and box[1] not in known:
            yield Finding(
                rel,
                number,
                f"the box starting here has no title, so it would show the English word"
                f' "{default_title(box[1])}"',
                f'Write its title in quotes after the type, like {line.strip()} "Tu título".',
            )


def check_form_line(rel: str, inside: str, text: str) -> Iterator[Finding]:
    slug = FORM_PAGES.get(inside)
    marker = f"<!-- {slug}-form -->"
    if slug and marker not in [line.strip() for line in text.splitlines()]:
        yield Finding(
            rel,
            1,
            "the page has lost its form line, so it would have no form",
            f"Put the line {marker} back, on a line of its own, where the form goes.",
            breaks=True,
        )


def check_to_confirm(rel: str, text: str) -> Iterator[Finding]:
    marker = STAND_INS["a statement to confirm"]
    for number, line in lines_outside_code(text):
        if found := marker.search(line):
            yield Finding(
                rel,
                number,
                f"a sentence still waits for the organization to confirm it ({found[0]})",
                "Once the organization agrees a sentence is true, delete its marker;"
                " otherwise change or delete the sentence (production builds stop while"
                " any is left).",
                reminder=True,
            )


def plain_text(text: str) -> str:
    """The words a reader reads: Markdown rendered, tags, code and comments dropped."""
    body = "\n".join(line for _, line in lines_outside_code(text))
    body = re.sub(r"^(?:!!!|\?\?\?\+?)\s+\w+\s*", "", body, flags=re.M)
    rendered = Markdown(extensions=EXTENSIONS).convert(body)
    rendered = re.sub(r"<(h\d|p|li|td|th|div)\b[^>]*>", "\n\n", rendered)
    return html.unescape(re.sub(r"<[^>]+>", " ", rendered))


def sentences_and_words(text: str) -> tuple[int, list[str]]:
    """How many sentences (a heading or a list item without a full stop is one) and the
    words."""
    blocks = [b for b in re.split(r"\n\s*\n", text) if re.search(r"\w", b)]
    sentences = sum(max(1, len(re.findall(r"[.!?]+(?=\s|$)", b.strip()))) for b in blocks)
    words = re.findall(r"[^\W\d_]+(?:['\u2019][^\W\d_]+)*", text)
    return sentences, words


def english_syllables(word: str) -> int:
    w = re.sub(r"[^a-z]", "", word.lower())
    if len(w) <= 3:
        return 1
    w = re.sub(r"(?:[^laeiouy]es|ed|[^laeiouy]e)$", "", w).removeprefix("y")
    return max(1, len(re.findall(r"[aeiouy]{1,2}", w)))


def spanish_syllables(word: str) -> int:
    """Vowel groups, split where two strong vowels (a, e, o, or an accented i or u) meet."""
    strong = set("aeoáéóíú")
    count = 0
    for group in re.findall(r"[aeiouáéíóúü]+", word.lower()):
        count += 1 + sum(a in strong and b in strong for a, b in itertools.pairwise(group))
    return max(1, count)


def reading_grade(text: str, lang: str) -> tuple[float, str]:
    """The school grade the page reads at, and how it was measured."""
    sentences, words = sentences_and_words(plain_text(text))
    if not words:
        return 0.0, ""
    if lang == "es":
        syllables = sum(map(spanish_syllables, words))
        ease = 206.84 - 60 * syllables / len(words) - 102 * sentences / len(words)
        grade = next(
            (g for floor, g in ((90, 4), (80, 5), (70, 6), (60, 8), (50, 10)) if ease >= floor), 12
        )
        return float(grade), f"Fernández Huerta ease {ease:.0f} (60 or more is grade 8)"
    syllables = sum(map(english_syllables, words))
    grade = 0.39 * len(words) / sentences + 11.8 * syllables / len(words) - 15.59
    return grade, f"Flesch-Kincaid grade {grade:.1f}"


def check_reading(rel: str, inside: str, text: str, lang: str) -> Iterator[Finding]:
    if inside not in FIRST_READ:
        return
    grade, how = reading_grade(text, lang)
    if grade > MAX_GRADE:
        yield Finding(
            rel,
            1,
            f"survivors read this page first, and it reads above grade {MAX_GRADE} ({how})",
            "Use shorter sentences and everyday words; split long paragraphs.",
        )


def check_project(project: Project) -> list[Finding]:
    """Every finding in every edition's Markdown pages, then the Spanish pages behind."""
    found: list[Finding] = []
    folders = sorted(
        {e.docs_dir: e for e in project.editions}.items(), key=lambda i: -len(str(i[0]))
    )
    for path in sorted(project.editions[0].docs_dir.rglob("*.md")):
        docs, edition = next((d, e) for d, e in folders if path.is_relative_to(d))
        rel, inside = path.relative_to(project.root).as_posix(), path.relative_to(docs).as_posix()
        text = path.read_text(encoding="utf-8")
        found += [
            *check_links(path, rel, text),
            *check_images(rel, text),
            *check_headings(rel, text),
            *check_admonitions(rel, text),
            *check_box_titles(rel, text, edition.lang),
            *check_form_line(rel, inside, text),
            *check_to_confirm(rel, text),
            *check_reading(rel, inside, text, edition.lang),
        ]
    for behind in pages_behind(project.root) if is_checkout(project.root) else []:
        found.append(
            Finding(
                behind.spanish,
                1,
                f"this Spanish page may be behind {behind.english} ({behind.why})",
                advice(behind),
            )
        )
    return found


def report(findings: list[Finding], production: bool) -> str:
    """The findings for the build's log ("" when none), most harmful first, a page's
    reminders on one line; raises LaunchBlocked in a production build when one would
    break a page."""
    if not findings:
        return ""
    breaking = by_harm(findings)[0]
    if production and breaking:
        raise LaunchBlocked(
            f"Editors' checks: {len(breaking)} problem(s) would break a page, so nothing is"
            f" published until they are fixed:\n" + "\n".join(f"  {f}" for f in breaking)
        )
    sections = []
    for (heading, meaning), found in zip(KINDS, by_harm(findings), strict=True):
        if not found:
            continue
        if found[0].reminder:
            meaning = " ".join([meaning, *what_to_do(found)])
            lines = [reminder_line(page) for page in reminders_by_page(found).values()]
        else:
            lines = [str(f) for f in found]
        sections.append(
            f"{heading} ({len(found)}). {meaning}\n" + "\n".join(f"  {x}" for x in lines)
        )
    return f"Editors' checks: {counted(findings)}:\n" + "\n".join(sections)


def reminder_line(page: list[Finding]) -> str:
    """One page's reminders in one line: its lines, then each problem once."""
    lines = ", ".join(str(f.line) for f in page)
    said = "; ".join(dict.fromkeys(f.problem for f in page))
    return f"{page[0].path}, line{'s' if len(page) > 1 else ''} {lines}: {said}."


def what_to_do(reminders: list[Finding]) -> list[str]:
    """What to do about the reminders, each advice once (it is the same on every page)."""
    return list(dict.fromkeys(f.todo for f in reminders))


def is_deploy_preview() -> bool:
    """Netlify sets CONTEXT to deploy-preview for the build of a pull request."""
    return os.environ.get("CONTEXT", "") == "deploy-preview"


def finding_html(finding: Finding, where: str) -> str:
    return (
        f"<li><p><strong>{html.escape(where)}</strong>: {html.escape(finding.problem)}.</p>"
        f"<p>{html.escape(finding.todo)}</p></li>"
    )


def section_html(heading: str, meaning: str, found: list[Finding]) -> str:
    """One kind of finding: a list, or for reminders a folded list per page."""
    top = f'<h2 id="{heading.lower().replace(" ", "-")}">{heading} ({len(found)})</h2>\n'
    top += f"<p>{html.escape(meaning)}</p>\n"
    if not found[0].reminder:
        items = "\n".join(finding_html(f, f"{f.path}, line {f.line}") for f in found)
        return f"{top}<ol>\n{items}\n</ol>\n"
    top += "".join(f"<p>{html.escape(todo)}</p>\n" for todo in what_to_do(found))
    pages = []
    for path, page in reminders_by_page(found).items():
        items = "\n".join(
            f"<li><strong>line {f.line}</strong>: {html.escape(f.problem)}.</li>" for f in page
        )
        pages.append(
            f"<details>\n<summary>{html.escape(path)}: {len(page)} reminder(s)</summary>\n"
            f"<ul>\n{items}\n</ul>\n</details>"
        )
    return top + "\n".join(pages) + "\n"


def write_page(site: Path, findings: list[Finding]) -> Path:
    """The findings as a page of their own, for a deploy preview only: what would break a
    page first, then warnings, then the reminders folded away page by page."""
    if findings:
        summary = f"<p>Before this change is published: {html.escape(counted(findings))}.</p>"
        if not by_harm(findings)[0]:
            summary += "\n<p>Nothing here would break a page.</p>"
    else:
        summary = "<p>Nothing to look at: every check passed.</p>"
    sections = "".join(
        section_html(heading, meaning, found)
        for (heading, meaning), found in zip(KINDS, by_harm(findings), strict=True)
        if found
    )
    page = site / PAGE / "index.html"
    page.parent.mkdir(parents=True, exist_ok=True)
    page.write_text(
        '<!doctype html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        '<meta name="robots" content="noindex, nofollow">\n'
        "<title>Checks for editors - preview</title>\n"
        '<link rel="stylesheet" href="/assets/stylesheets/site.css">\n</head>\n<body>\n'
        "<main>\n<h1>Checks for editors</h1>\n"
        "<p>This page is only on deploy previews, never on the published site.</p>\n"
        f"{summary}\n{sections}</main>\n</body>\n</html>\n",
        encoding="utf-8",
    )
    return page
