"""Peak memory of `casebook ingest` on a large folder: it must stay bounded, whatever the folder's size.

    .venv/bin/python bench/ingest_memory.py                 # about 500 MB
    .venv/bin/python bench/ingest_memory.py --mb 200 --out /tmp/bench-mem

It builds a folder in a temp dir (deterministic: fixed seeds) of about --mb megabytes:

  large PDFs     a few pages of text and a large image of noise each (45 MB apiece), so
                 their bytes are large but their text small (reportlab)
  text PDFs      report-like pages of text (the generator of bench/ingest.py)
  a big CSV      about 40 MB of ticket rows: many passages from one file
  junk           binary files that are skipped (unsupported type), and one over the size limit

then runs `casebook ingest COMPANY --docs FOLDER --json` (the CLI, in its own process) into fresh
storage and prints: the CLI process's peak RSS (ru_maxrss from wait4), the peak of the whole
process tree's memory summed (the CLI, its fork server and its reading workers; sampled from
/proc every 20 ms), each worker's own peak (VmHWM, as last seen), the seconds it took, and what was
stored: skipped files must leave nothing in data/. The tree's peak is given as PSS (shared
pages counted once, as the kernel would free them) and as RSS (shared pages counted per
process). Exit status 1 if the tree's PSS peak is over --limit-mb (300) or a skipped file was
stored.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

MB = 1024 * 1024
COMPANY = "Memory Bench Co"


def _noise_pdf(seed: int, text_pages: int) -> bytes:
    """A PDF of a few text pages, one of them holding a large image of noise (incompressible)."""
    from PIL import Image
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.utils import ImageReader
    from reportlab.pdfgen import canvas

    rng = random.Random(seed)
    side = 3400  # 3400 x 3400 RGB noise: 35 MB, 43 MB once ASCII85-encoded in the PDF (noise does not compress)
    image = Image.frombytes("RGB", (side, side), rng.randbytes(side * side * 3))
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=A4, invariant=1)
    for number in range(1, text_pages + 1):
        text = pdf.beginText(56, 800)
        text.setFont("Helvetica", 10)
        for line in range(50):
            text.textLine(f"Survey {seed} page {number} line {line}: depot volumes and carrier costs by month.")
        pdf.drawText(text)
        if number == text_pages:  # drawn small on a page of text: stored whole, never OCR'd
            pdf.drawImage(ImageReader(image), 500, 40, width=40, height=40)
        pdf.showPage()
    pdf.save()
    return buffer.getvalue()


def _big_csv(target_bytes: int) -> bytes:
    rng = random.Random(7)
    words = [
        "depot", "carrier", "invoice", "pallet", "route", "driver", "customer", "complaint", "delay", "scanner",
        "picking",
    ]
    lines = ["ticket,created,category,minutes,summary"]
    size = 0
    i = 0
    while size < target_bytes:
        summary = " ".join(rng.choice(words) for _ in range(rng.randint(8, 20)))
        line = f"T-{i},2025-{i % 12 + 1:02d}-{i % 28 + 1:02d},{rng.choice(words)},{rng.randint(1, 90)},{summary}"
        lines.append(line)
        size += len(line) + 1
        i += 1
    return ("\n".join(lines) + "\n").encode()


def build_folder(folder: Path, total_mb: int) -> dict[str, list[str]]:
    """The folder; returns the names expected to be read and expected to be skipped."""
    import ingest as speed_bench  # bench/ingest.py: the report-like PDF generator

    folder.mkdir(parents=True, exist_ok=True)
    kinds: dict[str, list[str]] = {"read": [], "skipped": []}
    vocab = speed_bench.Vocabulary(random.Random(speed_bench.SEED))
    for i, topic in enumerate(["logistics", "finance", "it"]):
        name = f"reports/report-{i + 1}.pdf"
        (folder / "reports").mkdir(exist_ok=True)
        (folder / name).write_bytes(speed_bench.make_pdf(vocab, f"Report {i + 1}", topic, 40))
        kinds["read"].append(name)
    budget = total_mb * MB - sum((folder / n).stat().st_size for n in kinds["read"])
    csv = _big_csv(min(40 * MB, budget // 6))
    (folder / "tickets.csv").write_bytes(csv)
    kinds["read"].append("tickets.csv")
    budget -= len(csv)
    over = 60 * MB  # one file over the 50 MB limit: skipped before it is read
    (folder / "archive" / "backup.bin").parent.mkdir(exist_ok=True)
    (folder / "archive" / "backup.bin").write_bytes(random.Random(1).randbytes(over))
    kinds["skipped"].append("archive/backup.bin")
    budget -= over
    n = 0
    while budget > 0:  # noise PDFs and junk, about half each
        n += 1
        if n % 2:
            data = _noise_pdf(n, text_pages=3)
            name = f"scans/survey-{n}.pdf"
            kinds["read"].append(name)
        else:
            data = random.Random(n).randbytes(min(40 * MB, max(budget, MB)))
            name = f"junk/blob-{n}.dat"
            kinds["skipped"].append(name)
        (folder / name).parent.mkdir(exist_ok=True)
        (folder / name).write_bytes(data)
        budget -= len(data)
    (folder / "empty.txt").write_bytes(b"")
    kinds["skipped"].append("empty.txt")
    return kinds


def _tree(root: int) -> list[int]:
    """The process and its descendants (from /proc)."""
    parents: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as handle:
                stat = handle.read()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        parents.setdefault(ppid, []).append(int(entry))
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo.extend(parents.get(pid, []))
    return found


def _status_kb(pid: int, field: str) -> int:
    try:
        with open(f"/proc/{pid}/status") as handle:
            for line in handle:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def _pss_kb(pid: int) -> int:
    """Proportional set size: the process's private pages and its share of pages shared with
    others (the fork server's imports, shared by every worker, are counted once in all)."""
    try:
        with open(f"/proc/{pid}/smaps_rollup") as handle:
            for line in handle:
                if line.startswith("Pss:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


class TreeSampler(threading.Thread):
    """The peak of a process tree's memory summed (RSS, and PSS), and each process's own peak."""

    def __init__(self, root: int) -> None:
        super().__init__(daemon=True)
        self.root = root
        self.peak_kb = 0
        self.peak_pss_kb = 0
        self.hwm_kb: dict[int, int] = {}
        self.stop = threading.Event()

    def run(self) -> None:
        while not self.stop.is_set():
            pids = _tree(self.root)
            self.peak_kb = max(self.peak_kb, sum(_status_kb(p, "VmRSS") for p in pids))
            self.peak_pss_kb = max(self.peak_pss_kb, sum(_pss_kb(p) for p in pids))
            for pid in pids:
                self.hwm_kb[pid] = max(self.hwm_kb.get(pid, 0), _status_kb(pid, "VmHWM"))
            self.stop.wait(0.02)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mb", type=int, default=500, help="size of the folder to build, in MB")
    parser.add_argument("--limit-mb", type=float, default=300.0, help="most the whole tree may use at once")
    parser.add_argument("--out", type=Path, help="keep folder and storage here (default: temp dir)")
    parser.add_argument("--build", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.build:
        kinds = build_folder(args.build, args.mb)
        (args.build.parent / "kinds.build.json").write_text(json.dumps(kinds))
        return 0
    work = args.out or Path(tempfile.mkdtemp(prefix="casebook-bench-mem-"))
    try:
        folder, storage = work / "docs", work / "storage"
        shutil.rmtree(storage, ignore_errors=True)
        start = time.perf_counter()
        if not (work / "kinds.json").exists():  # built in a child: its memory is not the ingest's to inherit
            shutil.rmtree(folder, ignore_errors=True)
            subprocess.run([sys.executable, __file__, "--build", str(folder), "--mb", str(args.mb)], check=True)
            (work / "kinds.json").write_text((folder.parent / "kinds.build.json").read_text())
        kinds = json.loads((work / "kinds.json").read_text())
        size = sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())
        print(f"folder: {size / MB:.0f} MB, {len(kinds['read'])} to read, {len(kinds['skipped'])} to skip "
              f"(built in {time.perf_counter() - start:.1f} s)", flush=True)
        cli = Path(sys.executable).with_name("casebook")
        env = {**os.environ, "CASEBOOK_STORAGE_URL": str(storage), "CASEBOOK_LOG_LEVEL": "WARNING"}
        start = time.perf_counter()
        proc = subprocess.Popen([str(cli), "ingest", COMPANY, "--docs", str(folder), "--json"],
                                env=env, stdout=subprocess.PIPE)
        sampler = TreeSampler(proc.pid)
        sampler.start()
        assert proc.stdout is not None
        output = proc.stdout.read()
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - start
        sampler.stop.set()
        sampler.join()
        if os.waitstatus_to_exitcode(status) != 0:
            print(f"casebook ingest failed (exit {os.waitstatus_to_exitcode(status)})")
            return 1
        report = json.loads(output)
        stored = {p.name for p in storage.rglob("data/*")}
        files = report["files"]
        skipped = {s["file"] for s in report["skipped"]}
        stored_skipped = sorted(n for n in skipped if files.get(n) in stored)
        unexpected = sorted(set(kinds["skipped"]) - skipped) + sorted(skipped & set(kinds["read"]))
        hashes_ok = all(
            hashlib.sha256((storage.glob(f"*/data/{sha}").__next__()).read_bytes()).hexdigest() == sha
            for sha in stored
        )
        cli_peak = usage.ru_maxrss / 1024
        others = sorted((kb / 1024 for pid, kb in sampler.hwm_kb.items() if pid != proc.pid), reverse=True)
        print(f"casebook ingest: {seconds:.1f} s, {report['documents']} documents, {report['chunks']} passages, "
              f"{len(report['skipped'])} skipped")
        print(f"peak RSS, the CLI process (wait4):            {cli_peak:7.0f} MB")
        print(f"peak PSS, whole process tree summed (/proc):  {sampler.peak_pss_kb / 1024:7.0f} MB"
              f"  (limit {args.limit_mb:.0f} MB)")
        print(f"peak RSS, whole process tree summed (/proc):  {sampler.peak_kb / 1024:7.0f} MB"
              "  (pages shared by the workers counted once per worker)")
        print("peak RSS, each other process (VmHWM):        " + ", ".join(f"{mb:.0f}" for mb in others) + " MB")
        print(f"stored in data/: {len(stored)} files, {sum(p.stat().st_size for p in storage.rglob('data/*')) / MB:.0f}"
              f" MB; skipped files stored: {stored_skipped or 'none'}; stored bytes match their names: {hashes_ok}")
        if unexpected:
            print(f"not skipped / skipped unexpectedly: {unexpected}")
        print(f"load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())} ({os.cpu_count()} CPUs)")
        ok = sampler.peak_pss_kb / 1024 <= args.limit_mb and not stored_skipped and hashes_ok and not unexpected
        return 0 if ok else 1
    finally:
        if args.out is None:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
