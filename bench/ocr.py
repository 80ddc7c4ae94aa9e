"""Benchmark OCR of scanned PDF pages: seconds a page and words read back, per resolution.

    .venv/bin/python bench/ocr.py                    # 4 pages at 200 and 300 dpi
    .venv/bin/python bench/ocr.py --pages 8 --dpi 150 200 300

It draws A4 pages of business text with Pillow at 300 dpi (no text layer: pixels only, like a
scanner), puts them into a PDF with reportlab, and ingests the PDF with
`casebook.documents.extract_pages` (render with pypdfium2, OCR with Tesseract) once per
resolution. It prints wall and CPU seconds a page (Tesseract runs in a child process: its CPU
is counted from the children's resource usage) and the share of the drawn words found in the
OCR text. Needs the OCR engine (`make setup`, `apt-get install tesseract-ocr tesseract-ocr-eng`).
"""

from __future__ import annotations

import argparse
import io
import os
import random
import resource
import time

from PIL import Image, ImageDraw, ImageFont
from reportlab.lib.pagesizes import A4
from reportlab.lib.utils import ImageReader
from reportlab.pdfgen import canvas

from casebook.config import Settings
from casebook.documents import extract_pages

_TEXT = """freight depot invoice pallet route driver warehouse forklift customer delivery schedule
quarterly revenue margin contract supplier tender audit safety training fleet fuel tolls
Leeds York Harrogate Venlo Tilburg Northwind logistics planning dispatch returns"""
WORDS = _TEXT.split()


def page_image(rng: random.Random) -> tuple[Image.Image, list[str]]:
    """An A4 page at 300 dpi with 11-point-ish text: 40 lines of 9 words."""
    image = Image.new("L", (2480, 3508), "white")
    pen = ImageDraw.Draw(image)
    font = ImageFont.load_default(size=42)
    words: list[str] = []
    for line in range(40):
        chosen = [rng.choice(WORDS) for _ in range(9)]
        words += chosen
        pen.text((200, 250 + 75 * line), " ".join(chosen), fill="black", font=font)
    return image, words


def scanned_pdf(pages: int) -> tuple[bytes, list[str]]:
    rng = random.Random(7)
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=A4, invariant=1)
    words: list[str] = []
    for _ in range(pages):
        image, drawn = page_image(rng)
        words += drawn
        pdf.drawImage(ImageReader(image), 0, 0, width=A4[0], height=A4[1])
        pdf.showPage()
    pdf.save()
    return buffer.getvalue(), words


def cpu() -> float:
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pages", type=int, default=4)
    parser.add_argument("--dpi", type=int, nargs="+", default=[200, 300])
    args = parser.parse_args()
    data, words = scanned_pdf(args.pages)
    drawn = [w.casefold() for w in words]
    print(f"{args.pages} scanned A4 pages, {len(words)} words, {len(data) / 1e6:.1f} MB PDF")
    for dpi in args.dpi:
        settings = Settings(ocr_dpi=dpi)
        wall, used = time.perf_counter(), cpu()
        pages = extract_pages("scan.pdf", data, settings)
        wall, used = time.perf_counter() - wall, cpu() - used
        read = [w.casefold().strip(".,;:") for p in pages for w in p.text.split()]
        found = sum(1 for a, b in zip(drawn, read, strict=False) if a == b)
        print(
            f"{dpi:4d} dpi: {wall / args.pages:5.2f} s/page wall, {used / args.pages:5.2f} s/page CPU, "
            f"{len(pages)} pages marked ocr={all(p.ocr for p in pages)}, words in place {found / len(drawn):.1%}"
        )
    print(f"load average {os.getloadavg()[0]:.2f} (2 cores)")


if __name__ == "__main__":
    main()
