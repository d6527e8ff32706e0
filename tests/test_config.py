"""Settings come from the environment: shared ones, then one block per channel; a half-set channel names the
variable that is missing."""

from __future__ import annotations

import pytest

from bot.config import (
    DEFAULT_API_URL,
    TEAMS_ANONYMOUS,
    TEAMS_CLIENT_ID,
    TEAMS_CLIENT_SECRET,
    TEAMS_TENANT_ID,
    Settings,
)
from bot.errors import ConfigError

HTTP = {"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_SIGNING_SECRET": "s3cret"}
TEAMS = {TEAMS_CLIENT_ID: "app-id", TEAMS_CLIENT_SECRET: "teams-secret", TEAMS_TENANT_ID: "tenant"}


def test_http_mode_defaults():
    s = Settings.from_env(HTTP)
    assert (s.mode, s.port, s.log_level) == ("http", 3000, "INFO")
    assert s.slack is not None and s.slack.api_url == DEFAULT_API_URL and s.teams is None
    assert s.retention_days == 180 and s.log_questions is True
    assert s.database_url.startswith("sqlite:///") and s.channels == ("slack",)


def test_socket_mode_when_app_token_set():
    s = Settings.from_env({"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_APP_TOKEN": "xapp-1"})
    assert s.mode == "socket"


def test_no_channel_at_all_is_the_terminal():
    s = Settings.from_env({})
    assert (s.mode, s.slack, s.teams, s.channels) == ("cli", None, None, ())


def test_teams_alone_is_served_over_http_without_any_slack_variable():
    s = Settings.from_env(TEAMS)
    assert (s.mode, s.slack, s.channels) == ("http", None, ("teams",))
    assert s.teams is not None and s.teams.client_id == "app-id" and not s.teams.anonymous


def test_teams_anonymous_mode_counts_as_configured():
    s = Settings.from_env({TEAMS_ANONYMOUS: "true"})
    assert s.teams is not None and s.teams.anonymous and s.mode == "http"


def test_both_channels_share_one_web_server():
    s = Settings.from_env({**HTTP, **TEAMS})
    assert s.mode == "http" and s.channels == ("slack", "teams")


@pytest.mark.parametrize(
    ("env", "mode", "message"),
    [
        ({"SLACK_SIGNING_SECRET": "x"}, None, "SLACK_SIGNING_SECRET is set but SLACK_BOT_TOKEN is not"),
        ({"SLACK_APP_TOKEN": "xapp-1"}, None, "SLACK_APP_TOKEN is set but SLACK_BOT_TOKEN is not"),
        (
            {"SLACK_BOT_TOKEN": "xoxb-1"},
            None,
            "SLACK_BOT_TOKEN is set but neither SLACK_APP_TOKEN nor SLACK_SIGNING_SECRET is",
        ),
        ({"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_SIGNING_SECRET": "x"}, "socket", "SLACK_APP_TOKEN is not set"),
        ({"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_APP_TOKEN": "xapp-1"}, "http", "SLACK_SIGNING_SECRET"),
        ({TEAMS_CLIENT_ID: "id"}, None, f"{TEAMS_CLIENT_ID} is set but {TEAMS_CLIENT_SECRET} is not"),
        ({TEAMS_CLIENT_ID: "id", TEAMS_CLIENT_SECRET: "s"}, None, f"but {TEAMS_TENANT_ID} is not"),
        ({TEAMS_CLIENT_SECRET: "s"}, None, f"{TEAMS_CLIENT_SECRET} is set but {TEAMS_CLIENT_ID} is not"),
    ],
)
def test_a_half_configured_channel_names_the_variable(env, mode, message):
    with pytest.raises(ConfigError, match=message):
        Settings.from_env(env, mode=mode)


@pytest.mark.parametrize(
    ("extra", "fragment"),
    [
        ({"PORT": "eighty"}, "PORT must be a whole number"),
        ({"PORT": "70000"}, "PORT must be between"),
        ({"LOG_LEVEL": "LOUD"}, "LOG_LEVEL must be one of"),
        ({"LOG_QUESTIONS": "maybe"}, "LOG_QUESTIONS must be true or false"),
        ({"RETENTION_DAYS": "0"}, "RETENTION_DAYS must be between"),
        ({"DATABASE_URL": "mysql://x"}, "DATABASE_URL"),
        ({"DATABASE_URL": "sqlite://relative.db"}, "DATABASE_URL"),
        ({"DATABASE_URL": "sqlite:relative.db"}, "DATABASE_URL"),
        ({"SLACK_API_URL": "ftp://x"}, "SLACK_API_URL must be"),
        ({"SLACK_BOT_TOKEN": "xoxp-user"}, "must be a bot token"),
        ({TEAMS_ANONYMOUS: "perhaps"}, f"{TEAMS_ANONYMOUS} must be true or false"),
    ],
)
def test_bad_values_are_named(extra, fragment):
    with pytest.raises(ConfigError, match=fragment):
        Settings.from_env({**HTTP, **extra})


def test_secrets_are_not_in_repr():
    s = Settings.from_env({**HTTP, **TEAMS, "DATABASE_URL": "postgres://u:pw@h/db"})
    text = repr(s)
    assert "s3cret" not in text and "xoxb-1" not in text and "pw@" not in text and "teams-secret" not in text
    assert s.database_url.startswith("postgresql://")


def test_settings_are_frozen():
    s = Settings.from_env(HTTP)
    with pytest.raises(AttributeError):
        s.port = 1  # type: ignore[misc]
    with pytest.raises(AttributeError):
        s.slack.bot_token = "x"  # type: ignore[misc,union-attr]


def test_admins_and_api_url_are_parsed():
    s = Settings.from_env({**HTTP, "ADMIN_USER_IDS": "U1, U2;U3", "SLACK_API_URL": "http://127.0.0.1:9/api"})
    assert s.admin_user_ids == frozenset({"U1", "U2", "U3"})
    assert s.slack is not None and s.slack.api_url == "http://127.0.0.1:9/api/"


def test_the_default_database_is_under_the_data_folder(tmp_path):
    s = Settings.from_env({"XDG_DATA_HOME": str(tmp_path)})
    assert s.database_url == f"sqlite:///{tmp_path}/physio-career/physio-career.sqlite3"


def test_help_channels_for_ask_a_person_are_checked_per_channel():
    slack = Settings.from_env({**HTTP, "ESCALATION_CHANNEL": "C0HELP0001"}).slack
    assert slack is not None and slack.escalation_channel == "C0HELP0001"
    with pytest.raises(ConfigError, match="ESCALATION_CHANNEL must be a Slack channel id"):
        Settings.from_env({**HTTP, "ESCALATION_CHANNEL": "#physio-help"})
    # Teams: the id as the channel's link has it (URL-encoded) or as it is; anything else names the variable
    pasted = Settings.from_env({**TEAMS, "TEAMS_ESCALATION_CHANNEL": "19%3aAbC_12-x%40thread.tacv2"}).teams
    assert pasted is not None and pasted.escalation_channel == "19:AbC_12-x@thread.tacv2"
    plain = Settings.from_env({**TEAMS, "TEAMS_ESCALATION_CHANNEL": "19:AbC_12-x@thread.tacv2"}).teams
    assert plain is not None and plain.escalation_channel == "19:AbC_12-x@thread.tacv2"
    assert Settings.from_env(TEAMS).teams.escalation_channel == ""  # type: ignore[union-attr]
    with pytest.raises(ConfigError, match="TEAMS_ESCALATION_CHANNEL must be a Teams channel id"):
        Settings.from_env({**TEAMS, "TEAMS_ESCALATION_CHANNEL": "Physio help"})
    with pytest.raises(ConfigError, match=f"TEAMS_ESCALATION_CHANNEL is set but {TEAMS_CLIENT_ID} is not"):
        Settings.from_env({"TEAMS_ESCALATION_CHANNEL": "19:AbC_12-x@thread.tacv2"})
