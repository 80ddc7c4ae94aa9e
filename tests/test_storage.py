import os
import unicodedata
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from casebook.errors import InputError, StorageError
from casebook.storage import FOLDERS, Storage, company_slug, document_name, safe_filename


def test_slug_is_readable_and_stable() -> None:
    assert company_slug("Acme Corp").startswith("acme-corp-")
    assert company_slug("Acme Corp") == company_slug("  ACME   corp ")


@given(st.text(min_size=1, max_size=80), st.text(min_size=1, max_size=80))
def test_different_names_never_share_a_folder(a: str, b: str) -> None:
    if not a.split() or not b.split():
        return
    same = " ".join(unicodedata.normalize("NFKC", a).casefold().split()) == " ".join(
        unicodedata.normalize("NFKC", b).casefold().split()
    )
    assert (company_slug(a) == company_slug(b)) == same


@given(st.text(min_size=1, max_size=120))
def test_slug_is_always_a_safe_folder_name(name: str) -> None:
    if not name.split():
        with pytest.raises(InputError):
            company_slug(name)
        return
    slug = company_slug(name)
    assert "/" not in slug and ".." not in slug and slug.isascii() and len(slug) <= 60


@pytest.mark.parametrize(
    ("given_name", "expected"),
    [
        ("../../etc/passwd", "passwd"),
        ("..\\..\\boot.ini", "boot.ini"),
        ("Bericht für Q3.pdf", "Bericht für Q3.pdf"),
        (".hidden", "hidden"),
        ("", "document"),
        ("a\x00b.txt", "a_b.txt"),
    ],
)
def test_safe_filename(given_name: str, expected: str) -> None:
    assert safe_filename(given_name) == expected


def test_unicode_company_roundtrip(tmp_path: Path) -> None:
    company = Storage(str(tmp_path)).company("Müller & Söhne GmbH — 東京")
    company.write_text("final/x.md", "hello")
    assert company.read_text("final/x.md") == "hello"
    assert company.list("final") == ["x.md"]


def test_paths_outside_the_layout_are_refused(tmp_path: Path) -> None:
    company = Storage(str(tmp_path)).company("Acme")
    for bad in ["../x", "data/../../x", "nowhere/x", "data/", "data/./x"]:
        with pytest.raises(StorageError):
            company.write_text(bad, "x")
    assert not any(tmp_path.rglob("x"))


def test_atomic_write_leaves_no_temp_and_replaces(tmp_path: Path) -> None:
    company = Storage(str(tmp_path)).company("Acme")
    company.write_text("runs/r.json", "one")
    company.write_text("runs/r.json", "two")
    folder = Path(company.root) / "runs"
    assert os.listdir(folder) == ["r.json"]
    assert company.read_text("runs/r.json") == "two"


def test_failed_write_leaves_old_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    company = Storage(str(tmp_path)).company("Acme")
    company.write_text("final/r.md", "old")

    def boom(src: str, dst: str) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", boom)
    with pytest.raises(StorageError, match="No space left"):
        company.write_text("final/r.md", "new")
    monkeypatch.undo()
    assert company.read_text("final/r.md") == "old"
    assert os.listdir(Path(company.root) / "final") == ["r.md"]


def test_stats_count_files_and_bytes_per_folder(tmp_path: Path) -> None:
    company = Storage(str(tmp_path)).company("Acme")
    company.write_bytes("data/a.txt", b"12345")
    company.write_bytes("data/b.txt", b"123")
    company.write_bytes("final/F.md", b"x")
    stats = company.stats()
    assert set(stats) == set(FOLDERS)
    assert (stats["data"].files, stats["data"].bytes) == (2, 8)
    assert (stats["final"].files, stats["final"].bytes) == (1, 1)
    assert stats["runs"].files == 0


def test_unknown_storage_scheme_is_a_clear_error() -> None:
    with pytest.raises(StorageError, match="CASEBOOK_STORAGE_URL"):
        Storage("nosuchscheme://bucket/x")


def test_company_by_slug_rejects_traversal(tmp_path: Path) -> None:
    with pytest.raises(InputError):
        Storage(str(tmp_path)).company_by_slug("../etc")


@pytest.mark.parametrize(
    ("given_name", "expected"),
    [
        ("sub1/notes.txt", "sub1/notes.txt"),
        ("sub1\\deeper\\notes.txt", "sub1/deeper/notes.txt"),
        ("../../etc/passwd", "etc/passwd"),
        ("a/./b//c.md", "a/b/c.md"),
        (os.fsdecode(b"caf\xe9/r\xe9sum\xe9.txt"), "caf\ufffd/r\ufffdsum\ufffd.txt"),
        ("lone \ud800 surrogate.txt", "lone \ufffd surrogate.txt"),
        ("Cafe\u0301.md", "Café.md"),
        ("", "document"),
    ],
)
def test_document_name_is_a_safe_relative_path(given_name: str, expected: str) -> None:
    assert document_name(given_name) == expected
    document_name(given_name).encode("utf-8")  # always valid UTF-8
