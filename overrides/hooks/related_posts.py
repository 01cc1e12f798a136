"""MkDocs hook: list related posts (those sharing a category) under each blog post."""

from __future__ import annotations

import html
from typing import Any

from mkdocs.utils import get_relative_url

MAX_RELATED = 3


def on_page_content(html_text: str, page: Any, **kwargs: Any) -> str:
    categories = getattr(page, "categories", None)
    if not categories or not hasattr(page, "excerpt"):
        return html_text
    related: list[Any] = []
    for category in categories:
        related += [p for p in category.posts if p is not page and p not in related]
    related.sort(key=lambda p: p.config.date.created, reverse=True)
    if not related:
        return html_text
    items = "\n".join(_item(p, page) for p in related[:MAX_RELATED])
    return (
        f'{html_text}\n<aside class="related-posts" aria-labelledby="related-posts">'
        f'\n<h2 id="related-posts">Related posts</h2>\n<ul>\n{items}\n</ul>\n</aside>'
    )


def _item(post: Any, page: Any) -> str:
    href = html.escape(get_relative_url(post.url, page.url))
    return f'<li><a href="{href}">{html.escape(_title(post))}</a></li>'


def _title(post: Any) -> str:
    return post.meta.get("title") or post.title or post.file.name
