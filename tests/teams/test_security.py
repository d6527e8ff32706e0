"""Who may talk to /api/messages, and where replies may go.

Entra cannot be reached from the tests, so with (fake) credentials only the rejection path is tested: no token,
or one that is not a JWT, gets 401 before anything is read or answered. A well-formed JWT is never sent: the SDK
would fetch Microsoft's signing keys to check it.
"""

from __future__ import annotations

import pytest

from bot.config import Settings
from bot.errors import ConfigError
from tests.teams import fakes
from tests.teams.conftest import ANONYMOUS, CREDENTIALS

NOT_ALLOWED = "Service URL is not allowed by the host validator."


@pytest.fixture
def secured(make_teams):
    return make_teams({**CREDENTIALS, "TEAMS_ALLOW_ANY_SERVICE_URL": "true"})


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer not-a-jwt"},
        {"Authorization": "Basic dXNlcjpwYXNz"},
        {"Authorization": "Bearer"},
        {"Authorization": "Bearer a b"},
    ],
)
def test_with_credentials_a_request_without_a_valid_token_gets_401(secured, connector, recorder, headers):
    response = secured.post(fakes.personal(connector.service_url, "band5"), headers=headers)
    assert response.status == 401
    assert connector.posted == [] and recorder.questions == [] and recorder.claimed == []


def test_the_token_is_checked_before_the_body_is_read(secured):
    response = secured.request("POST", "/api/messages", data=b"{not json", headers={"Content-Type": "application/json"})
    assert response.status == 401


def test_the_token_check_guards_only_the_teams_endpoint(secured):
    health = secured.get("/healthz")
    assert health.status == 200 and health.json()["channels"] == {"teams": "ok"}
    assert secured.get("/nothing-here").status == 404


def test_anonymous_mode_accepts_requests_without_a_token_and_replies_without_one(teams, connector):
    assert teams.post(fakes.personal(connector.service_url, "band5")).status == 202
    (reply,) = connector.replies()
    assert reply.authorized is False


@pytest.mark.parametrize("value", ["false", "no", "0", ""])
def test_anonymous_mode_needs_anonymous_allowed_true(value):
    env = {"CONNECTIONS__SERVICE_CONNECTION__SETTINGS__ANONYMOUS_ALLOWED": value}
    assert Settings.from_env(env).teams is None  # not configured: no anonymous endpoint at all
    with pytest.raises(ConfigError):
        Settings.from_env({"CONNECTIONS__SERVICE_CONNECTION__SETTINGS__ANONYMOUS_ALLOWED": "maybe"})


@pytest.mark.parametrize(
    "service_url",
    [
        "http://127.0.0.1:{port}/",  # the stand-in itself: loopback and not https
        "https://connector.example.com/",
        "https://smba.trafficmanager.net.example.com/",
        "https://10.0.0.8/teams/",
        "https://user:password@smba.trafficmanager.net/teams/",
    ],
)
def test_by_default_only_microsoft_hosts_get_replies(make_teams, connector, recorder, service_url):
    teams = make_teams({k: v for k, v in ANONYMOUS.items() if k != "TEAMS_ALLOW_ANY_SERVICE_URL"})
    url = service_url.format(port=connector.server.server_address[1])
    response = teams.post(fakes.personal(url, "band5"))
    assert response.status == 401 and NOT_ALLOWED in response.text
    assert connector.posted == [] and recorder.questions == []


def test_the_host_validator_allows_the_bot_connectors_hosts(make_teams):
    teams = make_teams({k: v for k, v in ANONYMOUS.items() if k != "TEAMS_ALLOW_ANY_SERVICE_URL"})
    (channel,) = [c for c in _channels(teams) if c.__class__.__name__ == "TeamsChannel"]
    validator = channel.host_validator
    assert validator.enabled
    for url in (
        "https://smba.trafficmanager.net/uk/",
        "https://smba.trafficmanager.net/teams/",
        "https://europe.webchat.botframework.com/",
    ):
        assert validator.is_allowed(url), url
    assert not validator.is_allowed("http://smba.trafficmanager.net/uk/")  # https only


def test_allow_any_service_url_turns_the_check_off(teams, connector):
    assert teams.post(fakes.personal(connector.service_url, "band5")).status == 202
    assert len(connector.replies()) == 1


def test_admin_ids_are_read_without_regard_to_case():
    env = {**ANONYMOUS, "TEAMS_ADMIN_AAD_IDS": " AAA-1 ; bbb-2,, "}
    assert Settings.from_env(env).teams.admin_aad_ids == frozenset({"aaa-1", "bbb-2"})
    assert Settings.from_env(ANONYMOUS).teams.admin_aad_ids == frozenset({fakes.ADMIN_AAD})


def _channels(traffic):
    """The channel objects behind the running app (for the validator check above)."""
    app = traffic.client.server.app
    for resource in app.router.resources():
        sub = getattr(resource, "_app", None)
        if sub is None:
            continue
        for route in sub.router.routes():
            owner = getattr(route.handler, "__self__", None)
            if owner is not None:
                yield owner
