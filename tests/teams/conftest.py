"""Fixtures for the Teams tests: the connector stand-in, and the real server (`bot.server.web_app`, the same
aiohttp application production serves) running on loopback, in its own event loop thread as in production."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer

from bot.config import Settings
from bot.runtime import Services
from bot.server import web_app
from tests.teams.fakes import ADMIN_AAD, ConnectorStandIn, RecordingRecorder

OUTSIDE_NOTICES = dt.date(2026, 6, 15)
INSIDE_NOTICES = dt.date(2026, 12, 28)
ANONYMOUS = {
    "CONNECTIONS__SERVICE_CONNECTION__SETTINGS__ANONYMOUS_ALLOWED": "true",
    "TEAMS_ALLOW_ANY_SERVICE_URL": "true",  # the stand-in connector is on loopback
    "TEAMS_ADMIN_AAD_IDS": ADMIN_AAD.upper(),  # ids are compared without regard to case
}
CREDENTIALS = {
    "CONNECTIONS__SERVICE_CONNECTION__SETTINGS__CLIENTID": "00000000-0000-0000-0000-0000000000b0",
    "CONNECTIONS__SERVICE_CONNECTION__SETTINGS__CLIENTSECRET": "not-a-real-secret",
    "CONNECTIONS__SERVICE_CONNECTION__SETTINGS__TENANTID": "72f988bf-0000-0000-0000-000000000001",
}


@dataclass
class Response:
    status: int
    text: str

    def json(self) -> Any:
        return json.loads(self.text)


class TeamsTraffic:
    """The real web application on a loopback port, with an event loop of its own in a thread."""

    def __init__(self, settings: Settings, services: Services, kb: Any) -> None:
        self.settings = settings
        self.services = services
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self._thread.start()

        async def start() -> TestClient:
            client = TestClient(TestServer(await web_app(settings, kb, services), host="127.0.0.1"))
            await client.start_server()
            return client

        self.client = self.run(start())

    def run(self, coroutine: Any, timeout: float = 20) -> Any:
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout)

    def close(self) -> None:
        self.run(self.client.close())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(5)
        self.loop.close()

    def request(self, method: str, path: str, **kwargs: Any) -> Response:
        async def go() -> Response:
            async with self.client.request(method, path, **kwargs) as r:
                return Response(r.status, await r.text())

        return self.run(go())

    def post(self, activity: Any, headers: dict[str, str] | None = None) -> Response:
        return self.request("POST", "/api/messages", json=activity, headers=headers or {})

    def get(self, path: str) -> Response:
        return self.request("GET", path)


@pytest.fixture
def connector() -> Iterator[ConnectorStandIn]:
    stand_in = ConnectorStandIn()
    yield stand_in
    stand_in.close()


@pytest.fixture
def recorder() -> RecordingRecorder:
    return RecordingRecorder()


@pytest.fixture
def make_teams(kb, recorder) -> Iterator[Callable[..., TeamsTraffic]]:
    """Start the real server with Teams settings from `env` (anonymous, any host, by default)."""
    started: list[TeamsTraffic] = []

    def build(env: dict[str, str] | None = None, *, today: dt.date = OUTSIDE_NOTICES, **kwargs: Any) -> TeamsTraffic:
        settings = Settings.from_env(ANONYMOUS if env is None else env, mode="http")
        services = Services(settings, kb, recorder=kwargs.pop("recorder", recorder), today=lambda: today)
        traffic = TeamsTraffic(settings, services, kb)
        started.append(traffic)
        return traffic

    yield build
    for traffic in started:
        traffic.close()


@pytest.fixture
def teams(make_teams) -> TeamsTraffic:
    return make_teams()
