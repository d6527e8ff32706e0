"""The Teams app package: a zip with the manifest and two icons at its root; the manifest valid against
Microsoft's published schema (v1.22, vendored in tests/data/teams), with the command menu; the icons of the
sizes Teams requires."""

from __future__ import annotations

import json
import struct
import zipfile
import zlib

import pytest

from bot.cli import main
from bot.teams import package
from tests.teams import schema

APP_ID = "00000000-0000-0000-0000-0000000000B0"


def read_png(data: bytes) -> tuple[int, int, list[list[tuple[int, ...]]]]:
    """Width, height and RGBA rows of a PNG written without filters (what the package writes)."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, chunks = 8, {}
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind, body = data[pos + 4 : pos + 8], data[pos + 8 : pos + 8 + length]
        (crc,) = struct.unpack(">I", data[pos + 8 + length : pos + 12 + length])
        assert crc == zlib.crc32(kind + body) & 0xFFFFFFFF
        chunks[kind] = chunks.get(kind, b"") + body
        pos += 12 + length
    width, height, depth, color, _, _, _ = struct.unpack(">IIBBBBB", chunks[b"IHDR"])
    assert (depth, color) == (8, 6)  # 8-bit RGBA
    raw = zlib.decompress(chunks[b"IDAT"])
    stride = 1 + width * 4
    rows = []
    for y in range(height):
        line = raw[y * stride : (y + 1) * stride]
        assert line[0] == 0
        rows.append([tuple(line[1 + x * 4 : 5 + x * 4]) for x in range(width)])
    return width, height, rows


@pytest.fixture
def zipped(tmp_path, kb):
    out = tmp_path / "physio-career-teams.zip"
    package.write_package(out, APP_ID, kb)
    return zipfile.ZipFile(out)


def test_the_zip_holds_the_manifest_and_two_icons_at_its_root(zipped):
    assert sorted(zipped.namelist()) == ["color.png", "manifest.json", "outline.png"]


def test_the_manifest_is_valid_against_microsofts_schema(zipped):
    manifest_schema = schema.load(schema.MANIFEST_SCHEMA)
    assert schema.unsupported_keywords(manifest_schema) == set()
    manifest = json.loads(zipped.read("manifest.json"))
    assert manifest["manifestVersion"] == manifest_schema["properties"]["manifestVersion"]["const"]
    assert schema.problems(manifest, manifest_schema) == []


def test_the_schema_check_catches_a_broken_manifest(zipped):
    manifest = json.loads(zipped.read("manifest.json"))
    manifest["name"]["short"] = "x" * 31
    manifest["bots"][0]["botId"] = "not-a-guid"
    del manifest["accentColor"]
    manifest["colour"] = "blue"
    found = schema.problems(manifest, schema.load(schema.MANIFEST_SCHEMA))
    assert any("name.short" in p for p in found) and any("botId" in p for p in found)
    assert any("accentColor" in p for p in found) and any("colour" in p for p in found)


def test_the_bot_is_the_azure_bot_in_every_scope_with_the_command_menu(zipped, kb):
    manifest = json.loads(zipped.read("manifest.json"))
    (bot,) = manifest["bots"]
    assert bot["botId"] == manifest["id"] == APP_ID.lower()
    assert bot["scopes"] == ["personal", "team", "groupChat"]
    lists = bot["commandLists"]
    assert [entry["scopes"] for entry in lists] == [["personal"], ["team"], ["groupChat"]]
    titles = [c["title"] for c in lists[0]["commands"]]
    assert titles[:2] == ["help", "band5"] and len(titles) <= package.MAX_COMMANDS
    shortcuts = {s: e.question for e in kb.answerable() for s in e.shortcuts}
    assert all(c["description"] == shortcuts[c["title"]] for c in lists[0]["commands"][1:])
    assert len(set(titles)) == len(titles)


def test_the_icons_have_the_sizes_and_colours_teams_requires(zipped):
    width, height, rows = read_png(zipped.read("color.png"))
    assert (width, height) == (192, 192)
    assert all(p[3] == 255 for row in rows for p in row)  # full colour, no transparency
    width, height, rows = read_png(zipped.read("outline.png"))
    assert (width, height) == (32, 32)
    pixels = {p for row in rows for p in row}
    assert pixels <= {(255, 255, 255, 255), (0, 0, 0, 0)}  # white on transparent
    assert len(pixels) == 2


@pytest.mark.parametrize(
    ("options", "problem"),
    [
        ({"app_id": "not-a-guid"}, "GUID"),
        ({"version": "1.0"}, "1.0.0"),
        ({"website_url": "http://insecure.example"}, "https"),
        ({"privacy_url": "ftp://x"}, "https"),
    ],
)
def test_arguments_the_manifest_cannot_take_are_refused(kb, options, problem):
    app_id = options.pop("app_id", APP_ID)
    with pytest.raises(package.PackageError, match=problem):
        package.manifest(app_id, kb, **options)


def test_the_command_line_writes_the_package(tmp_path, capsys):
    out = tmp_path / "sub" / "teams.zip"
    knowledge = str(schema.DATA.parent / "knowledge")
    args = ["--knowledge", knowledge, "teams-package", "--app-id", APP_ID, "--out", str(out), "--version", "1.2.3"]
    assert main(args) == 0
    assert json.loads(zipfile.ZipFile(out).read("manifest.json"))["version"] == "1.2.3"
    assert "--privacy-url" in capsys.readouterr().out  # a reminder to give the bot's own pages
    assert main(["--knowledge", knowledge, "teams-package", "--app-id", "nope", "--out", str(out)]) == 2
    assert "GUID" in capsys.readouterr().err
