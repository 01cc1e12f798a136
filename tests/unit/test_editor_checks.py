"""The editors' checks: each problem named with its file, its line and what to do."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from markdown import Markdown

from site_tools import editor_checks as checks
from site_tools.admonitions import translate_default_titles
from site_tools.launch_guard import LaunchBlocked, StandIn, short_listing

from ..support import ROOT

FRONT = "---\ntitle: A page\ndescription: One that tests the checks.\n---\n\n"


def page(tmp_path: Path, name: str, body: str) -> Path:
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(FRONT + body, encoding="utf-8")
    return path


def test_a_link_to_a_missing_page_or_heading_breaks_the_page(tmp_path: Path):
    page(tmp_path, "other.md", "# Other\n\n## Where to start\n")
    source = page(
        tmp_path,
        "page.md",
        "# Page\n\nSee [this](other.md#where-to-start), [that](gone.md),\n"
        "[there](other.md#nowhere) and [a site](https://www.weather.gov/).\n",
    )
    found = list(checks.check_links(source, "docs/page.md", source.read_text()))
    assert [(f.line, f.breaks) for f in found] == [(8, True), (9, True)]
    assert "gone.md" in str(found[0]) and str(found[0]).startswith("docs/page.md, line 8:")
    assert "#nowhere" in str(found[1]) and "heading" in found[1].problem


def test_an_image_without_alt_text_is_named_with_what_to_write():
    text = FRONT + '![](photo.jpg)\n\n![A calm lake](lake.jpg)\n\n<img src="x.png">\n'
    found = list(checks.check_images("docs/p.md", text))
    assert [f.line for f in found] == [6, 10]
    assert "Describe the image" in found[0].todo and not found[0].breaks


def test_a_heading_that_skips_a_level_is_found_outside_code():
    text = FRONT + "# Title\n\n### Skipped\n\n```\n##### not a heading\n```\n\n## Fine\n"
    found = list(checks.check_headings("docs/p.md", text))
    assert [(f.line, f.problem) for f in found] == [(8, "the heading jumps from level 1 to 3")]
    assert "Use ##" in found[0].todo


def test_an_admonition_without_indented_text_would_publish_empty():
    text = FRONT + '!!! danger "Careful"\n\nNot indented.\n\n!!! note\n\n    Indented.\n'
    found = list(checks.check_admonitions("docs/p.md", text))
    assert [(f.line, f.breaks) for f in found] == [(6, True)]
    assert "four spaces" in found[0].todo


def test_a_box_is_read_as_markdown_reads_it():
    """Without a space after the marks it is still a box; a tab indents its text."""
    text = FRONT + "!!!tip\n\nNot indented.\n\n!!! note\n\n\tIndented with a tab.\n"
    found = list(checks.check_admonitions("docs/p.md", text))
    assert [f.line for f in found] == [6]


def test_a_volunteer_or_contact_page_without_its_form_line_is_found():
    assert list(checks.check_form_line("docs/contact.md", "contact.md", FRONT + "Hi\n")) != []
    found = list(checks.check_form_line("docs/es/volunteer/index.md", "volunteer/index.md", ""))
    assert found[0].breaks and "<!-- volunteer-form -->" in found[0].todo
    kept = FRONT + "Hi\n\n<!-- contact-form -->\n"
    assert list(checks.check_form_line("docs/contact.md", "contact.md", kept)) == []


def test_a_marker_to_confirm_is_listed_in_both_languages():
    text = FRONT + "[to confirm] We reply within a week.\n\n[por confirmar] Respondemos.\n"
    assert [f.line for f in checks.check_to_confirm("docs/p.md", text)] == [6, 8]


def test_a_hard_page_read_first_is_warned_and_ours_are_not():
    hard = FRONT + (
        "The organization recommends comprehensive documentation of institutional"
        " responsibilities regarding international collaboration and accountability.\n"
    )
    found = list(checks.check_reading("docs/get-help.md", "get-help.md", hard, "en"))
    assert found and "Flesch-Kincaid" in found[0].problem and found[0].line == 1
    duro = FRONT + (
        "La organización recomienda documentación exhaustiva de responsabilidades"
        " institucionales relativas a colaboraciones internacionales interdisciplinarias.\n"
    )
    found = list(checks.check_reading("docs/es/index.md", "index.md", duro, "es"))
    assert found and "Fernández Huerta" in found[0].problem
    for name in checks.FIRST_READ:
        for folder, lang in (("docs", "en"), ("docs/es", "es")):
            text = (ROOT / folder / name).read_text(encoding="utf-8")
            assert list(checks.check_reading(name, name, text, lang)) == [], (folder, name)


def test_a_production_build_stops_only_on_what_would_break_a_page():
    warning = checks.Finding("docs/p.md", 3, "an image has no alt text", "Describe it.")
    breaking = checks.Finding("docs/p.md", 9, "the link leads nowhere", "Fix it.", breaks=True)
    assert "1 warning(s)" in checks.report([warning], production=True)
    assert "1 would break a page, 1 warning(s)" in checks.report([warning, breaking], False)
    with pytest.raises(LaunchBlocked, match=r"docs/p.md, line 9: the link leads nowhere"):
        checks.report([warning, breaking], production=True)


def mixed_findings() -> list[checks.Finding]:
    """Reminders first and a breaking link last, as the checks find them in page order."""
    text = FRONT + "".join(f"[to confirm] Promise {n}.\n\n" for n in range(30))
    reminders = list(checks.check_to_confirm("docs/privacy.md", text))
    reminders += list(checks.check_to_confirm("docs/es/privacy.md", text))
    warning = checks.Finding("docs/safety.md", 3, "the image a.png has no alt text", "Describe it.")
    breaking = checks.Finding("docs/safety.md", 9, "the link leads nowhere", "Fix it.", breaks=True)
    return [*reminders, warning, breaking]


def test_the_builds_list_puts_what_breaks_first_and_a_pages_reminders_on_one_line():
    listing = checks.report(mixed_findings(), production=False).splitlines()
    assert listing[0] == (
        "Editors' checks: 1 would break a page, 1 warning(s), 60 reminder(s) on 2 page(s):"
    )
    assert listing[1].startswith("Would break a page (1).")
    assert listing[2] == "  docs/safety.md, line 9: the link leads nowhere. Fix it."
    assert listing[3].startswith("Warnings (1).") and "line 3" in listing[4]
    assert listing[5].startswith("Reminders (60).") and "delete its marker" in listing[5]
    assert (
        listing[6].startswith("  docs/privacy.md, lines 6, 8, 10,")
        and "[to confirm]" in (listing[6])
    )
    assert listing[7].startswith("  docs/es/privacy.md, lines 6,") and len(listing) == 8


def test_the_preview_page_lists_by_harm_with_reminders_folded_by_page(tmp_path: Path):
    page = checks.write_page(tmp_path, mixed_findings()).read_text(encoding="utf-8")
    order = [
        page.index("Would break a page (1)"),
        page.index("docs/safety.md, line 9"),
        page.index("Warnings (1)"),
        page.index("docs/safety.md, line 3"),
        page.index("Reminders (60)"),
        page.index("<details>\n<summary>docs/privacy.md: 30 reminder(s)</summary>"),
        page.index("<details>\n<summary>docs/es/privacy.md: 30 reminder(s)</summary>"),
    ]
    assert order == sorted(order)
    assert page.count("<details>") == 2 and "<details open" not in page
    assert page.count("delete its marker") == 1  # said once, not 60 times
    only_reminders = checks.write_page(tmp_path, mixed_findings()[:3]).read_text()
    assert "Nothing here would break a page." in only_reminders


def test_the_launch_guards_list_gives_a_files_statements_to_confirm_one_line():
    """The build's log lists the stand-ins after the editors' checks; the statements to
    confirm, reminders there already, take one line per file, not one each."""
    found = [
        StandIn("docs/contact.md", 15, "a statement to confirm", "[to confirm] We reply."),
        StandIn("docs/contact.md", 63, "an example.org address or URL", "volunteer@example.org"),
        StandIn("docs/contact.md", 68, "a statement to confirm", "[to confirm] We call."),
    ]
    assert short_listing(found).splitlines() == [
        "  docs/contact.md: 2 statement(s) to confirm (lines 15, 68)",
        "  docs/contact.md:63: an example.org address or URL: volunteer@example.org",
    ]


def test_an_untitled_box_of_an_unknown_type_on_a_spanish_page_is_named():
    text = FRONT + '!!! tip\n\n    Ok.\n\n!!! recuerda\n\n    Sin título.\n\n!!! recuerda "Ojo"\n'
    found = list(checks.check_box_titles("docs/es/p.md", text, "es"))
    assert [f.line for f in found] == [10] and not found[0].breaks
    assert '"Recuerda"' in found[0].problem and '!!! recuerda "Tu título"' in found[0].todo
    assert list(checks.check_box_titles("docs/p.md", text, "en")) == []


def test_markdowns_english_default_box_titles_become_spanish_and_written_ones_stay():
    html = Markdown(extensions=checks.EXTENSIONS).convert(
        '!!! tip\n\n    A.\n\n???+ note\n\n    B.\n\n!!! note "Note"\n\n    C.\n\n'
        '!!! danger "Peligro inmediato"\n\n    D.\n\n!!! recuerda\n\n    E.\n'
    )
    spanish = translate_default_titles(html, "es")
    titles = re.findall(r'admonition-title">([^<]*)<|<summary>([^<]*)<', spanish)
    assert ["".join(t) for t in titles] == [
        "Consejo",
        "Nota",
        "Nota",
        "Peligro inmediato",
        "Recuerda",
    ]
    assert translate_default_titles(spanish, "es") == spanish  # a second time changes nothing
    assert translate_default_titles(html, "en") == html
