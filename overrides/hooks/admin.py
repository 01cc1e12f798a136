"""MkDocs hook: after the build, put the web editor (Sveltia CMS) into site/admin/.

The engine-neutral work is site_tools.admin; MkDocs copied docs/admin/ (the page and
its configuration) already.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from mkdocs.exceptions import Abort

from site_tools.admin import EditorMissing, install


def on_post_build(config: Any, **kwargs: Any) -> None:
    if config.theme["language"] != "en":  # the Spanish edition is built inside the English one
        return
    try:
        install(Path(config.config_file_path).parent, Path(config.site_dir))
    except EditorMissing as missing:
        raise Abort(str(missing)) from missing
