"""LLM access: model sets, prices, the usage ledger / budget guard, and the client."""

from casebook.llm.client import LLMClient
from casebook.llm.modelsets import (
    STEPS,
    ModelSet,
    StepModel,
    get_model_set,
    load_model_sets,
)
from casebook.llm.prices import Price, PriceTable, load_prices
from casebook.llm.requests import is_reasoning_model
from casebook.llm.schema import extract_json, strict_json_schema
from casebook.llm.usage import CallUsage, Reservation, UsageLedger

__all__ = [
    "STEPS",
    "CallUsage",
    "LLMClient",
    "ModelSet",
    "Price",
    "PriceTable",
    "Reservation",
    "StepModel",
    "UsageLedger",
    "extract_json",
    "get_model_set",
    "is_reasoning_model",
    "load_model_sets",
    "load_prices",
    "strict_json_schema",
]
