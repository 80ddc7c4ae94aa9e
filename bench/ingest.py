"""Benchmark ingest (extract + chunk + index) and search on a generated corpus.

    .venv/bin/python bench/ingest.py                     # 400 PDF pages, 20,000 chunks
    .venv/bin/python bench/ingest.py --pdf-pages 400 --chunks 20000 --out /tmp/bench-ingest
    .venv/bin/python bench/ingest.py --profile           # also cProfile the PDF ingest

It generates, deterministically (fixed seed, reportlab `invariant=1`, fixed zip timestamps), a
corpus of several report-like PDFs (at least --pdf-pages pages of varied business text) plus
office files (docx, pptx, xlsx, csv, md), then measures with `casebook.documents.corpus.ingest_documents`
into fresh storage, each phase in a child process so its peak RSS (ru_maxrss via wait4) is its own:

  pdf       the PDF set alone: pages/s and MB/s end to end (extract + chunk + index + store),
            and bare pypdfium2 text extraction of the same pages in the same process (open,
            each page's text, close: one process), and the ratio of the two times; and the
            ingest with CASEBOOK_INGEST_WORKERS=1 (read in the ingest's own process, no pool)
  all       every file (PDFs and office files): pages/s and MB/s
  reingest  the same set again, unchanged: seconds (hashing only, no extraction)
  search    the index extended to about --chunks passages with generated text documents, then
            p50 / p99 latency of --queries varied natural-language queries (k=5 and k=24)

Files are given as `casebook ingest` gives a folder's (local files read by the reading workers;
in the page cache before the clock starts); storage writes (data/ copies) are included.
Each set is ingested --repeat times into fresh storage and the fastest run is reported (all run
times are printed): the machine is shared, and other work only ever makes a run slower. CPU
seconds of the ingest's own process are printed too (the reading workers' are not).
Without --out everything lives in a temp dir that is removed at the end. Exit status 0 unless a
phase fails; missing a target is reported, not an error.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import itertools
import json
import os
import pstats
import random
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

TARGET_PDF_PAGES_PER_S = 300.0
TARGET_BARE_RATIO = 2.0  # the ingest of the PDF set within 2x of bare pypdfium2 extraction of it
TARGET_SEARCH_P50_MS = 10.0
SEARCH_PASSES = 3  # every query is timed this often; "best" is each query's fastest pass
SEED = 20251125
COMPANY = "Bench Co"

# -- a vocabulary with topics, so BM25 has common and rare terms to weigh ----------------------


def _words(text: str) -> list[str]:
    return text.split()


TOPICS: dict[str, str] = {
    "logistics": """shipment consignment pallet trailer tractor linehaul depot hub cross-dock route
        tour
        planner dispatcher driver subcontractor carrier freight lane delivery slot proof-of-delivery
        tracking telematics geofence fuel diesel toll kilometre mileage loading unloading dock
        backhaul transit customs manifest waybill parcel courier fleet maintenance tachograph""",
    "warehouse": """warehouse picking packing slotting replenishment inventory stock SKU location
        bin
        rack forklift reach-truck scanner barcode putaway receiving dispatch order-line wave batch
        cycle-count shrinkage pallet-position mezzanine conveyor sorter labour-hour productivity
        returns kitting co-packing labelling temperature chilled ambient""",
    "finance": """revenue margin EBITDA profit cost budget forecast invoice payable receivable
        accrual depreciation amortisation capex opex cash-flow liquidity covenant debt equity
        dividend audit auditor ledger reconciliation journal variance write-off provision tax
        VAT pricing tariff surcharge rebate discount credit-note""",
    "people": """employee headcount vacancy recruitment onboarding training absenteeism turnover
        overtime shift roster works-council union collective-agreement salary wage bonus pension
        appraisal competence mentor apprenticeship wellbeing safety incident injury diversity
        leadership succession""",
    "it": """ERP WMS TMS CRM integration interface API EDI middleware BizTalk Snowflake warehouse
        dashboard report data-model pipeline batch nightly export import migration upgrade cloud
        server licence vendor helpdesk ticket outage backup recovery security firewall
        identity access password phishing patch latency""",
    "customer": """customer client account complaint enquiry ticket call e-mail chat portal
        satisfaction NPS churn retention contract tender renewal service-level escalation
        callback abandonment handling-time agent queue knowledge-base FAQ self-service
        feedback survey loyalty""",
    "sustainability": """emission carbon CO2 electric battery charging solar photovoltaic energy
        efficiency biofuel HVO hydrogen noise particulate reporting CSRD scope taxonomy
        offset insulation LED recycling packaging waste biodiversity""",
    "legal": """regulation compliance GDPR privacy consent processor controller retention
        breach liability indemnity clause penalty arbitration jurisdiction licence permit
        inspection certification ISO audit-trail policy whistleblower sanction""",
}
FILLER = _words("""the a of and to in for with on by from at is was were are has have had that which
    this these it its our their be been will would can could also more less than about over
    under between during after before while because however although therefore""")
VERBS = _words("""improved declined increased reduced doubled halved stabilised delayed accelerated
    automated digitised outsourced centralised consolidated renegotiated audited reviewed
    forecast planned measured reported escalated resolved piloted launched replaced""")
MONTHS = _words("""January February March April May June July August September October November
    December""")
_LETTERS = "ABCDEFGHKLMNPRSTVW"
_SYLLABLES = _words("""al ber cor dan el fen gar hol is jan kor lin mar nor ost pel quin ros sten
    tor ul ven wes yar zel""")


# Sentence frames: {T} a topic term, {S} site, {P} person, {C} company, {K} case code, {V} verb,
# {M} month, {Y} year, {N} number; any other slot is a word from SYNONYMS, so no frame word
# ends up in every passage.
FRAMES = [
    "In {M} {Y} the {T} {T} at {S} {V} by {N}% to {N} {T}s.",
    "{P} ({T} {ROLE}) {SAID} the {T} {PROC} is {STATE} and {V} {T} for {C}.",
    "{REF} {K}: a {T} {T} with {C} was {V} after {N} {UNIT}.",
    "The {T} {MONEY} of EUR {N} {SCALE} {COVERS} {T}, {T} and {T} in {S} and {S}.",
    "{S} {REPORTED} {N} {T}s against a {GOAL} of {N}.",
    "Most {T} {ISSUE}s come from {T} and {T}, according to {P}.",
    "{C} {ASKED} for {T} {T} by {M}.",
    "A {T} {PROJ} {STARTED} in {M} {Y} and {V} {T} at {S}.",
    "We {PLAN} to {ACT} {T} {T} before {Y}.",
    "Without {T}, the {T} {TEAM} {SPENDS} {N} hours a week on {T}.",
    "{P} {SAID} that {T} is still {STATE} at {S}.",
]
SYNONYMS = {
    key: _words(text)
    for key, text in {
        "ROLE": "lead manager owner coordinator specialist director analyst supervisor",
        "SAID": "said noted explained stressed reported argued mentioned confirmed",
        "PROC": "process workflow procedure routine practice approach",
        "STATE": "manual slow fragmented stable costly error-prone reliable outdated improving",
        "REF": "Case Ticket Claim Order Incident Request Finding Action",
        "UNIT": "days weeks hours months",
        "MONEY": "budget spend allocation cost investment forecast",
        "SCALE": "million thousand",
        "COVERS": "covers funds includes supports",
        "REPORTED": "reported recorded logged handled processed counted",
        "GOAL": "target plan forecast benchmark budget",
        "ISSUE": "problem delay error complaint exception deviation escalation",
        "ASKED": "asked requested pushed pressed",
        "PROJ": "project pilot programme trial initiative rollout",
        "STARTED": "started began resumed stalled ended",
        "PLAN": "plan intend expect want hope aim",
        "ACT": "automate digitise outsource centralise consolidate renegotiate audit replace",
        "TEAM": "team department desk unit group office",
        "SPENDS": "spends loses needs uses wastes",
    }.items()
}
_SLOT = re.compile(r"\{(\w+)\}")


def _names(rng: random.Random, n: int, parts: int) -> list[str]:
    names: set[str] = set()
    while len(names) < n:
        names.add("".join(rng.choice(_SYLLABLES) for _ in range(parts)).capitalize())
    return sorted(names)


class Vocabulary:
    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self._weights: dict[int, list[float]] = {}
        # a long tail of general words, so documents share some vocabulary and differ in most
        self.general = [w.lower() for w in _names(rng, 3000, 3)]
        rng.shuffle(self.general)
        self.topics = {t: w.split() for t, w in TOPICS.items()}
        self.companies = [
            f"{n} {s}"
            for n, s in zip(
                _names(rng, 160, 2),
                rng.choices(["B.V.", "GmbH", "Ltd", "N.V.", "Group", "Logistics"], k=160),
                strict=True,
            )
        ]
        self.people = [
            f"{f} {s}" for f, s in zip(_names(rng, 220, 2), _names(rng, 220, 3), strict=True)
        ]
        self.sites = _names(rng, 90, 3)
        self.codes = [
            f"{rng.choice(_LETTERS)}{rng.choice(_LETTERS)}-{rng.randint(1000, 99999)}"
            for _ in range(600)
        ]

    def zipf(self, words: list[str]) -> str:
        """A word with a Zipf-Mandelbrot skew: the first words of a list are the commonest."""
        weights = self._weights.get(len(words))
        if weights is None:
            weights = self._weights[len(words)] = list(
                itertools.accumulate(1 / (r + 2.7) for r in range(len(words)))
            )
        return self.rng.choices(words, cum_weights=weights)[0]

    def term(self, topic: str) -> str:
        """A content word: mostly from the topic, sometimes another topic's, often general."""
        roll = self.rng.random()
        if roll < 0.4:
            return self.zipf(self.general)
        other = roll > 0.88
        return self.zipf(self.topics[self.rng.choice(list(self.topics)) if other else topic])

    def sentence(self, topic: str) -> str:
        """A report-like sentence from a frame, or (often) a free run of topic and filler words."""
        r = self.rng
        if r.random() < 0.45:
            words = [
                self.term(topic) if r.random() < 0.55 else r.choice(FILLER)
                for _ in range(r.randint(9, 22))
            ]
            return " ".join(words).capitalize() + "."
        slots: dict[str, Callable[[], str]] = {
            "T": lambda: self.term(topic),
            "S": lambda: r.choice(self.sites),
            "P": lambda: r.choice(self.people),
            "C": lambda: r.choice(self.companies),
            "K": lambda: r.choice(self.codes),
            "V": lambda: r.choice(VERBS),
            "M": lambda: r.choice(MONTHS),
            "Y": lambda: str(r.randint(2019, 2026)),
            "N": lambda: r.choice(
                [
                    str(r.randint(2, 99)),
                    f"{r.randint(100, 99_999):,}",
                    f"{r.randint(1, 40)}.{r.randint(0, 9)}",
                ]
            ),
        }
        frame = r.choice(FRAMES)
        return _SLOT.sub(
            lambda m: slots[m[1]]() if m[1] in slots else r.choice(SYNONYMS[m[1]]), frame
        )

    def paragraph(self, topic: str, sentences: tuple[int, int] = (3, 7)) -> str:
        return " ".join(self.sentence(topic) for _ in range(self.rng.randint(*sentences)))

    def query(self) -> str:
        r = self.rng
        topic = r.choice(list(self.topics))

        def t() -> str:
            return self.term(topic)

        templates = [
            lambda: (
                f"how many {t()}s did {r.choice(self.sites)} handle in {r.randint(2019, 2026)}?"
            ),
            lambda: f"what was the {t()} {t()} rate last year",
            lambda: f"who is responsible for {t()} {t()} at {r.choice(self.companies)}",
            lambda: f"why did {t()} costs rise in {r.choice(MONTHS)}?",
            lambda: f"{t()} {t()}",
            lambda: f"{t()}",
            lambda: f"case {r.choice(self.codes)}",
            lambda: f"what did {r.choice(self.people)} say about {t()} and {t()}?",
            lambda: (
                f"give me an overview of the {t()} problems, the {t()} backlog and what the "
                f"{t()} team plans to do about {t()} in {r.randint(2025, 2028)}"
            ),
            lambda: (
                f"is the {t()} {r.choice(VERBS)} or still done by hand in {r.choice(self.sites)}?"
            ),
        ]
        return r.choice(templates)()


# -- documents ----------------------------------------------------------------------------------

_FIXED_ZIP_TIME = (2025, 1, 1, 0, 0, 0)
_CORE_DATES = re.compile(rb"(<dcterms:(?:created|modified)[^>]*>)[^<]*(</)")


def _fixed_zip(data: bytes) -> bytes:
    """The same zip with fixed timestamps (members and document dates): repeatable bytes."""
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(data)) as src,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst,
    ):
        for info in src.infolist():
            fixed = zipfile.ZipInfo(info.filename, _FIXED_ZIP_TIME)
            fixed.compress_type = zipfile.ZIP_DEFLATED
            member = src.read(info.filename)
            if info.filename == "docProps/core.xml":  # openpyxl stamps the save time here
                member = _CORE_DATES.sub(rb"\g<1>2025-01-01T00:00:00Z\2", member)
            dst.writestr(fixed, member)
    return out.getvalue()


def make_pdf(vocab: Vocabulary, title: str, topic: str, pages: int) -> bytes:
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=A4, invariant=1)
    pdf.setTitle(title)
    for number in range(1, pages + 1):
        text = pdf.beginText(56, 800)
        text.setFont("Helvetica", 8)
        text.textLine(f"{title} - Page {number} of {pages}")
        text.setFont("Helvetica-Bold", 12)
        text.textLine(f"{number}. {vocab.term(topic).capitalize()} and {vocab.term(topic)}")
        text.setFont("Helvetica", 9)
        lines = 0
        while lines < 52:
            if vocab.rng.random() < 0.15:  # a small table, as reports have
                text.textLine(f"Table {number}.{lines} - {vocab.term(topic)} by site")
                for site in vocab.rng.sample(vocab.sites, 4):
                    a, b = vocab.rng.randint(10, 9999), vocab.rng.randint(10, 9999)
                    text.textLine(f"{site}   {a:,}   {b:,}   {100 * (b - a) / a:+.1f}%")
                lines += 5
            for line in textwrap.wrap(vocab.paragraph(topic), 110):
                text.textLine(line)
                lines += 1
            text.textLine("")
            lines += 1
        pdf.drawText(text)
        pdf.showPage()
    pdf.save()
    return buffer.getvalue()


def make_docx(vocab: Vocabulary, topic: str, paragraphs: int) -> bytes:
    from datetime import datetime

    import docx

    document = docx.Document()
    document.core_properties.created = document.core_properties.modified = datetime(2025, 1, 1)
    document.add_heading(f"Interview notes: {vocab.term(topic)}", 0)
    for i in range(paragraphs):
        if i % 8 == 0:
            document.add_heading(f"{i // 8 + 1}. {vocab.term(topic).capitalize()}", 1)
        document.add_paragraph(vocab.paragraph(topic))
        if i % 15 == 14:
            table = document.add_table(rows=6, cols=4)
            for row in table.rows:
                for cell in row.cells:
                    cell.text = (
                        vocab.term(topic)
                        if vocab.rng.random() < 0.5
                        else str(vocab.rng.randint(1, 999))
                    )
    buffer = io.BytesIO()
    document.save(buffer)
    return _fixed_zip(buffer.getvalue())


def make_pptx(vocab: Vocabulary, topic: str, slides: int) -> bytes:
    import pptx

    deck = pptx.Presentation()
    for i in range(slides):
        slide = deck.slides.add_slide(deck.slide_layouts[1])
        slide.shapes.title.text = f"{vocab.term(topic).capitalize()} {vocab.term(topic)} ({i + 1})"
        body = slide.placeholders[1].text_frame
        body.text = vocab.sentence(topic)
        for _ in range(4):
            body.add_paragraph().text = vocab.sentence(topic)
        slide.notes_slide.notes_text_frame.text = vocab.paragraph(topic)
    buffer = io.BytesIO()
    deck.save(buffer)
    return _fixed_zip(buffer.getvalue())


def make_xlsx(vocab: Vocabulary, topic: str, sheets: int, rows: int) -> bytes:
    from datetime import datetime

    import openpyxl

    book = openpyxl.Workbook()
    book.properties.created = book.properties.modified = datetime(2025, 1, 1)
    book.remove(book.active)
    for s in range(sheets):
        sheet = book.create_sheet(f"{vocab.term(topic)[:20]}_{s + 1}")
        sheet.append(["Month", "Site", "Item", "Volume", "Cost EUR", "Note"])
        for r in range(rows):
            sheet.append(
                [
                    f"2025-{r % 12 + 1:02d}",
                    vocab.rng.choice(vocab.sites),
                    vocab.term(topic),
                    vocab.rng.randint(1, 50_000),
                    round(vocab.rng.uniform(10, 90_000), 2),
                    vocab.sentence(topic) if r % 10 == 0 else "",
                ]
            )
    buffer = io.BytesIO()
    book.save(buffer)
    return _fixed_zip(buffer.getvalue())


def make_csv(vocab: Vocabulary, topic: str, rows: int) -> bytes:
    lines = ["ticket_id,created,category,channel,minutes,customer,summary"]
    for i in range(rows):
        summary = vocab.sentence(topic).replace('"', "'")
        lines.append(
            f"{vocab.rng.choice(vocab.codes)}-{i},2025-11-{i % 28 + 1:02d},{vocab.term(topic)},"
            f"{vocab.rng.choice(['phone', 'e-mail', 'portal', 'chat'])},{vocab.rng.randint(1, 90)},"
            f'"{vocab.rng.choice(vocab.companies)}","{summary}"'
        )
    return ("\n".join(lines) + "\n").encode()


def make_md(vocab: Vocabulary, topic: str, sections: int, title: str) -> bytes:
    parts = [f"# {title}\n"]
    for i in range(sections):
        parts.append(f"## {i + 1}. {vocab.term(topic).capitalize()} {vocab.term(topic)}\n")
        parts.extend(vocab.paragraph(topic) + "\n" for _ in range(vocab.rng.randint(2, 5)))
        if i % 3 == 0:
            parts.append("| system | owner | state |\n|---|---|---|")
            parts.extend(
                f"| {vocab.term('it')} | {vocab.rng.choice(vocab.people)} "
                f"| {vocab.rng.choice(VERBS)} |"
                for _ in range(5)
            )
            parts.append("")
    return "\n".join(parts).encode()


def generate_corpus(folder: Path, pdf_pages: int) -> dict[str, list[str]]:
    """Write the corpus; returns the file names per set ("pdf", "office")."""
    rng = random.Random(SEED)
    vocab = Vocabulary(rng)
    topics = list(TOPICS)
    folder.mkdir(parents=True, exist_ok=True)
    sets: dict[str, list[str]] = {"pdf": [], "office": []}
    sizes = [64, 48, 80, 36, 56, 72, 44]
    done, i = 0, 0
    while done < pdf_pages:
        pages = min(sizes[i % len(sizes)], pdf_pages - done)
        topic = topics[i % len(topics)]
        name = f"report-{i + 1:02d}-{topic}.pdf"
        (folder / name).write_bytes(
            make_pdf(vocab, f"{vocab.rng.choice(vocab.companies)} {topic} report", topic, pages)
        )
        sets["pdf"].append(name)
        done, i = done + pages, i + 1
    office = {
        "interview-coo.docx": lambda: make_docx(vocab, "logistics", 45),
        "interview-customer-service.docx": lambda: make_docx(vocab, "customer", 40),
        "strategy-memo.docx": lambda: make_docx(vocab, "finance", 30),
        "board-deck.pptx": lambda: make_pptx(vocab, "finance", 24),
        "it-roadmap.pptx": lambda: make_pptx(vocab, "it", 16),
        "operations-data.xlsx": lambda: make_xlsx(vocab, "warehouse", 4, 400),
        "hr-data.xlsx": lambda: make_xlsx(vocab, "people", 2, 300),
        "support-tickets.csv": lambda: make_csv(vocab, "customer", 1500),
        "carrier-invoices.csv": lambda: make_csv(vocab, "finance", 800),
        "it-landscape.md": lambda: make_md(vocab, "it", 24, "IT landscape"),
        "sustainability-notes.md": lambda: make_md(
            vocab, "sustainability", 16, "Sustainability notes"
        ),
    }
    for name, make in office.items():
        (folder / name).write_bytes(make())
        sets["office"].append(name)
    return sets


def generate_filler(folder: Path, chunks: int, chunk_chars: int) -> list[str]:
    """Plain-text documents of about `chunks` passages in all (used to grow the index)."""
    rng = random.Random(SEED + 1)
    vocab = Vocabulary(rng)
    folder.mkdir(parents=True, exist_ok=True)
    names = []
    per_doc = 200  # passages per document
    # one paragraph per passage: the chunker cuts at a paragraph break in a passage's second half
    for d in range((chunks + per_doc - 1) // per_doc):
        topic = list(TOPICS)[d % len(TOPICS)]
        paragraphs = []
        for _ in range(min(per_doc, chunks - d * per_doc)):
            text = ""
            while len(text) < chunk_chars * 0.6:
                text += vocab.sentence(topic) + " "
            paragraphs.append(text.strip())
        name = f"notes-{d + 1:03d}-{topic}.md"
        (folder / name).write_text("\n\n".join(paragraphs) + "\n")
        names.append(name)
    return names


def queries(n: int) -> list[str]:
    rng = random.Random(SEED + 2)
    vocab = Vocabulary(rng)
    return [vocab.query() for _ in range(n)]


# -- measuring (in a child process) -------------------------------------------------------------


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def _sources(folder: Path, names: list[str]) -> list[Any]:
    """The files as `casebook ingest` gives them: local files, read when used (by the workers)."""
    from casebook.models import LocalFile

    for name in names:  # in the page cache before the clock starts, as files just written are
        (folder / name).read_bytes()
    return [LocalFile(name, folder / name, (folder / name).stat().st_size) for name in names]


def _ingest(
    storage_dir: Path, sources: list[Any], profile: Path | None = None, workers: int | None = None
) -> dict[str, Any]:
    from casebook.config import Settings
    from casebook.documents.corpus import ingest_documents
    from casebook.storage import Storage

    settings = Settings(storage_url=str(storage_dir), ingest_workers=workers)
    company = Storage(str(storage_dir)).company(COMPANY)
    profiler = cProfile.Profile() if profile else None
    start, cpu = time.perf_counter(), time.process_time()
    if profiler:
        profiler.enable()
    report = ingest_documents(company, sources, settings)
    if profiler:
        profiler.disable()
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    if profiler and profile:
        profiler.dump_stats(str(profile))
    return {
        "seconds": seconds,
        "cpu_seconds": cpu,  # this process only (worker processes, if any, not included)
        "files": len(sources),
        "bytes": sum(s.size for s in sources),
        "indexed": len(report.indexed),
        "unchanged": len(report.unchanged),
        "skipped": [f"{s.file}: {s.reason}" for s in report.skipped],
        "pages": report.pages_added,
        "chunks_added": report.chunks_added,
        "chunks": report.chunks,
    }


def _repeat(
    work: Path,
    name: str,
    sources: list[Any],
    times: int,
    profile: Path | None = None,
    workers: int | None = None,
) -> dict[str, Any]:
    """Ingest into fresh storage `times` times; the best run's figures, with every run's seconds.

    The best of several runs is the usual answer to a shared machine's noise; the last run's
    storage is kept as `name` (the later phases build on it).
    """
    runs = []
    for i in range(times):
        target = work / (name if i == times - 1 else f"{name}-run{i + 1}")
        runs.append(_ingest(target, sources, profile if i == 0 else None, workers))
        if target.name != name:
            shutil.rmtree(target, ignore_errors=True)
    best = min(runs, key=lambda run: run["seconds"])
    return {**best, "runs_seconds": [run["seconds"] for run in runs]}


def _bare_pdfium(sources: list[Any], times: int) -> dict[str, Any]:
    """Bare pypdfium2 text extraction of the same PDFs, in this one process: open, each page's
    text, close; nothing else. The fastest of `times` runs."""
    import pypdfium2 as pdfium

    runs = []
    for _ in range(times):
        pages = 0
        start = time.perf_counter()
        for source in sources:
            document = pdfium.PdfDocument(source.data)
            for page in document:
                textpage = page.get_textpage()
                textpage.get_text_range()
                textpage.close()
                page.close()
                pages += 1
            document.close()
        runs.append(time.perf_counter() - start)
    return {"seconds": min(runs), "pages": pages, "runs_seconds": runs}


def child(phase: str, work: Path, profile: bool) -> dict[str, Any]:
    import casebook.documents.corpus  # imports are not part of the measurement
    import casebook.documents.extract  # noqa: F401

    plan = json.loads((work / "plan.json").read_text())
    corpus = work / "corpus"
    result: dict[str, Any] = {"rss_start_mb": _rss_mb()}
    if phase == "pdf":
        sources = _sources(corpus, plan["pdf"])
        result["pdf"] = _repeat(
            work, "storage-pdf", sources, plan["repeat"], work / "pdf.prof" if profile else None
        )
        result["bare"] = _bare_pdfium(sources, plan["repeat"])
        result["serial"] = _repeat(work, "storage-serial", sources, plan["repeat"], workers=1)
    elif phase == "all":
        sources = _sources(corpus, plan["pdf"] + plan["office"])
        result["all"] = _repeat(work, "storage-all", sources, plan["repeat"])
        result["rss_after_all_mb"] = _rss_mb()
        result["reingest"] = _ingest(work / "storage-all", sources)
    elif phase == "search":
        result.update(_search(work, plan))
    result["rss_peak_mb"] = _rss_mb()
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    result["rss_children_peak_mb"] = children  # worker processes, if ingest used any
    return result


def _search(work: Path, plan: dict[str, Any]) -> dict[str, Any]:
    from casebook.documents.corpus import open_current
    from casebook.storage import Storage

    sources = _sources(work / "corpus", plan["pdf"] + plan["office"]) + _sources(
        work / "filler", plan["filler"]
    )
    grow = _ingest(work / "storage-all", sources)  # the PDF + office set is already there
    company = Storage(str(work / "storage-all")).company(COMPANY)
    out: dict[str, Any] = {"grow": grow}
    with open_current(company) as index:
        assert index is not None
        out["chunks"] = index.counts()["chunks"]
        qs = plan["queries"]
        for q in qs:  # warm the page cache and SQLite's
            index.search(q, k=5)
        for k in (5, 24):
            passes: list[list[float]] = []
            empty: list[str] = []
            cpu: list[float] = []
            for _ in range(SEARCH_PASSES):
                times = []
                for q in qs:
                    start, cpu_start = time.perf_counter(), time.process_time()
                    hits = index.search(q, k=k)
                    times.append((time.perf_counter() - start) * 1000)
                    if not passes:
                        cpu.append((time.process_time() - cpu_start) * 1000)
                        if not hits:
                            empty.append(q)
                passes.append(times)
            out[f"search_k{k}"] = {
                "n": len(qs),
                "first_pass": _percentiles(passes[0]),
                "best_of_passes": _percentiles([min(t) for t in zip(*passes, strict=True)]),
                "cpu_first_pass": _percentiles(cpu),
                "no_hits": len(empty),
                "no_hit_examples": empty[:5],
            }
        slow = sorted(qs, key=lambda q: _time_one(index, q))[-3:]
        out["slowest_queries"] = slow
    return out


def _percentiles(times: list[float]) -> dict[str, float]:
    ordered = sorted(times)

    def at(q: float) -> float:
        return ordered[round(q * (len(ordered) - 1))]

    return {
        "p50_ms": statistics.median(ordered),
        "p90_ms": at(0.90),
        "p99_ms": at(0.99),
        "max_ms": ordered[-1],
        "mean_ms": statistics.fmean(ordered),
    }


def _time_one(index: Any, query: str) -> float:
    start = time.perf_counter()
    index.search(query, k=5)
    return time.perf_counter() - start


def run_child(phase: str, work: Path, profile: bool) -> dict[str, Any]:
    """Run one phase in a fresh interpreter; its peak RSS comes from wait4, not from itself."""
    out = work / f"result-{phase}.json"
    cmd = [sys.executable, __file__, "--child", phase, "--out", str(work)] + (
        ["--profile"] if profile else []
    )
    proc = subprocess.Popen(cmd)
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise SystemExit(f"bench phase {phase!r} failed with exit code {proc.returncode}")
    result: dict[str, Any] = json.loads(out.read_text())
    result["rss_wait4_mb"] = usage.ru_maxrss / 1024
    result["cpu_s"] = usage.ru_utime + usage.ru_stime
    return result


# -- report ---------------------------------------------------------------------------------------


def _mark(ok: bool) -> str:
    return "ok" if ok else "MISSED"


def print_report(
    plan: dict[str, Any], pdf: dict[str, Any], alls: dict[str, Any], search: dict[str, Any]
) -> None:
    p, a, r, bare = pdf["pdf"], alls["all"], alls["reingest"], pdf["bare"]
    mb = 1024 * 1024
    pdf_rate = p["pages"] / p["seconds"]
    ratio = p["seconds"] / bare["seconds"]
    print(
        f"\ncorpus: {len(plan['pdf'])} PDFs, {p['pages']} pages, {p['bytes'] / mb:.1f} MB; "
        f"{len(plan['office'])} office files (docx, pptx, xlsx, csv, md); {os.cpu_count()} CPUs"
    )
    print(f"\n{'measure':38} {'value':>14}  target")
    rows = [
        (
            "PDF set: pages/s end to end",
            f"{pdf_rate:,.0f}",
            f">= {TARGET_PDF_PAGES_PER_S:.0f}  {_mark(pdf_rate >= TARGET_PDF_PAGES_PER_S)}",
        ),
        (
            "bare pypdfium2, 1 process: pages/s",
            f"{bare['pages'] / bare['seconds']:,.0f}",
            "(runs: " + ", ".join(f"{t:.2f}" for t in bare["runs_seconds"]) + " s)",
        ),
        (
            "PDF set, 1 worker (no pool): pages/s",
            f"{pdf['serial']['pages'] / pdf['serial']['seconds']:,.0f}",
            "(runs: " + ", ".join(f"{t:.2f}" for t in pdf["serial"]["runs_seconds"]) + " s)",
        ),
        (
            "ingest time / bare pypdfium2 time",
            f"{ratio:.2f}",
            f"<= {TARGET_BARE_RATIO:.0f}  {_mark(ratio <= TARGET_BARE_RATIO)}",
        ),
        ("PDF set: MB/s", f"{p['bytes'] / mb / p['seconds']:.2f}", ""),
        (
            "PDF set: seconds / chunks",
            f"{p['seconds']:.2f} / {p['chunks']}",
            "(runs: " + ", ".join(f"{t:.2f}" for t in p["runs_seconds"]) + " s)",
        ),
        (
            "PDF set: peak RSS (MB)",
            f"{pdf['rss_wait4_mb']:.0f}",
            f"(interpreter + imports {pdf['rss_start_mb']:.0f}; reading workers: "
            "bench/ingest_memory.py)",
        ),
        (
            "PDF set: CPU s, ingest's own process",
            f"{p['cpu_seconds']:.2f}",
            "(reading workers not counted)",
        ),
        (
            "all files: pages/s (PDF pages)",
            f"{p['pages'] / a['seconds']:,.0f}",
            f"({a['pages']} pages/slides/sheets in all: {a['pages'] / a['seconds']:,.0f}/s)",
        ),
        (
            "all files: MB/s",
            f"{a['bytes'] / mb / a['seconds']:.2f}",
            f"({a['bytes'] / mb:.1f} MB, {a['files']} files)",
        ),
        (
            "all files: seconds / chunks",
            f"{a['seconds']:.2f} / {a['chunks']}",
            "(runs: " + ", ".join(f"{t:.2f}" for t in a["runs_seconds"]) + " s)",
        ),
        (
            "all files: CPU s, ingest's own process",
            f"{a['cpu_seconds']:.2f}",
            "(reading workers not counted)",
        ),
        (
            "all files: peak RSS (MB)",
            f"{alls['rss_wait4_mb']:.0f}",
            "",
        ),
        (
            "re-ingest unchanged: seconds",
            f"{r['seconds']:.3f}",
            f"({r['unchanged']} unchanged, {r['chunks_added']} chunks added)",
        ),
    ]
    g = search["grow"]
    for k in (5, 24):
        s = search[f"search_k{k}"]
        for label, pct in (
            ("best", s["best_of_passes"]),
            ("1st pass", s["first_pass"]),
            ("CPU time", s["cpu_first_pass"]),
        ):
            ok = pct["p50_ms"] <= TARGET_SEARCH_P50_MS
            target = f"<= {TARGET_SEARCH_P50_MS:.0f}  {_mark(ok)}" if k == 5 else ""
            rows += [
                (
                    f"search k={k} {label}: p50 / p99 ms",
                    f"{pct['p50_ms']:.2f} / {pct['p99_ms']:.2f}",
                    f"{target}  (p90 {pct['p90_ms']:.2f}, max {pct['max_ms']:.2f})".strip(),
                ),
            ]
    s5 = search["search_k5"]
    rows += [
        (
            "search: index size / queries",
            f"{search['chunks']:,} / {s5['n']}",
            f"({s5['no_hits']} queries without hits; best = fastest of {SEARCH_PASSES} passes)",
        )
    ]
    rows += [
        (
            "index growth: text MB/s",
            f"{(g['bytes'] - a['bytes']) / mb / g['seconds']:.2f}",
            f"({g['indexed']} text files, {g['chunks_added']:,} chunks in {g['seconds']:.1f} s)",
        ),
        ("search phase: peak RSS (MB)", f"{search['rss_wait4_mb']:.0f}", ""),
    ]
    for label, value, target in rows:
        print(f"{label:38} {value:>14}  {target}")
    print("\nslowest queries (k=5):", "; ".join(repr(q) for q in search["slowest_queries"]))
    if search["search_k5"]["no_hit_examples"]:
        print("queries without hits:", "; ".join(map(repr, search["search_k5"]["no_hit_examples"])))
    print(
        f"load average at the end: {' '.join(f'{x:.2f}' for x in os.getloadavg())} "
        "(1, 5, 15 min; other work on the machine skews these)"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--pdf-pages", type=int, default=400, help="PDF pages to generate (at least)"
    )
    parser.add_argument(
        "--chunks", type=int, default=20_000, help="index size for the search measurement"
    )
    parser.add_argument("--queries", type=int, default=500, help="search queries to time")
    parser.add_argument(
        "--repeat", type=int, default=3, help="ingest runs per set; the best one is reported"
    )
    parser.add_argument(
        "--out", type=Path, help="keep corpus, storage and results here (default: temp dir)"
    )
    parser.add_argument(
        "--profile", action="store_true", help="cProfile the PDF ingest; print the top functions"
    )
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.child:
        result = child(args.child, args.out, args.profile)
        (args.out / f"result-{args.child}.json").write_text(json.dumps(result, indent=2))
        return 0

    work = args.out or Path(tempfile.mkdtemp(prefix="casebook-bench-"))
    try:
        for stale in ("storage-pdf", "storage-serial", "storage-all", "filler"):
            shutil.rmtree(work / stale, ignore_errors=True)
        start = time.perf_counter()
        sets = generate_corpus(work / "corpus", args.pdf_pages)
        plan: dict[str, Any] = {
            **sets,
            "filler": [],
            "queries": queries(args.queries),
            "repeat": max(1, args.repeat),
        }
        (work / "plan.json").write_text(json.dumps(plan, indent=1))
        print(
            f"generated corpus in {work / 'corpus'} ({time.perf_counter() - start:.1f} s)",
            flush=True,
        )

        pdf = run_child("pdf", work, args.profile)
        alls = run_child("all", work, False)
        for phase in (pdf["pdf"], alls["all"]):
            if phase["skipped"] or phase["indexed"] != phase["files"]:
                raise SystemExit(f"bench corpus not fully ingested: {phase['skipped']}")
        # grow the index to about --chunks passages with text documents, then time searches
        from casebook.config import Settings

        missing = max(0, args.chunks - alls["all"]["chunks"])
        plan["filler"] = (
            generate_filler(work / "filler", missing, Settings().chunk_chars) if missing else []
        )
        (work / "plan.json").write_text(json.dumps(plan, indent=1))
        search = run_child("search", work, False)
        print_report(plan, pdf, alls, search)
        if args.profile:
            print("\ncProfile of the PDF-set ingest (top 20 by cumulative time):")
            pstats.Stats(str(work / "pdf.prof")).sort_stats("cumulative").print_stats(20)
        (work / "results.json").write_text(
            json.dumps({"pdf": pdf, "all": alls, "search": search}, indent=2)
        )
    finally:
        if args.out is None:
            shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
