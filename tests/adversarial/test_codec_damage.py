"""A damaged row in a SqliteBackend file: the library's CodecError, naming the record.

Rows are JSON text (``botostub_ec2/backends/codec.py``). Another process, a disk error or a hand
edit can leave one unreadable: truncated, not JSON, JSON of the wrong shape, a field of the wrong
type, absurdly deep. Reading such a row used to raise ``json.JSONDecodeError``, ``TypeError``,
``AttributeError`` or ``RecursionError`` from inside a call; it now raises
:class:`~botostub_ec2.backends.codec.CodecError` naming the kind and, when the text still says it,
the record's key. The tests damage a row with a raw ``sqlite3`` UPDATE, as a foreign writer would.

Evidence and decisions: docs/fidelity/backends.md ("Damaged rows").
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import boto3
import pytest

from botostub_ec2 import Ec2Stub, ImageRecord, SqliteBackend
from botostub_ec2.backends.codec import CodecError, codec_for


def seeded(tmp_path: Path) -> tuple[Ec2Stub, str, Path]:
    path = tmp_path / "state.db"
    stub = Ec2Stub(backend=SqliteBackend(path))
    image = stub.add_image("web-2024", tags={"team": "web"})
    return stub, image.image_id, path


def damage(path: Path, key: str, change: Any) -> None:
    """Replace the stored text of the record ``key`` by ``change(old text)``."""
    conn = sqlite3.connect(path)
    try:
        (old,) = conn.execute("SELECT data FROM records WHERE key = ?", (key,)).fetchone()
        conn.execute("UPDATE records SET data = ? WHERE key = ?", (change(old), key))
        conn.commit()
    finally:
        conn.close()


def edit(**fields: Any) -> Any:
    def change(old: str) -> str:
        document = json.loads(old)
        document.update(fields)
        return json.dumps(document)
    return change


DAMAGE = {
    "truncated": lambda old: old[: len(old) // 2],
    "not-json": lambda old: "this is not JSON",
    "empty": lambda old: "",
    "a-list": lambda old: "[1, 2, 3]",
    "a-number": lambda old: "42",
    "null": lambda old: "null",
    "nested": lambda old: "[" * 100_000 + "]" * 100_000,
    "bad-date": edit(creation_date="yesterday"),
    "date-as-number": edit(creation_date=5),
    "tags-as-list": edit(tags=[1, 2]),
    "tags-as-number": edit(tags=7),
    "devices-as-text": edit(block_devices="sda"),
    "device-as-number": edit(block_devices=[5]),
    "name-as-number": edit(name=5),
    "public-as-text": edit(public="yes"),
    "unknown-field": edit(colour="blue"),
    "missing-id": lambda old: json.dumps({k: v for k, v in json.loads(old).items()
                                          if k != "image_id"}),
}


@pytest.mark.parametrize("name", sorted(DAMAGE))
def test_damaged_row_is_a_codec_error_naming_the_record(tmp_path: Path, name: str) -> None:
    stub, image_id, path = seeded(tmp_path)
    damage(path, image_id, DAMAGE[name])
    stub.backend = SqliteBackend(path)  # a fresh backend: nothing cached
    with pytest.raises(CodecError) as info:
        stub.image(image_id)
    message = str(info.value)
    assert "ImageRecord" in message
    if name not in ("truncated", "not-json", "empty", "a-list", "a-number", "null", "nested",
                    "missing-id"):
        assert image_id in message, message  # the text still names the record


@pytest.mark.parametrize("name", ["truncated", "tags-as-list", "nested"])
def test_a_call_reading_a_damaged_row_raises_codec_error(tmp_path: Path, name: str) -> None:
    stub, image_id, path = seeded(tmp_path)
    damage(path, image_id, DAMAGE[name])
    stub.backend = SqliteBackend(path)
    with stub:
        ec2 = boto3.client("ec2", region_name="us-east-1")
        with pytest.raises(CodecError, match="ImageRecord"):
            ec2.describe_images(Owners=["self"])
    # The call is logged as having raised the library error.
    assert stub.calls[-1].error_code == "CodecError"


def test_codec_error_is_a_library_error_and_a_type_error() -> None:
    from botostub_ec2 import BotostubError

    with pytest.raises(CodecError) as info:
        codec_for(ImageRecord).loads('{"image_id": "ami-1", "creation_date": 5')
    assert isinstance(info.value, BotostubError)
    assert isinstance(info.value, TypeError)


def test_undamaged_rows_read_back_unchanged(tmp_path: Path) -> None:
    stub, image_id, path = seeded(tmp_path)
    before = stub.image(image_id)
    stub.backend = SqliteBackend(path)
    assert stub.image(image_id) == before
