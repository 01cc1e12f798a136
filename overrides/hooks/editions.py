"""MkDocs hook: the site in more than one language, one MkDocs project per language.

Material's blog plugin does not work with the i18n plugin, so each language is a
project of its own (`mkdocs.yml` for English, `mkdocs.es.yml` for Spanish), as
Material's documentation suggests. The English build builds the other editions into
its own site folder (`site/es/`) when it is done, so `mkdocs build`, `make run`,
Netlify and `mkdocs serve` all produce the whole site with one command.

A page's counterpart is the file of the same name in the other edition's docs folder
(`docs/get-help.md` <-> `docs/es/get-help.md`). The language switch and the
`hreflang` links of each page lead to it, or to that edition's home where it has none.
Material's own selector (`extra.alternate`) only ever links each language's home, so
it is not used.
"""

from __future__ import annotations

import gzip
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from mkdocs.commands.build import build
from mkdocs.config import load_config
from mkdocs.structure.files import File, Files

SITEMAP = "sitemap.xml"
_URLSET = re.compile(r"(<urlset[^>]*>)(.*)(</urlset>)", re.S)


@dataclass(frozen=True)
class Edition:
    lang: str
    name: str
    path: str  # where it lives under the site's root: "" or "es/"
    docs_dir: Path
    config_file: Path


def editions(config: Any) -> list[Edition]:
    """The editions listed under `extra.editions`, folders resolved from the project's root."""
    root = Path(config.config_file_path).parent
    return [
        Edition(e["lang"], e["name"], e["path"], root / e["docs_dir"], root / e["config"])
        for e in config.extra["editions"]
    ]


def this_edition(config: Any) -> Edition:
    return next(e for e in editions(config) if e.lang == config.theme["language"])


def site_root(config: Any) -> str:
    """The address of the English home, whatever edition is being built."""
    return config.site_url.removesuffix(this_edition(config).path) if config.site_url else "/"


def counterparts(config: Any, page: Any) -> list[dict[str, Any]]:
    """One entry per edition for `page`: the same page where the other edition has it,
    else that edition's home (always the home for the 404 page, which has no file).
    `href` is for links (from the site's root), `url` the full address for `hreflang`."""
    root = site_root(config)
    root_path = urlsplit(root).path or "/"
    src_uri, url = (page.file.src_uri, page.url) if page and page.file else ("", "")
    own = this_edition(config)
    english = editions(config)[0].docs_dir
    found = []
    for e in editions(config):
        if e == own:
            same = bool(src_uri)
        else:
            source = e.docs_dir / src_uri
            # the English folder holds the others' folders: a file in one is not English
            nested = [o.docs_dir for o in editions(config) if o.docs_dir != english]
            in_other = e.docs_dir == english and any(source.is_relative_to(n) for n in nested)
            same = bool(src_uri) and source.is_file() and not in_other
        where = e.path + (url if same else "")
        found.append(
            {
                "lang": e.lang,
                "name": e.name,
                "href": root_path + where,
                "url": root + where,
                "same": same,
                "current": e == own,
            }
        )
    return found


def on_env(env: Any, config: Any, files: Files) -> Any:
    env.globals["editions_of"] = lambda page: counterparts(config, page)
    return env


def on_files(files: Files, config: Any) -> Files:
    """Another edition uses the English site's assets (styles, scripts, logo) as its own."""
    own, english = this_edition(config), editions(config)[0]
    if own == english:
        return files
    assets = english.docs_dir / "assets"
    for path in sorted(p for p in assets.rglob("*") if p.is_file()):
        uri = path.relative_to(english.docs_dir).as_posix()
        if files.get_file_from_path(uri) is None:
            source = str(english.docs_dir)
            files.append(File(uri, source, config.site_dir, config.use_directory_urls))
    return files


def on_post_build(config: Any, **kwargs: Any) -> None:
    """After the English build: build every other edition into its folder, then list all
    of their pages in the one sitemap."""
    own = this_edition(config)
    if own != editions(config)[0]:
        return
    site = Path(config.site_dir)
    for e in editions(config)[1:]:
        other = load_config(
            str(e.config_file),
            site_dir=str(site / e.path),
            site_url=site_root(config) + e.path if config.site_url else None,
            strict=config.strict,
        )
        build(other)
        _merge_sitemaps(site / SITEMAP, site / e.path / SITEMAP)


def _merge_sitemaps(main: Path, other: Path) -> None:
    if not (main.is_file() and other.is_file()):
        return
    head, body, tail = _URLSET.search(main.read_text(encoding="utf-8")).groups()
    extra = _URLSET.search(other.read_text(encoding="utf-8"))[2]
    text = main.read_text(encoding="utf-8").replace(head + body + tail, head + body + extra + tail)
    main.write_text(text, encoding="utf-8")
    Path(str(main) + ".gz").write_bytes(gzip.compress(text.encode("utf-8"), mtime=0))
    other.unlink()
    Path(str(other) + ".gz").unlink(missing_ok=True)
