"""One typed settings object: every environment variable casebook reads is declared here."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

REPORT_FORMATS = ("html", "pdf", "docx")  # what casebook.render can write besides Markdown


class Settings(BaseSettings):
    """Settings from `CASEBOOK_*` variables (and the OpenAI SDK's own two)."""

    model_config = SettingsConfigDict(env_prefix="CASEBOOK_", extra="ignore", populate_by_name=True)

    # storage and database
    storage_url: str = Field("./outputs", description="Root of all company folders: a path or s3://bucket/prefix")
    database_url: str | None = Field(
        None, description="Workflow database; default a SQLite file beside a local storage root"
    )

    # ingest limits
    max_file_mb: float = Field(50.0, gt=0, description="Largest document accepted, in MB")
    max_pages: int = Field(2000, gt=0, description="Most pages (or slides, or sheets) read from one document")
    max_unzipped_mb: float = Field(300.0, gt=0, description="Most bytes an office file (a zip) may expand to, in MB")
    max_zip_ratio: float = Field(
        200.0, gt=1, description="Largest expansion ratio (all members together) of an office file expanding past 64 MB"
    )
    ocr: bool = Field(
        True, description="Read images and scanned PDF pages with OCR when Tesseract is installed (on/off)"
    )
    ocr_languages: str = Field(
        "eng", pattern=r"^[A-Za-z_]+(\+[A-Za-z_]+)*$", description="Tesseract languages, e.g. eng or eng+deu"
    )
    ocr_dpi: int = Field(300, ge=100, le=600, description="Resolution scanned PDF pages are rendered at for OCR")
    ocr_max_pages: int = Field(100, ge=1, description="Most pages (or images) OCR'd in one document")
    ocr_timeout_s: float = Field(60.0, gt=0, description="Longest OCR of one page or image, in seconds")
    ingest_workers: int | None = Field(
        None, ge=1, description="Processes reading documents at once during an ingest; unset: one a core (1: no pool)"
    )
    chunk_chars: int = Field(1200, ge=200, description="Target passage size in characters")
    chunk_overlap: int = Field(150, ge=0, description="Characters shared by consecutive passages")
    keep_days: float | None = Field(
        None,
        gt=0,
        description="After each ingest, remove document versions that only runs ended more than this many days "
        "ago (and no current or unfinished run) need; unset: versions stay until `casebook gc`",
    )

    # logging
    log_format: Literal["auto", "json", "console"] = "auto"
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    log_stream: Literal["stderr", "stdout"] = "stderr"

    # LLM access: the SDK's own variable names, so existing set-ups keep working
    openai_api_key: SecretStr | None = Field(
        None, validation_alias=AliasChoices("OPENAI_API_KEY", "CASEBOOK_OPENAI_API_KEY")
    )
    openai_base_url: str | None = Field(
        None, validation_alias=AliasChoices("OPENAI_BASE_URL", "CASEBOOK_OPENAI_BASE_URL")
    )
    model_sets_file: Path | None = Field(None, description="Extra model sets (TOML), merged over the built-in ones")
    prices_file: Path | None = Field(None, description="Extra prices (TOML), merged over the built-in table")
    model_set: str | None = Field(
        None, description="Model set used when a submission names none; default: cheap with an endpoint, else local"
    )
    local_model: str | None = Field(
        None,
        description="Embedded model used by the 'local' model set; default: the best one installed "
        "(qwen2.5-coder-1.5b, then qwen2.5-coder-0.5b, then smollm2-135m)",
    )
    local_threads: int = Field(1, ge=1, description="CPU threads for the embedded model")
    local_threads_batch: int | None = Field(
        None, ge=1, description="CPU threads for reading prompts (default: local_threads)"
    )
    budget_usd: float | None = Field(
        None, gt=0, description="Per-run budget in USD, and the ceiling: a submission may ask for less, never more"
    )
    submission_model_sets: str = Field(
        "", description="Model sets a submission may choose (comma-separated); always the server's default"
    )
    allow_unpriced: bool = Field(
        False, description="Run models that have no price (their cost is then neither counted nor budgeted)"
    )
    llm_timeout_s: float = Field(120.0, gt=0, description="Per-call timeout in seconds")
    llm_max_retries: int = Field(4, ge=0, description="Retries after a transient failure")
    llm_length_retries: int = Field(
        2,
        ge=0,
        le=10,
        description="How often an answer cut at max_tokens is continued (text) or asked again with "
        "twice the limit (JSON) before its step fails",
    )
    # durable runs
    executor_id: str | None = Field(
        None, description="This worker's stable id; runs it held are recovered when it restarts"
    )
    max_concurrent_runs: int | None = Field(8, ge=1, description="Runs at once across all workers")
    worker_concurrency: int = Field(2, ge=1, description="Runs at once in one worker")
    run_timeout_s: float = Field(7200.0, gt=0, description="A whole run's time limit (the original's 2 h)")
    step_timeout_s: float = Field(1800.0, gt=0, description="One step's time limit, per attempt")
    step_max_attempts: int = Field(3, ge=1, description="Attempts per step after a transient failure")
    step_retry_interval_s: float = Field(5.0, ge=0, description="First wait before a step is retried")
    shutdown_grace_s: float = Field(
        30.0, ge=0, description="On SIGTERM / SIGINT: how long steps in flight may run on before they are stopped"
    )
    executor_timeout_s: float = Field(
        60.0, gt=0, description="A worker silent this long is taken for dead; live workers take over its runs"
    )
    llm_requests_per_minute: int | None = Field(
        None, ge=1, description="Per-endpoint request rate limit in one process"
    )
    # Google Drive and delivery
    drive_credentials_file: Path | None = Field(
        None,
        validation_alias=AliasChoices("CASEBOOK_DRIVE_CREDENTIALS_FILE", "GOOGLE_APPLICATION_CREDENTIALS"),
        description="Service-account JSON key for Drive links and Drive delivery",
    )
    drive_max_files: int = Field(200, ge=1, description="Most documents read from one Drive folder")
    drive_max_total_mb: float = Field(500.0, gt=0, description="Most MB read from one Drive folder")
    drive_upload_scope: Literal["drive.file", "drive"] = "drive.file"
    deliver: str = Field(
        "folder",
        description="Destinations, comma-separated or a JSON list: folder[:path], drive[:link], "
        "s3[://bucket/prefix], callback[:url]",
    )
    deliver_folder: Path = Field(Path("./reports"), description="Where `folder` delivery copies reports")
    deliver_drive_folder: str | None = None
    deliver_s3_url: str | None = None
    deliver_s3_allowed: str = Field("", description="S3 prefixes a submission may name (comma-separated)")
    deliver_s3_buckets: str = Field("", description="S3 buckets a submission may name, whole (comma-separated)")
    callback_url: str | None = None
    callback_secret: SecretStr | None = Field(None, description="Standard Webhooks secret, whsec_…")
    callback_allow_private: bool = False
    callback_allowed_ports: str = Field(
        "443,80", description="Ports a submission's callback URL may use (comma-separated, or *)"
    )
    callback_timeout_s: float = Field(10.0, gt=0)
    callback_attempts: int = Field(5, ge=1, le=20)
    callback_backoff_s: float = Field(1.0, gt=0)
    # HTTP API (`casebook serve`)
    api_keys: SecretStr | None = Field(
        None, description="Bearer keys for /v1, comma-separated; none: the server refuses to start"
    )
    insecure_no_auth: bool = Field(False, description="Serve /v1 without API keys (local development only)")
    webhook_secret: SecretStr | None = Field(
        None, description="Standard Webhooks secret (whsec_…); unset: webhooks answer 503"
    )
    webhook_mappings_file: Path | None = Field(None, description="Per-source webhook field mappings (TOML)")
    typeform_secret: SecretStr | None = Field(
        None, description="Typeform webhook secret (Typeform-Signature); unset: /v1/webhooks/typeform answers 503"
    )
    typeform_token: SecretStr | None = Field(
        None, description="Typeform personal access token, sent as bearer when downloading Typeform file answers"
    )
    tally_secret: SecretStr | None = Field(
        None, description="Tally signing secret (Tally-Signature); unset: /v1/webhooks/tally answers 503"
    )
    # documents by URL
    fetch_allow_private: bool = Field(
        False, description="Let document URLs reach loopback and private networks (trusted networks, tests)"
    )
    fetch_ca_file: Path | None = Field(None, description="Extra CA bundle trusted for document URLs (a private CA)")
    fetch_timeout_s: float = Field(30.0, gt=0, description="Connect and read timeout of one document download")
    fetch_attempts: int = Field(3, ge=1, le=10, description="Attempts per document URL after a transient failure")
    cors_origins: str = Field("", description="Origins allowed by CORS, comma-separated; none by default")
    max_request_mb: float = Field(100.0, gt=0, description="Largest request body accepted, in MB")
    max_files_per_request: int = Field(100, ge=1, description="Most files in one submission")
    rate_limit_per_key: str = Field("600/minute", description="Requests per API key, e.g. 10/second")
    rate_limit_per_address: str = Field("1200/minute", description="Requests per client address")
    rate_limit_storage_url: str = Field(
        "memory://", description="Rate-limit counters: memory:// (one process) or redis://host:6379"
    )
    server_threads: int = Field(64, ge=4, description="Threads for blocking work (storage, database)")
    database_timeout_s: float = Field(
        4.0, gt=0, le=60, description="Longest a request waits for the workflow database before answering 503"
    )
    header_timeout_s: float = Field(10.0, gt=0, description="Time a client has to send a request's headers")
    body_timeout_s: float = Field(30.0, gt=0, description="Longest pause allowed while a request body arrives")
    max_json_depth: int = Field(32, ge=4, le=200, description="Deepest nesting accepted in a JSON body")
    reconcile_grace_s: float = Field(
        5.0, ge=0, description="At start-up, runs left queued but not in the queue are queued once this old"
    )
    test_fault: Literal["exit-before-enqueue"] | None = Field(
        None, description="Tests only: make the server die at this point, as a crash would"
    )
    large_upload_mb: float = Field(8.0, gt=0, description="A body over this size counts as a large upload")
    max_large_uploads: int = Field(4, ge=1, description="Large uploads read at once per server process")
    large_upload_wait_s: float = Field(
        30.0, gt=0, description="How long a large upload waits for its turn before a 503"
    )

    # web app (`casebook serve`: sign-in, intake form, runs, review)
    web: bool = Field(True, description="Serve the web app (/, /app/…) beside the API; off: the API alone")
    session_secret: SecretStr | None = Field(
        None,
        description="Signs the web app's session cookies; default: derived from CASEBOOK_API_KEYS (rotating "
        "the keys signs everyone out), or random per process without keys",
    )
    session_hours: float = Field(12.0, gt=0, le=24 * 90, description="How long a web sign-in lasts, in hours")
    rate_limit_signin: str = Field(
        "10/minute", description="Failed web sign-ins allowed per client address, e.g. 10/minute"
    )
    public_intake: bool = Field(
        False, description="Serve the intake form at /intake to anyone, without an account (rate-limited)"
    )
    rate_limit_public_intake: str = Field(
        "20/hour", description="Submissions per client address through the public /intake page"
    )

    # report rendering
    report_formats: str = Field(
        "html,pdf,docx", description="Formats finalize renders beside the Markdown, comma-separated; empty for none"
    )
    report_template: Path | None = Field(
        None, description="Report template (TOML) for every run; default: built-in English"
    )
    @field_validator("report_formats")
    @classmethod
    def _known_formats(cls, value: str) -> str:
        """Checked at start-up, so that no run fails at its end for a typo."""
        wanted = [f.strip().lower() for f in value.split(",") if f.strip()]
        unknown = [f for f in wanted if f not in REPORT_FORMATS and f not in ("md", "markdown")]
        if unknown:
            raise ValueError(
                f"unknown report format {unknown[0]!r}: choose from {', '.join(REPORT_FORMATS)} "
                "(comma-separated; the Markdown report is always written)"
            )
        return ",".join(dict.fromkeys(f for f in wanted if f in REPORT_FORMATS))

    brand_name: str = Field("casebook", description="Name in the report's page header")
    brand_logo: Path | None = Field(
        None, description="Report logo: PNG, JPEG, GIF, WebP or SVG (SVG is left out of Word)"
    )
    brand_primary: str = Field("#1f4e79", pattern=r"^#[0-9a-fA-F]{6}$", description="Headings, table headers, charts")
    brand_accent: str = Field("#c55a11", pattern=r"^#[0-9a-fA-F]{6}$", description="Citations and highlights")
    part_b_concurrency: int = Field(8, ge=1, description="Part B calls in flight at once")
    evidence_passages: int = Field(24, ge=4, le=200, description="Passages shown to the model per run")
    evidence_themes: int = Field(6, ge=1, le=6, description="Most themes the evidence step asks for")
    evidence_facts: int = Field(5, ge=1, le=5, description="Most facts per theme")
    passage_chars: int = Field(900, ge=200, description="Characters of each passage shown to the model")
    part_b_passages: int = Field(8, ge=1, description="Passages shown to the model for one use case")
    # citation checks and the quality gate
    verify: Literal["lexical", "model"] = Field(
        "lexical",
        description="How citations near the support threshold are judged: lexical only, or asking the "
        "model set's cheap `verify` model yes/no (off for the local set)",
    )
    min_supported: float = Field(
        0.8,
        ge=0,
        le=1,
        description="Least share of supported citations for a report to be released without review; "
        "0 turns the quality gate off",
    )


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
