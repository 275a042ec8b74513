"""The feedback page renders the student's work (markdown, pictures) safely, and never shows a hidden test."""

import base64
import html
import io
import re
from datetime import datetime, timedelta

import nbformat
import pytest
from conftest import require_program

from d2lblocks.i18n import translate
from d2lblocks_grade.datatypes import CellResult, GradeResult
from d2lblocks_grade.notebook_cells import Markers
from d2lblocks_grade.records.feedback import (
    HIDDEN_NOTE,
    IMAGE_AFTER_HIDDEN,
    PASSED,
    REDACTED,
    data_uri,
    find_leaks,
    redact,
    render_feedback,
    render_markdown,
    status_name,
)
from d2lblocks_grade.records.late import Lateness

HIDDEN = 'assert double(-3) == -6, "double must handle negative numbers"'


def png_bytes(colour=(200, 30, 30)) -> bytes:
    from PIL import Image
    buffer = io.BytesIO()
    Image.new("RGB", (40, 20), colour).save(buffer, format="PNG")
    return buffer.getvalue()


PNG = base64.b64encode(png_bytes()).decode()


def _test_cell(source, gid="ex2_test"):
    cell = nbformat.v4.new_code_cell(source)
    cell.metadata["nbgrader"] = {"grade_id": gid, "grade": True, "solution": False, "locked": True, "points": 1,
                                 "schema_version": 3}
    return cell


def _picture_cell(source="plt.plot(x)"):
    cell = nbformat.v4.new_code_cell(source)
    cell.outputs = [nbformat.v4.new_output("display_data", data={"image/png": PNG, "text/plain": "<Figure>"})]
    return cell


def _result(*cells, outcomes=None, language="en") -> GradeResult:
    nb = nbformat.v4.new_notebook(cells=list(cells))
    return GradeResult("amy", "hw", "graded", cells=outcomes or [], executed_notebook_bytes=nbformat.writes(nb).encode(),
                       language=language)


def _shown(page: str) -> str:
    """The words a student reads: the page without its style sheet and tags, entities decoded."""
    return html.unescape(re.sub(r"<[^>]+>", " ", re.sub(r"<style>.*?</style>", "", page, flags=re.S)))


def test_markdown_is_rendered_and_cleaned():
    """Headings, emphasis and tables render; scripts, event handlers, javascript: links and remote images do not."""
    html = str(render_markdown("# My answer\n\nIt is *registered* <script>alert(1)</script>"
                               '<img src="https://tracker.example/p.png" onerror="alert(2)">'
                               "[x](javascript:alert(3))\n\n| a | b |\n|---|---|\n| 1 | 2 |\n"))
    assert "<h1>My answer</h1>" in html and "<em>registered</em>" in html and "<td>1</td>" in html
    for banned in ("<script", "alert(1)", "onerror", "tracker.example", "javascript:"):
        assert banned not in html, banned


def test_pasted_images_become_data_uris_and_bad_ones_vanish():
    """A markdown attachment is inlined as a data URI; an SVG attachment or broken base64 is not shown."""
    attachments = {"a.png": {"image/png": PNG}, "b.svg": {"image/svg+xml": "<svg onload=alert(1)/>"},
                   "c.png": {"image/png": "not base64!"}}
    html = str(render_markdown("![a](attachment:a.png) ![b](attachment:b.svg) ![c](attachment:c.png)", attachments))
    assert f'src="data:image/png;base64,{PNG}"' in html
    assert html.count("<img") == 3 and html.count("src=") == 1
    assert data_uri("image/png", ["iVBO", "Rw0K\n"]) == "data:image/png;base64,iVBORw0K"
    assert data_uri("image/png", "<svg/>") is None


def test_image_outputs_are_shown_until_a_hidden_test_has_run():
    """A plot drawn before any hidden test shows; one drawn after is withheld (a picture cannot be searched)."""
    hidden_test = _test_cell(f"assert double(2) == 4\n### BEGIN HIDDEN TESTS\n{HIDDEN}\n### END HIDDEN TESTS")
    page, leaks = render_feedback(_result(_picture_cell("before()"), hidden_test, _picture_cell("after()"),
                                          outcomes=[CellResult("ex2_test", 1.0, 1.0)]), [HIDDEN])
    assert leaks == [] and page.count(f"data:image/png;base64,{PNG}") == 1
    assert IMAGE_AFTER_HIDDEN in page and page.index("before()") < page.index("data:image") < page.index("after()")


def test_hidden_tests_never_show_with_the_course_markers():
    """A test using the course's own delimiters shows only its visible part; outputs quoting the hidden
    line are redacted however the template escaped them."""
    markers = Markers(hidden_begin="BEGIN SECRET CHECKS", hidden_end="END SECRET CHECKS")
    test = _test_cell(f"assert double(2) == 4\n### BEGIN SECRET CHECKS\n{HIDDEN}\n### END SECRET CHECKS")
    spy = nbformat.v4.new_code_cell("print(_ih)")
    spy.outputs = [nbformat.v4.new_output("stream", name="stdout", text=f"['{HIDDEN}']")]
    page, leaks = render_feedback(_result(test, spy, outcomes=[CellResult("ex2_test", 0.0, 1.0, reason="wrong")]),
                                  [HIDDEN], markers)
    assert leaks == [HIDDEN] and find_leaks(page, [HIDDEN]) == []
    assert HIDDEN_NOTE in page and "SECRET CHECKS" not in page and "double(2) == 4" in page


def test_redaction_finds_every_escaping_of_a_hidden_line():
    for escaped in (HIDDEN.replace('"', "&#34;"), HIDDEN.replace('"', "&quot;"), HIDDEN):
        page, leaks = redact(f"<pre>{escaped}</pre>", [HIDDEN])
        assert leaks == [HIDDEN] and "[hidden test redacted]" in page and "Feedback withheld" not in page


def test_the_page_says_when_it_was_late_and_what_that_cost():
    due = datetime(2026, 12, 1, 23, 59)
    late = Lateness(due, due + timedelta(hours=2), "timestamp.txt", 7200.0, 1.0, "zero")
    result = _result(_test_cell("assert True"), outcomes=[CellResult("ex2_test", 3.0, 4.0)])
    page, _ = render_feedback(result, [], late=late)
    assert "score <b>2 / 4</b>" in page and "2 h after the due date 2026-12-01 23:59 UTC: late penalty 1 point" in page
    assert "score before the penalty: 3 / 4" in page


def test_the_page_forbids_scripts_and_remote_loads_whatever_slips_through():
    page, _ = render_feedback(_result(nbformat.v4.new_markdown_cell("hi")), [])
    assert "default-src 'none'; img-src data:" in page


@pytest.mark.slow
def test_the_feedback_page_renders_a_heading_and_a_picture_in_a_browser(tmp_path):
    """In headless Chromium, offline: the student's markdown heading is an <h1> and their plot is an image
    the browser decoded; the page runs no script."""
    playwright = pytest.importorskip("playwright.sync_api")
    chromium = require_program("chromium")
    from e2e.browser import offline_chromium

    markdown = nbformat.v4.new_markdown_cell("# Why registration matters\n\nBlocks in a **list** are invisible.")
    markdown.metadata["nbgrader"] = {"grade_id": "ex1_explain", "grade": True, "solution": True, "locked": False,
                                     "points": 1, "schema_version": 3}
    page, _ = render_feedback(_result(markdown, _picture_cell(), _test_cell("assert True"),
                                      outcomes=[CellResult("ex2_test", 1.0, 1.0)]), [])
    path = tmp_path / "feedback.html"
    path.write_text(page.replace("</body>", "<script>document.title = 'script ran'</script></body>"))
    with playwright.sync_playwright() as p, offline_chromium(p, chromium, tmp_path / "profile") as context:
        tab = context.new_page()
        tab.goto(path.as_uri())
        heading = tab.locator(".md h1")
        playwright.expect(heading).to_have_text("Why registration matters")
        assert tab.locator(".md strong").inner_text() == "list"
        image = tab.locator(".out img")
        playwright.expect(image).to_have_count(1)
        assert tab.evaluate("() => [document.querySelector('.out img').naturalWidth, "
                            "document.querySelector('.out img').naturalHeight]") == [40, 20]
        assert tab.title() != "script ran", "the page's Content-Security-Policy blocks scripts"


def test_a_markdown_cell_built_to_be_slow_to_parse_is_shown_as_text():
    from d2lblocks_grade.records.feedback import render_markdown

    page = str(render_markdown("[" * 300_000))
    assert page.startswith("<pre>") and page.endswith("[...]</pre>")
    assert str(render_markdown("**bold**")) == "<p><strong>bold</strong></p>\n"


def test_an_english_page_reads_as_it_always_has():
    page, _ = render_feedback(_result(_test_cell("assert True"), outcomes=[CellResult("ex2_test", 1.0, 1.0)]), [])
    assert '<html lang="en">' in page and "<h1>Feedback: hw</h1>" in page
    assert "Student <b>amy</b> &middot; score <b>1 / 1</b> &middot; graded" in page
    assert '<p class="message">passed</p>' in page


def test_a_japanese_assignment_gets_a_japanese_page():
    """A result in the assignment's language "ja": the page says lang="ja", and its heading, labels, status
    names, "passed", notes, late line and redaction notice come from the catalogue's Japanese; each test's
    message is the verdict's, as given; none of the page's English words is left."""
    due = datetime(2026, 12, 1, 23, 59)
    late = Lateness(due, due + timedelta(hours=2), "file time; Canvas marked it LATE", 7200.0, 1.0, "zero")
    hidden_test = _test_cell(f"assert double(2) == 4\n### BEGIN HIDDEN TESTS\n{HIDDEN}\n### END HIDDEN TESTS")
    spy = nbformat.v4.new_code_cell("print(_ih)")
    spy.outputs = [nbformat.v4.new_output("stream", name="stdout", text=f"['{HIDDEN}']")]
    message = "AssertionError: MySequential は子ブロックを登録していません"
    result = _result(hidden_test, _test_cell("assert True", gid="ex3_test"), spy, _picture_cell("after()"),
                     outcomes=[CellResult("ex2_test", 0.0, 1.0, reason=message), CellResult("ex3_test", 3.0, 3.0)],
                     language="ja")
    page, leaks = render_feedback(result, [HIDDEN], late=late)
    shown = _shown(page)
    assert leaks == [HIDDEN] and '<html lang="ja">' in page
    japanese = [translate("Feedback: {assignment}", "ja", assignment="hw"), translate("Student", "ja"),
                translate("score", "ja"), status_name("graded", "ja"), translate(PASSED, "ja"),
                translate(HIDDEN_NOTE, "ja"), translate(IMAGE_AFTER_HIDDEN, "ja"), translate(REDACTED, "ja"),
                late.text("ja"), translate("score before the penalty: {score} / {max_score}", "ja", score="3",
                                           max_score="4")]
    for text in japanese:
        assert re.search(r"[\u3040-\u30ff\u4e00-\u9fff]", text), f"not translated yet: {text!r}"
        assert text in shown, text
    assert message in shown
    for english in ("Feedback", "Student", "score", "passed", "graded", "hidden test", "picture", "submitted",
                    "due date", "penalty", "file time", "marked it"):
        assert english not in shown, english


def test_a_japanese_page_without_a_notebook_names_each_status_in_japanese():
    reason = "ノートブックが提出されていません"
    result = GradeResult("amy", "hw", "missing", reason, [CellResult("ex2_test", 0.0, 1.0, "missing", reason)],
                         language="ja")
    shown = _shown(render_feedback(result, [])[0])
    assert status_name("missing", "ja") in shown and reason in shown and "missing" not in shown
