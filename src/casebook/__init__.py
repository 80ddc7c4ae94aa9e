"""casebook: grounded AI-readiness reports from a company's own documents."""

from casebook.errors import CasebookError

__version__ = "0.1.0"
__all__ = ["CasebookError", "__version__"]
