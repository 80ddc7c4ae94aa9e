"""Model Markdown fitted to the template: heading levels, sentence "headings", model-written
source lists, duplicated titles, tables."""

from __future__ import annotations

import re

from casebook.report import normalise_markdown, reads_as_paragraph


def headings(text: str) -> list[tuple[int, str]]:
    return [(len(m.group(1)), m.group(2)) for m in re.finditer(r"^(#{1,6}) (.+)$", text, re.M)]


def test_headings_move_to_the_sections_levels_and_deeper_ones_become_bold_lines() -> None:
    answer = "# Problem\n\nLate trucks [S1].\n\n## Detail\n\nMore [S2].\n\n### Deeper still\n\nEven more [S2]."
    out = normalise_markdown(answer, level=4, deepest=5)
    assert headings(out) == [(4, "Problem"), (5, "Detail")]
    assert "**Deeper still**" in out
    shallow = normalise_markdown("##### Problem\n\nLate trucks [S1].", level=4)
    assert headings(shallow) == [(4, "Problem")]  # pulled up to the section's level too


def test_a_heading_that_is_a_sentence_becomes_a_paragraph() -> None:
    answer = (
        "### Context\n\n"
        "## Northwind's on-time delivery fell to 91.4% in 2025 while ticket volumes rose sharply across depots [S3]\n\n"
        "Text [S1].\n\n"
        "A whole paragraph that the model underlined so that it became a setext heading.\n"
        "---\n\n"
        "### Risks\n\nSome [S2]."
    )
    out = normalise_markdown(answer, level=3)
    assert headings(out) == [(3, "Context"), (3, "Risks")]
    sentence = "Northwind's on-time delivery fell to 91.4% in 2025 while ticket volumes rose sharply across depots [S3]"
    assert f"\n{sentence}\n" in out
    assert "\nA whole paragraph that the model underlined so that it became a setext heading.\n" in out
    assert reads_as_paragraph("The company should start with invoice matching.")
    assert not reads_as_paragraph("Implementation plan")


def test_model_written_source_lists_are_removed_and_cited_text_is_kept() -> None:
    answer = (
        "#### Problem\n\nInvoices are matched by hand [S2].\n\n"
        "Sources: [S2], [S4]\n\n"
        "**References:**\n\n- [S2] annual-report.pdf, p. 2\n- [S4] memo.docx\n\n"
        "#### Solution\n\nA matching model [S2].\nSource: annual-report.pdf\n\n"
        "[S4]: memo.docx, p. 1\n\n"
        "#### References\n\n1. annual-report.pdf, p. 2\n2. memo.docx\n\n"
        "#### Sources used\n\n- [S2]\n"
    )
    out = normalise_markdown(answer, level=4)
    assert headings(out) == [(4, "Problem"), (4, "Solution")]
    assert "Invoices are matched by hand [S2]." in out and "A matching model [S2]." in out
    assert not re.search(r"(?im)^\W*(sources?|references?)\b", out)
    assert "memo.docx" not in out and "annual-report.pdf" not in out


def test_the_sections_own_title_and_repeated_headings_and_paragraphs_go() -> None:
    answer = (
        "# 3. Invoice matching assistant\n\n## Problem\n\n## Problem\n\nManual matching [S1].\n\n"
        "Manual matching [S1].\n\n---\n\n## Solution\n\nA model [S2]."
    )
    out = normalise_markdown(answer, level=4, drop_titles=["Invoice matching assistant"])
    assert headings(out) == [(4, "Problem"), (4, "Solution")]
    assert out.count("Manual matching [S1].") == 1
    assert "---" not in out


def test_tables_stay_tables_and_rows_without_a_delimiter_line_get_one() -> None:
    table = "| Depot | On-time |\n|---|---|\n| Rotterdam | 92% |"
    out = normalise_markdown(f"## Figures\n\n{table}\n\nText [S1].", level=3)
    assert table in out
    bare = "| Depot | On-time |\n| Rotterdam | 92% |\n| Utrecht | 90% |"
    fixed = normalise_markdown(bare, level=3)
    assert fixed.splitlines() == ["| Depot | On-time |", "|---|---|", "| Rotterdam | 92% |", "| Utrecht | 90% |"]


def test_an_answer_wrapped_in_a_markdown_fence_is_unwrapped() -> None:
    out = normalise_markdown("```markdown\n## Summary\n\nText [S1].\n```", level=3)
    assert out == "### Summary\n\nText [S1]."
    code = "```python\nprint(1)\n```"
    assert normalise_markdown(code, level=3) == code
