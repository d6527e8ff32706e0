"""The Teams app package: `manifest.json` and the two icons Teams requires, zipped at the root of one file.

    physio-career teams-package --app-id ID --out physio-career-teams.zip

The manifest (schema v1.22, what Microsoft's Agents SDK samples use) declares one bot, whose id is the Entra
app (client) id of the Azure Bot, in personal chats, teams and group chats, with a command menu (`commandLists`)
of `help`, `band5` and the other shortcuts of the knowledge base. The icons are generated here with the standard
library (a zlib PNG writer): `color.png`, 192 x 192, full colour; `outline.png`, 32 x 32, white on transparent.
They are plain placeholders; replace them with real artwork before publishing to an organisation.
"""

from __future__ import annotations

import json
import re
import struct
import zipfile
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bot.brain.knowledge import KnowledgeBase

MANIFEST_VERSION = "1.22"
MANIFEST_SCHEMA = (
    f"https://developer.microsoft.com/en-us/json-schemas/teams/v{MANIFEST_VERSION}/MicrosoftTeams.schema.json"
)
SCOPES = ("personal", "team", "groupChat")
MAX_COMMANDS = 10  # per command list, in manifest v1.22
PREFERRED_SHORTCUTS = ("band5", "band4", "band3", "rebanding", "pay", "apprenticeships", "physio", "toolkit", "join")
HELP_COMMAND = {"title": "help", "description": "What I can do, how to ask, and the topics I know"}
COLOR_SIZE = 192
OUTLINE_SIZE = 32
ACCENT = "#005EB8"
DEVELOPER = "CSP Associates Network"
DEFAULT_WEBSITE = "https://www.csp.org.uk/"
SHORT_NAME = "physio-career"
FULL_NAME = "physio-career: career answers for physiotherapy support workers"
SHORT_DESCRIPTION = "Career answers for UK physiotherapy support workers"
FULL_DESCRIPTION = (
    "Ask in your own words about bands and pay, re-banding, apprenticeships, becoming a physiotherapist, CSP "
    "membership and the Associates Network, and get a plain answer with links to the official pages. Chat with "
    "the bot in a personal chat, or mention it in a channel or group chat and it answers in the thread. Type "
    "help for the topics and shortcuts. It gives no clinical advice."
)
_GUID = re.compile(r"^[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$")
_SEMVER = re.compile(r"^(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)$")


class PackageError(ValueError):
    """An argument the manifest cannot take (not a GUID, not an https URL, not a x.y.z version)."""


def commands(kb: KnowledgeBase) -> list[dict[str, str]]:
    """`help`, then the shortcuts members use most (band5 first), then the rest, up to Teams' ten per list."""
    described: dict[str, str] = {}
    for entry in kb.answerable():
        for shortcut in entry.shortcuts:
            described.setdefault(shortcut, entry.question)
    order = [s for s in PREFERRED_SHORTCUTS if s in described] + [s for s in described if s not in PREFERRED_SHORTCUTS]
    listed = [{"title": s[:128], "description": described[s][:4000]} for s in order]
    return [dict(HELP_COMMAND), *listed][:MAX_COMMANDS]


def manifest(
    app_id: str,
    kb: KnowledgeBase,
    *,
    version: str = "1.0.0",
    website_url: str = DEFAULT_WEBSITE,
    privacy_url: str | None = None,
    terms_url: str | None = None,
) -> dict[str, Any]:
    """The Teams app manifest. `app_id` is the bot's Entra app (client) id, used as the Teams app id too."""
    if not _GUID.match(app_id or ""):
        raise PackageError(f"--app-id must be the bot's Entra app (client) id, a GUID; got {app_id!r}")
    if not _SEMVER.match(version or ""):
        raise PackageError(f"--version must look like 1.0.0; got {version!r}")
    urls = {
        "websiteUrl": website_url,
        "privacyUrl": privacy_url or website_url,
        "termsOfUseUrl": terms_url or website_url,
    }
    for name, url in urls.items():
        if not url.startswith("https://") or len(url) > 2048:
            raise PackageError(f"{name} must be an https:// URL; got {url!r}")
    listed = commands(kb)
    return {
        "$schema": MANIFEST_SCHEMA,
        "manifestVersion": MANIFEST_VERSION,
        "version": version,
        "id": app_id.lower(),
        "developer": {"name": DEVELOPER, **urls},
        "name": {"short": SHORT_NAME, "full": FULL_NAME},
        "description": {"short": SHORT_DESCRIPTION, "full": FULL_DESCRIPTION},
        "icons": {"color": "color.png", "outline": "outline.png"},
        "accentColor": ACCENT,
        "bots": [
            {
                "botId": app_id.lower(),
                "scopes": list(SCOPES),
                "isNotificationOnly": False,
                "supportsFiles": False,
                "supportsCalling": False,
                "supportsVideo": False,
                # one list per scope, as Microsoft's schema advises; the menu is the same everywhere
                "commandLists": [{"scopes": [scope], "commands": listed} for scope in SCOPES],
            }
        ],
        "validDomains": [],
    }


# --- icons ----------------------------------------------------------------------------------------------
Pixel = tuple[int, int, int, int]


def png(width: int, height: int, pixel: Callable[[int, int], Pixel]) -> bytes:
    """An RGBA PNG of `width` x `height`, pixel by pixel (no filtering: the icons are tiny)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    rows = b"".join(b"\x00" + b"".join(bytes(pixel(x, y)) for x in range(width)) for y in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0)  # 8 bits per channel, RGBA
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows, 9)) + chunk(b"IEND", b"")


def _in_bubble(u: float, v: float) -> bool:
    """A speech bubble in the unit square: a rounded rectangle and its tail."""
    left, top, right, bottom, radius = 0.16, 0.2, 0.84, 0.66, 0.12
    cx = min(max(u, left + radius), right - radius)
    cy = min(max(v, top + radius), bottom - radius)
    body = left <= u <= right and top <= v <= bottom and (u - cx) ** 2 + (v - cy) ** 2 <= radius**2
    tip, width = 0.84, 0.18  # the tail: a right triangle under the body's left half, pointing down
    tail = u >= 0.3 and v >= bottom - 0.01 and (u - 0.3) / width + (v - bottom) / (tip - bottom) <= 1
    return body or tail


def _in_dot(u: float, v: float) -> bool:
    return any((u - cx) ** 2 + (v - 0.43) ** 2 <= 0.045**2 for cx in (0.34, 0.5, 0.66))


def _hex(color: str) -> tuple[int, int, int]:
    return int(color[1:3], 16), int(color[3:5], 16), int(color[5:7], 16)


def color_icon() -> bytes:
    """192 x 192, full colour: a white speech bubble on the accent colour."""
    r, g, b = _hex(ACCENT)
    size = COLOR_SIZE

    def pixel(x: int, y: int) -> Pixel:
        u, v = (x + 0.5) / size, (y + 0.5) / size
        if _in_bubble(u, v):
            return (r, g, b, 255) if _in_dot(u, v) else (255, 255, 255, 255)
        return (r, g, b, 255)

    return png(size, size, pixel)


def outline_icon() -> bytes:
    """32 x 32, white on transparent (Teams' rule for the outline icon)."""
    size = OUTLINE_SIZE

    def pixel(x: int, y: int) -> Pixel:
        u, v = (x + 0.5) / size, (y + 0.5) / size
        return (255, 255, 255, 255) if _in_bubble(u, v) and not _in_dot(u, v) else (0, 0, 0, 0)

    return png(size, size, pixel)


def write_package(out: Path, app_id: str, kb: KnowledgeBase, **options: Any) -> dict[str, Any]:
    """Write the zip (manifest.json, color.png, outline.png at its root); return the manifest."""
    built = manifest(app_id, kb, **options)
    out.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("manifest.json", json.dumps(built, indent=2, ensure_ascii=False) + "\n")
        archive.writestr("color.png", color_icon())
        archive.writestr("outline.png", outline_icon())
    return built
