"""The desk's pages, rendered from the templates beside this module in the site's look.

The built site's own stylesheets (Material's, with their content hashes, and ours)
are found in its home page once at start-up, so the desk follows the site's theme
instead of keeping a second design.
"""

from __future__ import annotations

import re
from pathlib import Path

from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup

from .. import clock

_STYLESHEET = re.compile(r'<link rel="stylesheet" href="([^"]+)"')
_BODY = re.compile(r"<body([^>]*)>")
DESK_STYLESHEET = "assets/stylesheets/desk.css"


class Look:
    def __init__(self, site_dir: Path, timezone: str) -> None:
        home = site_dir / "index.html"
        text = home.read_text(encoding="utf-8") if home.is_file() else ""
        sheets = [href for href in _STYLESHEET.findall(text) if "://" not in href]
        if (site_dir / DESK_STYLESHEET).is_file():
            sheets.append(DESK_STYLESHEET)
        self.stylesheets = ["/" + href.lstrip("/") for href in sheets]
        body = _BODY.search(text)
        self.scheme = dict(re.findall(r'(data-md-color-[a-z]+)="([^"]*)"', body[1])) if body else {}
        self.timezone = timezone
        self.env = Environment(
            loader=PackageLoader("forms_service", "desk/templates"),
            autoescape=select_autoescape(default=True, default_for_string=True),
        )
        self.env.filters["when"] = self.when

    def when(self, timestamp: float) -> Markup:
        """A moment in the organisation's time zone with the zone named, as a person reads
        it, and with its offset in `datetime` for machines."""
        moment = clock.local(timestamp, self.timezone)
        return Markup('<time datetime="{}">{}</time>').format(
            clock.iso(moment), clock.readable(moment)
        )

    def render(self, template: str, **context: object) -> str:
        return self.env.get_template(template).render(look=self, **context)
