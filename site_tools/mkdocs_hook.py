"""MkDocs hook: MkDocs' one link to the site's own steps (`site_tools`).

Everything the site adds is plain Python on built files, so another engine runs the
same steps with `python -m site_tools finish site/`. MkDocs runs them here, so
`mkdocs build`, `mkdocs serve`, `make run` and Netlify still give the whole site with
one command: the launch guard and the editors' checks before anything is written (a
production build with stand-ins, or with a page an editor broke, writes nothing),
each page's markers filled in before the search plugin indexes it (so the index holds
the days, the forms' words and the marks as the page shows them), then, after the
English build, the other editions built into their folders (`site/es/`), their titles
checked and every page finished. The other editions' builds load this hook too, for
their pages' markers; the English build alone guards and finishes.
It lives here, not in overrides/: Zensical copies the theme folder into the site whole.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from mkdocs.commands.build import build
from mkdocs.config import load_config
from mkdocs.exceptions import Abort

from site_tools import editor_checks
from site_tools.admin import EditorMissing
from site_tools.finish import fill_in, finish_site
from site_tools.launch_guard import (
    LaunchBlocked,
    check,
    check_titles,
    is_production,
    mark_to_confirm,
)
from site_tools.project import Project, load, write_configs

log = logging.getLogger("mkdocs.hooks.site")


def _first_edition(config: Any) -> Project | None:
    """The project when `config` is its first edition's, which builds the others."""
    project = load(Path(config.config_file_path).parent, config.site_url)
    return project if config.theme["language"] == project.editions[0].lang else None


def on_config(config: Any, **kwargs: Any) -> Any:
    if not (project := _first_edition(config)):
        return config
    try:
        # the editors' checks first: what breaks a page before the list of stand-ins
        messages = [
            editor_checks.report(editor_checks.check_project(project), is_production()),
            check(project),
        ]
    except LaunchBlocked as blocked:
        raise Abort(str(blocked)) from None
    for message in filter(None, messages):
        log.info(message)
    return config


def on_page_content(html: str, config: Any, **kwargs: Any) -> str:
    return mark_to_confirm(fill_in(html, config.theme["language"]))


def on_post_build(config: Any, **kwargs: Any) -> None:
    if not (project := _first_edition(config)):
        return
    site = Path(config.site_dir)
    for path in write_configs(project):
        log.info("Wrote %s", path.name)
    for edition in project.editions[1:]:
        other = load_config(
            str(edition.config_file),
            site_dir=str(site / edition.path),
            site_url=project.site_url + edition.path if config.site_url else None,
            strict=config.strict,
        )
        build(other)
    try:
        check_titles(site, project)
        finish_site(site, project)
    except (LaunchBlocked, EditorMissing) as stopped:
        raise Abort(str(stopped)) from None
