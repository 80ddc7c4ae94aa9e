"""casebook's optional parts (pip extras), and how a command finds out that one is missing.

`pip install casebook` alone runs the main job: `casebook run` against an OpenAI-compatible
endpoint, writing the Markdown report into local storage. The rest comes with an extra:

    render   HTML, PDF and Word reports with charts (matplotlib, WeasyPrint)
    server   `casebook serve`: the HTTP API and the web app (FastAPI, uvicorn …)
    drive    Google Drive folders as input and destination (Google's API client)
    s3       S3-compatible storage (s3fs)
    local    the embedded local model (llama.cpp's server in-process)
    ocr      images and scanned PDF pages (pytesseract with the system's Tesseract)

Modules that need an extra import it inside the function that uses it, never at module level
(tests/test_extras.py checks this), so a missing extra fails only the part that needs it, with
one line that names the extra to install.
"""

from __future__ import annotations

import importlib.util

from casebook.errors import MissingExtra

# extra -> the top-level modules it brings (what `import` names, not the PyPI names)
EXTRAS: dict[str, tuple[str, ...]] = {
    "render": ("matplotlib", "weasyprint"),
    "server": (
        "fastapi",
        "starlette",
        "uvicorn",
        "httptools",
        "multipart",
        "prometheus_client",
        "limits",
        "jinja2",
        "itsdangerous",
    ),
    "drive": ("googleapiclient", "google.oauth2", "google_auth_httplib2", "httplib2"),
    "s3": ("s3fs",),
    "local": ("xllamacpp",),
    "ocr": ("pytesseract",),  # and Pillow, which python-pptx (core) brings anyway
}


def install_command(extra: str) -> str:
    return f"pip install 'casebook[{extra}]'"


def missing_modules(extra: str) -> list[str]:
    """The modules of `extra` that cannot be imported here (none when it is installed)."""
    absent = []
    for module in EXTRAS[extra]:
        try:
            found = importlib.util.find_spec(module) is not None
        except ImportError:  # a parent package is missing (google.oauth2 without google)
            found = False
        if not found:
            absent.append(module)
    return absent


def installed(extra: str) -> bool:
    return not missing_modules(extra)


def require(extra: str, purpose: str) -> None:
    """MissingExtra (one line: what needs it, the pip command) unless `extra` is installed."""
    absent = missing_modules(extra)
    if absent:
        raise MissingExtra(
            f"{purpose} needs the {extra} extra ({', '.join(absent)} not installed): "
            f"{install_command(extra)}",
            extra=extra,
        )
