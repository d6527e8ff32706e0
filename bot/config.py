"""Settings from environment variables, parsed once into frozen dataclasses: shared ones, then one per channel.

    settings = Settings.from_env(os.environ)
    settings.slack    # SlackSettings, or None when Slack is not configured at all
    settings.teams    # TeamsSettings, or None when Teams is not configured at all

`from_env` is pure (pass any mapping in tests). A channel that is half set up fails fast and names the variable
that is missing; nothing here ever logs a secret (the dataclasses hide them from repr).
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal
from urllib.parse import unquote

from bot.errors import ConfigError

Mode = Literal["http", "socket", "cli"]
DEFAULT_PORT = 3000
DEFAULT_API_URL = "https://slack.com/api/"
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}
TEAMS_PREFIX = "CONNECTIONS__SERVICE_CONNECTION__SETTINGS__"
TEAMS_CLIENT_ID = TEAMS_PREFIX + "CLIENTID"
TEAMS_CLIENT_SECRET = TEAMS_PREFIX + "CLIENTSECRET"
TEAMS_TENANT_ID = TEAMS_PREFIX + "TENANTID"
TEAMS_ANONYMOUS = TEAMS_PREFIX + "ANONYMOUS_ALLOWED"
TEAMS_ANY_SERVICE_URL = "TEAMS_ALLOW_ANY_SERVICE_URL"
TEAMS_ADMINS = "TEAMS_ADMIN_AAD_IDS"
TEAMS_ESCALATION = "TEAMS_ESCALATION_CHANNEL"
# a Teams channel id, as in the channel's link (`19:…@thread.tacv2`, or URL-encoded `19%3a…%40thread.tacv2`)
TEAMS_CHANNEL_ID = re.compile(r"19:[A-Za-z0-9_.\-]{4,200}@thread\.(?:tacv2|skype)")


def default_database_url(env: Mapping[str, str] | None = None) -> str:
    """SQLite under the user's data folder ($XDG_DATA_HOME, else ~/.local/share)."""
    env = os.environ if env is None else env
    base = Path(env.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")
    return "sqlite:///" + str(base / "physio-career" / "physio-career.sqlite3")


def _get(env: Mapping[str, str], name: str) -> str:
    return (env.get(name) or "").strip()


def _bool(env: Mapping[str, str], name: str, default: bool) -> bool:
    raw = env.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ConfigError(f"{name} must be true or false, got {raw!r}")


def _int(env: Mapping[str, str], name: str, default: int, low: int, high: int) -> int:
    raw = env.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a whole number, got {raw!r}") from None
    if not low <= value <= high:
        raise ConfigError(f"{name} must be between {low} and {high}, got {value}")
    return value


@dataclass(frozen=True)
class SlackSettings:
    bot_token: str = field(repr=False)
    signing_secret: str = field(default="", repr=False)  # HTTP mode
    app_token: str = field(default="", repr=False)  # Socket Mode
    api_url: str = DEFAULT_API_URL
    escalation_channel: str = ""  # "Ask a person": the help channel's id; empty, and the button is not shown

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> SlackSettings | None:
        """None when no Slack variable is set; an error naming the variable when Slack is half set up."""
        bot, secret, app = _get(env, "SLACK_BOT_TOKEN"), _get(env, "SLACK_SIGNING_SECRET"), _get(env, "SLACK_APP_TOKEN")
        if not (bot or secret or app):
            return None
        if not bot:
            given = "SLACK_SIGNING_SECRET" if secret else "SLACK_APP_TOKEN"
            raise ConfigError(f"{given} is set but SLACK_BOT_TOKEN is not; see README.md, 'Settings'")
        if not (secret or app):
            raise ConfigError(
                "SLACK_BOT_TOKEN is set but neither SLACK_APP_TOKEN nor SLACK_SIGNING_SECRET is; "
                "see README.md, 'Settings'"
            )
        if not bot.startswith("xoxb-"):
            raise ConfigError("SLACK_BOT_TOKEN must be a bot token starting with xoxb-")
        if app and not app.startswith("xapp-"):
            raise ConfigError("SLACK_APP_TOKEN must be an app-level token starting with xapp-")
        api_url = _get(env, "SLACK_API_URL") or DEFAULT_API_URL
        if not api_url.startswith(("https://", "http://")):
            raise ConfigError(f"SLACK_API_URL must be an http(s) URL, got {api_url!r}")
        if not api_url.endswith("/"):
            api_url += "/"
        escalation = _get(env, "ESCALATION_CHANNEL")
        if escalation and not re.fullmatch(r"[CG][A-Z0-9]{6,20}", escalation):
            raise ConfigError(
                f"ESCALATION_CHANNEL must be a Slack channel id such as C0123ABCD (not its name), got {escalation!r}"
            )
        return cls(bot_token=bot, signing_secret=secret, app_token=app, api_url=api_url, escalation_channel=escalation)

    @property
    def socket(self) -> bool:
        return bool(self.app_token)


@dataclass(frozen=True)
class TeamsSettings:
    """Microsoft Teams, through the Microsoft 365 Agents SDK's own variables."""

    client_id: str = ""
    client_secret: str = field(default="", repr=False)
    tenant_id: str = ""
    anonymous: bool = False  # local testing only: requests without a token are accepted
    allow_any_service_url: bool = False  # tests against a local stand-in connector only
    admin_aad_ids: frozenset[str] = frozenset()  # Entra object ids (lower case) who may ask for `report`
    escalation_channel: str = ""  # "Ask a person": the help channel's id (19:…@thread.tacv2); empty, no button

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> TeamsSettings | None:
        client_id, secret, tenant = (
            _get(env, TEAMS_CLIENT_ID),
            _get(env, TEAMS_CLIENT_SECRET),
            _get(env, TEAMS_TENANT_ID),
        )
        anonymous = _bool(env, TEAMS_ANONYMOUS, False)
        any_url = _bool(env, TEAMS_ANY_SERVICE_URL, False)
        escalation = teams_channel_id(_get(env, TEAMS_ESCALATION))
        if not client_id and not anonymous:
            for name, value in (
                (TEAMS_CLIENT_SECRET, secret),
                (TEAMS_TENANT_ID, tenant),
                (TEAMS_ESCALATION, escalation),
            ):
                if value:
                    raise ConfigError(f"{name} is set but {TEAMS_CLIENT_ID} is not; see README.md, 'Settings'")
            return None
        if client_id:
            for name, value in ((TEAMS_CLIENT_SECRET, secret), (TEAMS_TENANT_ID, tenant)):
                if not value:
                    raise ConfigError(f"{TEAMS_CLIENT_ID} is set but {name} is not; see README.md, 'Settings'")
        admins = frozenset(a.strip().lower() for a in _get(env, TEAMS_ADMINS).replace(";", ",").split(",") if a.strip())
        return cls(client_id, secret, tenant, anonymous, any_url, admins, escalation)


def teams_channel_id(value: str) -> str:
    """TEAMS_ESCALATION_CHANNEL as the id Teams uses: pasted from the channel's link (URL-encoded) or as is."""
    if not value:
        return ""
    decoded = unquote(value.strip())
    if not TEAMS_CHANNEL_ID.fullmatch(decoded):
        raise ConfigError(
            f"{TEAMS_ESCALATION} must be a Teams channel id such as 19:abc123@thread.tacv2 (from the channel's "
            f"'Get link to channel', between /channel/ and the next /), got {value[:80]!r}"
        )
    return decoded


@dataclass(frozen=True)
class Settings:
    slack: SlackSettings | None = None
    teams: TeamsSettings | None = None
    mode: Mode = "cli"  # "http" (web server: Slack over HTTP and/or Teams), "socket" (Slack Socket Mode), "cli"
    port: int = DEFAULT_PORT
    log_level: str = "INFO"
    knowledge_dir: str = ""
    database_url: str = field(default="", repr=False)
    log_questions: bool = True
    retention_days: int = 180
    admin_user_ids: frozenset[str] = frozenset()
    hash_key: str = field(default="", repr=False)  # keys the fingerprints of member ids
    web_concurrency: int = 2

    @property
    def channels(self) -> tuple[str, ...]:
        return tuple(name for name, s in (("slack", self.slack), ("teams", self.teams)) if s is not None)

    @classmethod
    def from_env(cls, env: Mapping[str, str], *, mode: str | None = None, port: int | None = None) -> Settings:
        """Read and check every setting.

        `mode` forces "http" or "socket" (`serve --http` / `--socket`); otherwise Slack's SLACK_APP_TOKEN picks
        Socket Mode, any other configured channel the web server, and no channel at all the terminal ("cli").
        """
        level = _get(env, "LOG_LEVEL").upper() or "INFO"
        if level not in LOG_LEVELS:
            raise ConfigError(f"LOG_LEVEL must be one of {', '.join(LOG_LEVELS)}, got {level!r}")
        slack = SlackSettings.from_env(env)
        teams = TeamsSettings.from_env(env)
        if mode is None:
            if slack is not None and slack.socket and teams is None:
                mode = "socket"
            elif slack is not None or teams is not None:
                mode = "http"
            else:
                mode = "cli"
        if mode not in ("http", "socket", "cli"):
            raise ConfigError(f"mode must be http, socket or cli, got {mode!r}")
        if mode == "socket" and (slack is None or not slack.app_token):
            raise ConfigError("SLACK_APP_TOKEN is not set (needed for Socket Mode); see README.md, 'Settings'")
        if mode == "http" and teams is None and (slack is None or not slack.signing_secret):
            name = "SLACK_SIGNING_SECRET" if slack is not None else "SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET"
            raise ConfigError(
                f"{name} not set (needed to serve Slack over HTTP; or configure Teams with {TEAMS_CLIENT_ID}); "
                "see README.md, 'Settings'"
            )
        if port is None:
            port = _int(env, "PORT", DEFAULT_PORT, 1, 65535)
        elif not 0 <= port <= 65535:
            raise ConfigError(f"--port must be between 0 and 65535, got {port}")
        database_url = _get(env, "DATABASE_URL") or default_database_url(env)
        if database_url.startswith("postgres://"):
            database_url = "postgresql://" + database_url[len("postgres://") :]
        problem = _database_url_problem(database_url)
        if problem:
            raise ConfigError(problem)
        admins = frozenset(a.strip() for a in _get(env, "ADMIN_USER_IDS").replace(";", ",").split(",") if a.strip())
        hash_key = (
            _get(env, "USER_HASH_KEY")
            or (slack.signing_secret if slack else "")
            or (slack.bot_token if slack else "")
            or (teams.client_secret if teams else "")
        )
        return cls(
            slack=slack,
            teams=teams,
            mode=mode,  # type: ignore[arg-type]
            port=port,
            log_level=level,
            knowledge_dir=_get(env, "KNOWLEDGE_DIR"),
            database_url=database_url,
            log_questions=_bool(env, "LOG_QUESTIONS", True),
            retention_days=_int(env, "RETENTION_DAYS", 180, 1, 3650),
            admin_user_ids=admins,
            hash_key=hash_key,
            web_concurrency=_int(env, "WEB_CONCURRENCY", 2, 1, 64),
        )


def _database_url_problem(url: str) -> str | None:
    """A message naming DATABASE_URL when it cannot be right (a typo), else None. Reachability is not checked."""
    from bot.curators_log import check_database_url

    return check_database_url(url)


def configure_logging(level: str = "INFO") -> None:
    """Call before building a channel: Bolt copies the root level when it creates its loggers."""
    logging.basicConfig(
        level=getattr(logging, level.upper(), logging.INFO),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    quiet = max(logging.WARNING, logging.getLogger().level)
    for noisy in ("urllib3", "slack_sdk.web.base_client", "slack_sdk.web.async_base_client", "slack_sdk.socket_mode"):
        logging.getLogger(noisy).setLevel(quiet)
    # Bolt logs whole request bodies (rejected ones at INFO, answers at DEBUG): members' words stay out of the log
    for chatty in ("slack_bolt", "slack_bolt.App", "slack_bolt.AsyncApp"):
        logging.getLogger(chatty).setLevel(max(logging.WARNING, logging.getLogger().level))
