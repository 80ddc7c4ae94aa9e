"""Document sets on S3 (moto's server on loopback): the index is a copy written back, so two
writers at once can lose one's rows; a run's documents come back all the same."""

from __future__ import annotations

import hashlib

from casebook.config import Settings
from casebook.documents.corpus import INDEX_FILE, data_path, ingest_documents, open_current, open_set
from casebook.models import SourceFile
from casebook.storage import Storage

ALPHA = b"# Alpha\n\nInvoice matching takes nine full-time employees at the Tilburg depot.\n"
BETA = b"# Beta\n\nOn-time delivery was 91.4 percent across the four Venlo routes.\n"


def test_a_run_set_lost_to_a_concurrent_write_back_is_restored(s3_bucket: str) -> None:
    settings = Settings(storage_url=f"s3://{s3_bucket}/casebook")
    company = Storage(settings.storage_url).company("Lost Write Ltd")
    ingest_documents(company, [SourceFile("beta.md", BETA)], settings)
    before_a = company.read_bytes(INDEX_FILE)  # what a second writer copied before run A wrote back
    a = ingest_documents(company, [SourceFile("sub/alpha.md", ALPHA)], settings, set_id="run-a", kind="run")
    company.write_bytes(INDEX_FILE, before_a)  # ... and then wrote back over it: run A's rows are gone
    assert company.exists(data_path(hashlib.sha256(ALPHA).hexdigest()))
    with open_set(company, "run-a", a.files, settings) as index:
        hit = index.search("invoice matching")[0]
        assert hit.file == "sub/alpha.md" and "nine full-time" in hit.text
        assert index.search("Venlo") == []
    with open_current(company) as current:  # the restored set was written back, and is not made current
        assert current is not None and current.search("Venlo")[0].file == "beta.md"
        assert current.search("invoice matching") == []
