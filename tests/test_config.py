"""Settings come from the environment; a missing secret fails fast with its name."""

from __future__ import annotations

import pytest

from bot.config import DEFAULT_API_URL, Settings, slack_configured
from bot.errors import ConfigError

HTTP = {"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_SIGNING_SECRET": "s3cret"}


def test_http_mode_defaults():
    s = Settings.from_env(HTTP)
    assert (s.mode, s.port, s.slack_api_url, s.log_level) == ("http", 3000, DEFAULT_API_URL, "INFO")
    assert s.retention_days == 180 and s.log_questions is True
    assert s.database_url.startswith("sqlite:///")


def test_socket_mode_when_app_token_set():
    s = Settings.from_env({"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_APP_TOKEN": "xapp-1"})
    assert s.mode == "socket"


@pytest.mark.parametrize(
    ("env", "mode", "name"),
    [
        ({"SLACK_SIGNING_SECRET": "x"}, "http", "SLACK_BOT_TOKEN"),
        ({"SLACK_BOT_TOKEN": "xoxb-1"}, "http", "SLACK_SIGNING_SECRET"),
        ({"SLACK_BOT_TOKEN": "xoxb-1"}, "socket", "SLACK_APP_TOKEN"),
    ],
)
def test_missing_secret_names_the_variable(env, mode, name):
    with pytest.raises(ConfigError, match=name):
        Settings.from_env(env, mode=mode)


@pytest.mark.parametrize(
    ("extra", "fragment"),
    [
        ({"PORT": "eighty"}, "PORT must be a whole number"),
        ({"PORT": "70000"}, "PORT must be between"),
        ({"LOG_LEVEL": "LOUD"}, "LOG_LEVEL must be one of"),
        ({"LOG_QUESTIONS": "maybe"}, "LOG_QUESTIONS must be true or false"),
        ({"RETENTION_DAYS": "0"}, "RETENTION_DAYS must be between"),
        ({"DATABASE_URL": "mysql://x"}, "DATABASE_URL must start with"),
        ({"SLACK_API_URL": "ftp://x"}, "SLACK_API_URL must be"),
        ({"SLACK_BOT_TOKEN": "xoxp-user"}, "must be a bot token"),
    ],
)
def test_bad_values_are_named(extra, fragment):
    with pytest.raises(ConfigError, match=fragment):
        Settings.from_env({**HTTP, **extra})


def test_secrets_are_not_in_repr():
    s = Settings.from_env({**HTTP, "DATABASE_URL": "postgres://u:pw@h/db"})
    assert "s3cret" not in repr(s) and "xoxb-1" not in repr(s) and "pw@" not in repr(s)
    assert s.database_url.startswith("postgresql://")


def test_settings_are_frozen():
    s = Settings.from_env(HTTP)
    with pytest.raises(AttributeError):
        s.port = 1  # type: ignore[misc]


def test_admins_and_api_url_are_parsed():
    s = Settings.from_env({**HTTP, "ADMIN_USER_IDS": "U1, U2;U3", "SLACK_API_URL": "http://127.0.0.1:9/api"})
    assert s.admin_user_ids == frozenset({"U1", "U2", "U3"})
    assert s.slack_api_url == "http://127.0.0.1:9/api/"


def test_slack_configured():
    assert not slack_configured({})
    assert not slack_configured({"SLACK_BOT_TOKEN": "xoxb-1"})
    assert slack_configured(HTTP)
