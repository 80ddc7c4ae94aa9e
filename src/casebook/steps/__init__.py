"""The generation steps. Plain async functions over plain data: no storage, no engine, no CLI.

evidence → use_cases → part_a ∥ part_b → consolidate → verify → (finalize: the run writes files)
"""

from casebook.steps.consolidate import assemble_report, consolidate, style_pass
from casebook.steps.evidence import evidence_from_passages, extract_evidence, gather_passages
from casebook.steps.part_a import write_part_a
from casebook.steps.part_b import assemble_part_b, number_section, section_from_use_case, write_use_case_section
from casebook.steps.use_cases import generate_use_cases
from casebook.steps.verify import VerifiedReport, verify_citations

__all__ = [
    "VerifiedReport",
    "assemble_part_b",
    "assemble_report",
    "consolidate",
    "evidence_from_passages",
    "extract_evidence",
    "gather_passages",
    "generate_use_cases",
    "number_section",
    "section_from_use_case",
    "style_pass",
    "verify_citations",
    "write_part_a",
    "write_use_case_section",
]
