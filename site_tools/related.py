"""Under each blog post, the posts that share a category with it, newest first.

The posts, their dates, titles and categories come from their Markdown front matter;
a post's address is its slug (`slug:` or its title made into one, as the blog plugins
of Material and Zensical do) under the blog's folder.
"""

from __future__ import annotations

import datetime
import html
import posixpath
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pymdownx.slugs import slugify

MAX_RELATED = 3
TITLE = "Related posts"
_slug = slugify(case="lower")


@dataclass(frozen=True)
class Post:
    url: str  # under the site's root: "blog/a-title/"
    title: str
    date: datetime.date
    categories: tuple[str, ...]


def front_matter(path: Path) -> dict[str, Any]:
    """A Markdown file's YAML front matter ({} without one)."""
    text = path.read_text(encoding="utf-8")
    if not text.startswith("---\n"):
        return {}
    return yaml.safe_load(text[4:].partition("\n---")[0]) or {}


def blog_dir(config: dict[str, Any]) -> str | None:
    """The blog's folder under the docs, from the blog plugin's settings (None without)."""
    for plugin in config.get("plugins", []):
        if isinstance(plugin, dict) and "blog" in plugin:
            return (plugin["blog"] or {}).get("blog_dir", "blog")
        if plugin == "blog":
            return "blog"
    return None


def posts(docs_dir: Path, blog: str) -> list[Post]:
    found = []
    for path in sorted((docs_dir / blog / "posts").rglob("*.md")):
        meta = front_matter(path)
        if not meta.get("title") or not meta.get("date"):
            continue
        slug = meta.get("slug") or _slug(meta["title"], "-")
        date = meta["date"]
        created = date.get("created") if isinstance(date, dict) else date
        found.append(
            Post(f"{blog}/{slug}/", meta["title"], created, tuple(meta.get("categories", [])))
        )
    return found


def related_to(post: Post, every: list[Post]) -> list[Post]:
    """Those sharing a category, newest first, at most MAX_RELATED."""
    shared = [p for p in every if p != post and set(p.categories) & set(post.categories)]
    return sorted(shared, key=lambda p: p.date, reverse=True)[:MAX_RELATED]


def add_related(page: str, post: Post, every: list[Post]) -> str:
    """The page with its related posts at the end of its article (once)."""
    related = related_to(post, every)
    if not related or 'class="related-posts"' in page or "</article>" not in page:
        return page
    items = "\n".join(_item(p, post) for p in related)
    aside = (
        f'<aside class="related-posts" aria-labelledby="related-posts">'
        f'\n<h2 id="related-posts">{TITLE}</h2>\n<ul>\n{items}\n</ul>\n</aside>\n'
    )
    at = page.index("</article>")
    return page[:at] + aside + page[at:]


def _item(post: Post, page: Post) -> str:
    href = posixpath.relpath(post.url, page.url) + "/"
    return f'<li><a href="{html.escape(href)}">{html.escape(post.title)}</a></li>'
