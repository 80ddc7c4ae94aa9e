"""The OpenAPI document: the routes' models, plus a submission schema that says what *this*
server accepts (its model sets, its budget ceiling, its delivery rules, where documents come from).

Some rules cannot be written as JSON Schema; those values carry a format of casebook's own,
described in the schema, so that a client (or a fuzzer) knows what a valid value is:

    casebook-document      base64 of a PDF, Word, Excel, PowerPoint, CSV, JSON, text, Markdown or
                           HTML document (its type is read from its content)
    casebook-document-url  an https URL on a public address (redirects are followed and checked)
    casebook-destination   a delivery target a submission may name on this server (see `deliver`)
    casebook-callback-url  an https URL on a public address, port 443 (or one the operator allows)
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from casebook.config import Settings
from casebook.deliver.base import DeliveryConfig
from casebook.runs.admission import builtin_templates, submission_model_sets
from casebook.server import schemas

REF = "#/components/schemas/{model}"


def build_openapi(app: FastAPI, settings: Settings) -> dict[str, Any]:
    schema = get_openapi(title=app.title, version=app.version, description=app.description, routes=app.routes)
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    submission = submission_schema(settings)
    components.update(submission.pop("$defs", {}))
    components["SubmissionIn"] = submission
    review = schemas.UseCasesIn.model_json_schema(ref_template=REF)
    components.update(review.pop("$defs", {}))
    components["UseCasesIn"] = review
    schema["components"]["securitySchemes"] = {"bearer": {"type": "http", "scheme": "bearer"}}
    for path, operations in schema["paths"].items():
        if path.startswith("/v1/") and not path.startswith("/v1/webhooks/"):
            for operation in operations.values():
                operation["security"] = [{"bearer": []}]
        for operation in operations.values():
            content = operation.get("requestBody", {}).get("content", {})
            if "multipart/form-data" in content:
                content["multipart/form-data"]["schema"] = form_schema()
    return schema


def form_schema() -> dict[str, Any]:
    """multipart/form-data: the fields as text, the documents as file parts or by URL."""
    text = {"type": "string", "maxLength": 20_000}
    return {
        "type": "object",
        "required": ["company_name"],
        "properties": {
            "company_name": {"type": "string", "minLength": 1, "maxLength": 200, "pattern": r"\S"},
            "company_info": {**text, "description": "Description, or the form's '{Label}: value' lines"},
            "company_description": text,
            "report_expectations": text,
            "use_cases_count": {"type": "string", "pattern": _COUNT},
            "readiness_score": {"type": "string", "pattern": _SCORE},
            "review_use_cases": {
                "type": "string",
                "pattern": "^(true|false|on|off|yes|no|1|0)$",
                "description": "true: stop after the use cases (awaiting_review) until they are approved",
            },
            "json_data": {
                "type": "string",
                "format": "casebook-submission-json",
                "description": "The original form's JSON: a submission object (plain fields win over it)",
            },
            "file_url": {"type": "string", "format": "casebook-document-url", "description": "A document by URL"},
            "files": {
                "type": "array",
                "maxItems": 20,
                "items": {"type": "string", "format": "binary"},
                "description": "Documents as file parts, under any field name: PDF, Word, Excel, PowerPoint, "
                "CSV, JSON, text, Markdown or HTML (the type is read from the content; 415 otherwise)",
            },
        },
        "anyOf": [
            {"required": ["files"], "properties": {"files": {"minItems": 1}}},
            {"required": ["file_url"]},
        ],
    }


def submission_schema(settings: Settings) -> dict[str, Any]:
    schema = schemas.SubmissionIn.model_json_schema(ref_template=REF)
    props = schema["properties"]
    props["model_set"] = _nullable(
        {"type": "string", "enum": sorted(submission_model_sets(settings))}, props["model_set"]["description"]
    )
    budget: dict[str, Any] = {"type": "number", "exclusiveMinimum": 0, "exclusiveMaximum": 1e6}
    if settings.budget_usd is not None:
        budget = {"type": "number", "exclusiveMinimum": 0, "maximum": settings.budget_usd}
    props["budget_usd"] = _nullable(budget, props["budget_usd"]["description"])
    props["report_template"] = _nullable({"type": "string", "enum": builtin_templates()}, "A built-in report template")
    props["deliver"] = _nullable(
        {"type": "array", "maxItems": 10, "items": {"anyOf": [_destination_string(), *_destination_objects(settings)]}},
        props["deliver"]["description"],
    )
    props["readiness_score"] = _nullable(
        {"anyOf": [{"type": "number", "minimum": 0, "maximum": 100}, {"type": "string", "pattern": _SCORE}]},
        "0-100, as a number or as the form's text (62, 62%, 62/100)",
    )
    props["use_cases_count"] = _nullable(
        {"anyOf": [{"type": "integer", "minimum": 1, "maximum": 20}, {"type": "string", "pattern": _COUNT}]},
        "How many use cases to write (default 7)",
    )
    defs = schema.setdefault("$defs", {})
    defs["InlineFile"]["properties"]["content_base64"]["format"] = "casebook-document"
    url = defs["UrlFile"]["properties"]["url"]
    url.pop("pattern", None)
    url["format"] = "casebook-document-url"
    sources: list[dict[str, Any]] = [{"required": ["files"], "properties": {"files": {"minItems": 1}}}]
    if settings.drive_credentials_file is not None:
        sources.append({"required": ["google_drive_link"]})
    schema["anyOf"] = sources
    schema.pop("title", None)
    return schema


_SCORE = r"^\s*(100(\.0+)?|\d{1,2}(\.\d+)?)\s*(%|/\s*100)?\s*$"
_COUNT = r"^\s*([1-9]|1[0-9]|20)\s*$"
_SUB_FOLDER = r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,40}(/[A-Za-z0-9_][A-Za-z0-9_.-]{0,40}){0,4}$"


def _nullable(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"anyOf": [schema, {"type": "null"}], "description": description}


def _destination_string() -> dict[str, Any]:
    return {
        "type": "string",
        "format": "casebook-destination",
        "description": "folder, folder:<sub-folder>, callback:https://…, s3://<allowed bucket>/<prefix>, drive:<link>",
    }


def _destination_objects(settings: Settings) -> list[dict[str, Any]]:
    config = DeliveryConfig.from_settings(settings)
    objects: list[dict[str, Any]] = [
        {
            "type": "object",
            "required": ["kind"],
            "properties": {"kind": {"const": "folder"}, "path": {"type": "string", "pattern": _SUB_FOLDER}},
        },
        {
            "type": "object",
            "required": ["kind", "url"],
            "properties": {"kind": {"const": "callback"}, "url": {"type": "string", "format": "casebook-callback-url"}},
        },
    ]
    buckets = [*config.s3_buckets]
    if buckets:
        alternatives = "|".join(b.replace(".", r"\.") for b in buckets)
        objects.append(
            {
                "type": "object",
                "required": ["kind", "url"],
                "properties": {
                    "kind": {"const": "s3"},
                    "url": {"type": "string", "pattern": rf"^s3://({alternatives})(/[A-Za-z0-9_.-]{{1,40}}){{0,4}}$"},
                },
            }
        )
    return objects
