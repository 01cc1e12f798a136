"""Site benchmark: build time, and every page's transfer (raw and gzip) and request count as a
cheap phone loads it in Chromium, against a bare Material site built and served the same way in
the same run. With Node available, Lighthouse scores for three pages. Prints tables and writes
bench/results/site.json.

    .venv/bin/python bench/site.py [--no-lighthouse]
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from playwright.sync_api import sync_playwright  # noqa: E402

from tests.chromium import launch, new_guarded  # noqa: E402
from tests.support import Service, site_paths  # noqa: E402

HOME_BUDGET_GZIP_KB = 120
LIGHTHOUSE_PAGES = ("/", "/volunteer/", "/reintegration/healing/")
CATEGORIES = ("performance", "accessibility", "best-practices", "seo")
CHROME_FLAGS = (
    "--headless=new --no-sandbox --disable-gpu --disable-background-networking "
    "--disable-component-update --disable-sync --no-first-run --disable-quic"
)
BARE_CONFIG = "site_name: Bare\ntheme:\n  name: material\n  font: false\n"


def build(config_dir: Path, out: Path) -> float:
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--quiet", "--site-dir", str(out)],
        cwd=config_dir,
        check=True,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
    )
    return time.perf_counter() - started


def bare_site(workdir: Path) -> Path:
    """The baseline: Material with one short page and nothing of ours."""
    project = workdir / "bare"
    (project / "docs").mkdir(parents=True)
    (project / "mkdocs.yml").write_text(BARE_CONFIG)
    (project / "docs" / "index.md").write_text("# Hello\n\nOne short paragraph.\n")
    return project


def weigh(browser, service: Service, paths: list[str]) -> dict[str, dict[str, int]]:
    """Load each page at 360 px, as a cold visit, and add up what was transferred."""
    results = {}
    for path in paths:
        guarded = new_guarded(browser, service.url, viewport={"width": 360, "height": 640})
        bodies: list[bytes] = []
        page = guarded.new_page()
        page.on("response", lambda r, bodies=bodies: bodies.append(_body(r)))
        page.goto(service.url + path)
        page.wait_for_load_state("networkidle")
        guarded.context.close()
        results[path] = {
            "requests": len(bodies),
            "raw": sum(map(len, bodies)),
            "gzip": sum(len(gzip.compress(b, 6)) for b in bodies),
            "foreign": len(guarded.foreign),
        }
    return results


def _body(response) -> bytes:
    try:
        return response.body()
    except Exception:  # a redirect or an aborted request has no body
        return b""


def lighthouse(url: str, out: Path) -> dict[str, float] | None:
    npx = shutil.which("npx")
    if not npx:
        return None
    result = subprocess.run(
        [
            npx,
            "--yes",
            "lighthouse@12",
            url,
            "--quiet",
            "--output=json",
            f"--output-path={out}",
            f"--only-categories={','.join(CATEGORIES)}",
            f"--chrome-flags={CHROME_FLAGS}",
        ],
        env={**os.environ, "CHROME_PATH": "/usr/bin/chromium"},
        capture_output=True,
        text=True,
        timeout=600,
    )
    if result.returncode != 0:
        print(f"lighthouse failed for {url}: {result.stderr[-500:]}")
        return None
    report = json.loads(out.read_text())
    return {c: round(report["categories"][c]["score"] * 100) for c in CATEGORIES}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-lighthouse", action="store_true")
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="site-bench-"))
    site, bare = workdir / "site", workdir / "bare-site"
    build_seconds = build(ROOT, site)
    bare_seconds = build(bare_site(workdir), bare)

    ours = Service(workdir / "ours", site, None)
    base = Service(workdir / "base", bare, None)
    for service in (ours, base):
        service.workdir.mkdir()
        service.start()
    try:
        with sync_playwright() as playwright:
            browser = launch(playwright)
            weights = weigh(browser, ours, site_paths(site))
            baseline = weigh(browser, base, ["/"])["/"]
            browser.close()
        scores = {}
        if not args.no_lighthouse:
            for path in LIGHTHOUSE_PAGES:
                scores[path] = lighthouse(ours.url + path, workdir / "lh.json")
    finally:
        ours.stop()
        base.stop()

    report = {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}",
        "build_seconds": build_seconds,
        "bare_build_seconds": bare_seconds,
        "pages": weights,
        "bare_material_home": baseline,
        "home_budget_gzip_kb": HOME_BUDGET_GZIP_KB,
        "lighthouse": scores,
    }
    print_tables(report)
    out = ROOT / "bench" / "results"
    out.mkdir(parents=True, exist_ok=True)
    (out / "site.json").write_text(json.dumps(report, indent=2) + "\n")
    home_kb = weights["/"]["gzip"] / 1024
    return (
        0
        if home_kb < HOME_BUDGET_GZIP_KB and not any(w["foreign"] for w in weights.values())
        else 1
    )


def print_tables(r: dict) -> None:
    base = r["bare_material_home"]
    print(f"Site benchmark, {r['date']}, {r['machine']}")
    print(
        f"build: {r['build_seconds']:.2f} s (bare Material: {r['bare_build_seconds']:.2f} s, "
        f"ratio {r['build_seconds'] / r['bare_build_seconds']:.2f})"
    )
    print(f"{'page':<66} {'requests':>8} {'raw KB':>8} {'gzip KB':>8} {'gzip vs bare':>12}")
    rows = [("(bare Material home, baseline)", base), *r["pages"].items()]
    for path, w in rows:
        print(
            f"{path:<66} {w['requests']:>8} {w['raw'] / 1024:>8.1f} {w['gzip'] / 1024:>8.1f} "
            f"{w['gzip'] / base['gzip']:>12.2f}"
        )
    home = r["pages"]["/"]["gzip"] / 1024
    print(f"home page: {home:.1f} KB gzip (budget {r['home_budget_gzip_kb']} KB)")
    if r["lighthouse"]:
        print(f"{'lighthouse':<28}" + "".join(f"{c:>16}" for c in CATEGORIES))
        for path, scores in r["lighthouse"].items():
            cells = "".join(f"{scores[c] if scores else '-':>16}" for c in CATEGORIES)
            print(f"{path:<28}{cells}")


if __name__ == "__main__":
    sys.exit(main())
