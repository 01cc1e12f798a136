"""`python -m site_tools finish site/` after an engine has built the site;
`python -m site_tools editions` to write each edition's complete configuration (for an
engine other than MkDocs, whose build does it by itself)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from . import editor_checks
from .admin import EditorMissing
from .finish import finish_site
from .launch_guard import LaunchBlocked, check, check_titles, is_production
from .project import load, write_configs


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m site_tools", description=__doc__)
    parser.add_argument("--root", type=Path, default=Path(), help="the project (mkdocs.yml)")
    commands = parser.add_subparsers(dest="command", required=True)
    finish = commands.add_parser("finish", help="the launch guard, then the site's own steps")
    finish.add_argument("site", type=Path, help="the built site, other editions inside it")
    commands.add_parser("editions", help="write each edition's complete configuration")
    args = parser.parse_args(argv)
    project = load(args.root.resolve())
    if args.command == "editions":
        for path in write_configs(project):
            print(f"wrote {path.relative_to(project.root)}")
        return 0
    try:
        # the editors' checks first: what breaks a page before the list of stand-ins
        findings = editor_checks.check_project(project)
        if message := editor_checks.report(findings, is_production()):
            print(message, file=sys.stderr)
        if message := check(project):
            print(message, file=sys.stderr)
        check_titles(args.site, project)
        finish_site(args.site, project)
    except (LaunchBlocked, EditorMissing) as stopped:
        print(stopped, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
