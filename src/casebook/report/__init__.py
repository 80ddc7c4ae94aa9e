"""The report's Markdown as a reader meets it: model text normalised to the template's shape
as it enters the report (`normalise`), and the finished report checked for what a reader would
notice (`check`). Plain functions over text and records: no storage, no engine, no CLI.
"""

from casebook.report.check import check_report
from casebook.report.normalise import normalise_markdown, reads_as_paragraph

__all__ = ["check_report", "normalise_markdown", "reads_as_paragraph"]
