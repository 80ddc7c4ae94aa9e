"""The themes an AI-readiness review looks for in any company's documents."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ThemeQuery:
    name: str  # the theme's name when the pipeline groups evidence itself
    query: str  # the search that finds its passages


# Questions an AI-readiness review asks of any company's documents, one search each.
THEMES = (
    ThemeQuery("Strategy and goals", "strategy priorities goals targets growth plan"),
    ThemeQuery("Manual work and delays", "manual process time errors delays backlog workload"),
    ThemeQuery("Customers and service", "customer service complaints tickets satisfaction response"),
    ThemeQuery("Data and systems", "data systems ERP CRM warehouse integration data quality"),
    ThemeQuery("People and skills", "staff skills training employees hiring change management"),
    ThemeQuery("Costs and revenue", "revenue costs margin budget spend savings"),
    ThemeQuery("Risk and compliance", "risk compliance GDPR security regulation policy"),
    ThemeQuery("Planning and forecasting", "forecast planning demand capacity scheduling"),
)
THEME_QUERIES = tuple(t.query for t in THEMES)
# Two more for the evidence the pipeline picks itself (it reads a larger pool of passages): where
# an AI use case most often starts, and what a model writing the evidence finds in any passage.
PICKING_THEMES = (
    *THEMES,
    ThemeQuery("Documents and paperwork", "invoices documents forms paperwork emails contracts entered by hand"),
    ThemeQuery("Knowledge and answers", "knowledge search find information questions answers experience"),
)
