"""Settings from environment variables, parsed once into a frozen dataclass.

`Settings.from_env(os.environ)` is pure (pass any mapping in tests). A missing secret fails fast with the
variable's name; nothing here ever logs a secret (the dataclass hides them from repr).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from bot.errors import ConfigError

DEFAULT_PORT = 3000
DEFAULT_API_URL = "https://slack.com/api/"
DEFAULT_DATABASE_URL = "sqlite:///" + str(Path.home() / ".local" / "share" / "physio-career" / "physio-career.sqlite3")
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def slack_configured(env: Mapping[str, str]) -> bool:
    """True when the environment has what either Slack mode needs."""
    return bool(env.get("SLACK_BOT_TOKEN")) and bool(env.get("SLACK_APP_TOKEN") or env.get("SLACK_SIGNING_SECRET"))


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
class Settings:
    mode: str = "cli"  # "http", "socket" or "cli" (no Slack)
    slack_bot_token: str = field(default="", repr=False)
    slack_signing_secret: str = field(default="", repr=False)
    slack_app_token: str = field(default="", repr=False)
    slack_api_url: str = DEFAULT_API_URL
    port: int = DEFAULT_PORT
    log_level: str = "INFO"
    knowledge_dir: str = ""
    database_url: str = field(default=DEFAULT_DATABASE_URL, repr=False)
    log_questions: bool = True
    retention_days: int = 180
    admin_user_ids: frozenset[str] = frozenset()
    hash_key: str = field(default="", repr=False)  # keys the hash of Slack user ids
    web_concurrency: int = 2
    threads: int = 8

    @classmethod
    def from_env(
        cls,
        env: Mapping[str, str],
        *,
        mode: str | None = None,
        port: int | None = None,
        require_slack: bool = True,
    ) -> Settings:
        """Read and check every setting. `mode` forces http/socket; otherwise SLACK_APP_TOKEN picks socket."""
        level = (env.get("LOG_LEVEL") or "INFO").strip().upper()
        if level not in LOG_LEVELS:
            raise ConfigError(f"LOG_LEVEL must be one of {', '.join(LOG_LEVELS)}, got {level!r}")
        if mode is None:
            if not require_slack:
                mode = "cli"
            else:
                mode = "socket" if env.get("SLACK_APP_TOKEN") else "http"
        if mode not in ("http", "socket", "cli"):
            raise ConfigError(f"mode must be http, socket or cli, got {mode!r}")
        needed = {"http": ("SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET"), "socket": ("SLACK_BOT_TOKEN", "SLACK_APP_TOKEN")}
        for name in needed.get(mode, ()) if require_slack else ():
            if not (env.get(name) or "").strip():
                raise ConfigError(f"{name} is not set (needed for {mode} mode); see README.md, 'Settings'")
        bot_token = (env.get("SLACK_BOT_TOKEN") or "").strip()
        if bot_token and not bot_token.startswith("xoxb-"):
            raise ConfigError("SLACK_BOT_TOKEN must be a bot token starting with xoxb-")
        app_token = (env.get("SLACK_APP_TOKEN") or "").strip()
        if mode == "socket" and app_token and not app_token.startswith("xapp-"):
            raise ConfigError("SLACK_APP_TOKEN must be an app-level token starting with xapp-")
        api_url = (env.get("SLACK_API_URL") or DEFAULT_API_URL).strip()
        if not api_url.startswith(("https://", "http://")):
            raise ConfigError(f"SLACK_API_URL must be an http(s) URL, got {api_url!r}")
        if not api_url.endswith("/"):
            api_url += "/"
        if port is None:
            port = _int(env, "PORT", DEFAULT_PORT, 1, 65535)
        elif not 0 <= port <= 65535:
            raise ConfigError(f"--port must be between 0 and 65535, got {port}")
        database_url = (env.get("DATABASE_URL") or DEFAULT_DATABASE_URL).strip()
        if database_url.startswith("postgres://"):
            database_url = "postgresql://" + database_url[len("postgres://") :]
        if not database_url.startswith(("sqlite://", "postgresql://")):
            raise ConfigError("DATABASE_URL must start with sqlite:///, postgres:// or postgresql://")
        admins = frozenset(
            a.strip() for a in (env.get("ADMIN_USER_IDS") or "").replace(";", ",").split(",") if a.strip()
        )
        hash_key = (env.get("USER_HASH_KEY") or env.get("SLACK_SIGNING_SECRET") or "").strip()
        return cls(
            mode=mode,
            slack_bot_token=bot_token,
            slack_signing_secret=(env.get("SLACK_SIGNING_SECRET") or "").strip(),
            slack_app_token=app_token,
            slack_api_url=api_url,
            port=port,
            log_level=level,
            knowledge_dir=(env.get("KNOWLEDGE_DIR") or "").strip(),
            database_url=database_url,
            log_questions=_bool(env, "LOG_QUESTIONS", True),
            retention_days=_int(env, "RETENTION_DAYS", 180, 1, 3650),
            admin_user_ids=admins,
            hash_key=hash_key,
            web_concurrency=_int(env, "WEB_CONCURRENCY", 2, 1, 64),
            threads=_int(env, "THREADS", 8, 1, 256),
        )


def configure_logging(level: str = "INFO") -> None:
    """Call before building the Bolt app: Bolt copies the root level when it creates its loggers."""
    logging.basicConfig(
        level=getattr(logging, level.upper(), logging.INFO),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    for noisy in ("urllib3", "slack_sdk.web.base_client", "slack_sdk.socket_mode"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, logging.getLogger().level))
