"""Every navigation landmark of a page gets a name of its own.

Screen-reader users move between landmarks by name, so two with the same name, or one
with none, leave them guessing which is which (axe: landmark-unique). Material names the
table of contents in the menu as it names the one beside the page (and their sub-lists
alike), labels a section's list in the menu by a label holding only an icon when the
section has an index page, and names none of the blog's lists. Rather than keep copies
of Material's templates in step, they are named on every built page of every edition,
in that edition's words (`extra.words`). A list named
by a label keeps its `aria-labelledby` (Material's script finds the list by it): the
label gets the name.
"""

from __future__ import annotations

import html
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from html.parser import HTMLParser

_LABEL = re.compile(r'\s+aria-label="[^"]*"')
_NAME = re.compile(r"<[a-zA-Z0-9]+")
_VOID = frozenset({"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta"})


@dataclass(frozen=True)
class Tag:
    start: int  # where it is in the page
    text: str  # as written

    def named(self, name: str) -> str:
        """This start tag with `name` as its aria-label, in place of any it had."""
        bare = _LABEL.sub("", self.text)
        end = _NAME.match(bare).end()
        return f'{bare[:end]} aria-label="{html.escape(name)}"{bare[end:]}'


@dataclass
class Nav:
    """One <nav> of a page and what can name it."""

    tag: Tag
    classes: list[str]
    label: str  # its aria-label
    labelledby: list[str]  # the ids in its aria-labelledby
    in_menu: bool  # inside the site's menu (Material's primary navigation)
    heading: str  # the last <h2> before it (a blog post's title, above its excerpt)
    caption: str  # the last caption before it (the blog post sidebar's "Metadata")
    title: str = ""  # the <label class="md-nav__title"> inside it (a section's title)
    text: str = ""  # all of its text


@dataclass
class _Capture:
    tag: str
    done: Callable[[str], None]
    depth: int = 1
    parts: list[str] = field(default_factory=list)


class _Page(HTMLParser):
    """Finds each <nav> and the texts that can name it."""

    def __init__(self, page: str) -> None:
        super().__init__(convert_charrefs=True)
        self.lines = [0] + [m.end() for m in re.finditer("\n", page)]
        self.navs: list[Nav] = []
        self.ids: dict[str, str] = {}  # the text of each element with an id
        self.tags: dict[str, Tag] = {}  # the start tag of each
        self._open: list[Nav] = []
        self._captures: list[_Capture] = []
        self._heading = self._caption = ""
        self.feed(page)
        self.close()

    def _capture(self, tag: str, done: Callable[[str], None]) -> None:
        self._captures.append(_Capture(tag, done))

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for capture in self._captures:
            capture.depth += capture.tag == tag
        a = {name: value or "" for name, value in attrs}
        classes = a.get("class", "").split()
        if "id" in a and tag not in _VOID:
            self.tags[a["id"]] = self._tag()
            self._capture(tag, lambda text, key=a["id"]: self.ids.__setitem__(key, text))
        if tag == "nav":
            self._start_nav(a, classes)
        elif tag == "label" and "md-nav__title" in classes and self._open:
            nav = self._open[-1]
            self._capture(tag, lambda text: setattr(nav, "title", nav.title or text))
        elif tag == "h2":
            self._capture(tag, lambda text: setattr(self, "_heading", text))
        elif "md-post__title" in classes:
            self._capture(tag, lambda text: setattr(self, "_caption", text))

    def _tag(self) -> Tag:
        line, column = self.getpos()
        return Tag(self.lines[line - 1] + column, self.get_starttag_text() or "")

    def _start_nav(self, a: dict[str, str], classes: list[str]) -> None:
        nav = Nav(
            tag=self._tag(),
            classes=classes,
            label=a.get("aria-label", "").strip(),
            labelledby=a.get("aria-labelledby", "").split(),
            in_menu=any(_is_menu(o) for o in self._open),
            heading=self._heading,
            caption=self._caption,
        )
        self.navs.append(nav)
        self._open.append(nav)
        self._capture("nav", lambda text: self._end_nav(nav, text))

    def _end_nav(self, nav: Nav, text: str) -> None:
        nav.text = text
        self._open.remove(nav)

    def handle_endtag(self, tag: str) -> None:
        for capture in [c for c in self._captures if c.tag == tag]:
            capture.depth -= 1
            if capture.depth == 0:
                self._captures.remove(capture)
                capture.done(" ".join("".join(capture.parts).split()))

    def handle_data(self, data: str) -> None:
        for capture in self._captures:
            capture.parts.append(data)


def _is_menu(nav: Nav) -> bool:
    return "md-nav--primary" in nav.classes and bool(nav.label)


def _given_name(nav: Nav, ids: dict[str, str]) -> str:
    """The name Material gave it: its aria-label, or the text of what labels it."""
    return nav.label or " ".join(ids.get(i, "") for i in nav.labelledby).strip()


def _own_name(nav: Nav, ids: dict[str, str], words: dict[str, str]) -> str:
    """A name for one nav from what it is, before telling apart those that share one."""
    if given := _given_name(nav, ids):
        return given
    if nav.title:  # a section of the menu
        return nav.title
    if "md-post__action" in nav.classes:  # "Continue reading" under each post's excerpt
        return f"{nav.text}: {nav.heading}"
    if "md-pagination" in nav.classes:
        return words["nav_pages"]
    if "md-nav--primary" in nav.classes:  # the sidebar of a blog post
        return words["nav_post"]
    return nav.caption  # the lists of that sidebar: "Metadata", "Related links"


def _names(parsed: _Page, words: dict[str, str]) -> list[tuple[Nav, str]]:
    """Each nav of a page with its name: its own, with "in the menu" when a nav outside
    the menu has the same, and a number after the first as a last resort."""
    own = [(nav, _own_name(nav, parsed.ids, words)) for nav in parsed.navs]
    outside = {name for nav, name in own if not nav.in_menu}
    told = [
        (nav, f"{name}, {words['nav_in_menu']}" if nav.in_menu and name in outside else name)
        for nav, name in own
    ]
    seen: Counter[str] = Counter()
    numbered = []
    for nav, name in told:
        seen[name] += 1
        numbered.append((nav, name if seen[name] == 1 else f"{name} ({seen[name]})"))
    return numbered


def name_landmarks(page: str, words: dict[str, str]) -> str:
    """The page with every nav whose name changes carrying it as an aria-label: its own,
    or that of the label it is labelled by."""
    parsed = _Page(page)
    edits = {}
    for nav, name in _names(parsed, words):
        if name and name != _given_name(nav, parsed.ids):
            label = parsed.tags.get(nav.labelledby[0]) if nav.labelledby else None
            edits[(label or nav.tag).start] = (label or nav.tag, name)
    out, at = [], 0
    for start in sorted(edits):
        tag, name = edits[start]
        out += [page[at:start], tag.named(name)]
        at = start + len(tag.text)
    return "".join(out) + page[at:]
