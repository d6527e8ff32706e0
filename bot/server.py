"""Run the Slack app: Socket Mode, or HTTP behind gunicorn (never Bolt's development server).

HTTP mode serves `POST /slack/events` (commands, events and interactivity alike) and `GET /healthz`; anything
else is 404. Each gunicorn worker builds its own app and recorder after the fork, so no database connection
is shared between processes; the knowledge base is loaded once, before the fork.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable
from typing import Any

from bot.brain.knowledge import KnowledgeBase
from bot.config import Settings, configure_logging
from bot.curators_log.recorder import NullRecorder, Recorder
from bot.slack.ids import EVENTS_PATH, HEALTH_PATH

log = logging.getLogger(__name__)

WSGIApp = Callable[[dict, Callable[..., Any]], Iterable[bytes]]


def make_wsgi_app(app, kb: KnowledgeBase) -> WSGIApp:
    """A WSGI app: POST /slack/events -> Bolt; GET /healthz -> 200 {"status": "ok", "entries": N}; else 404."""
    from slack_bolt.adapter.wsgi import SlackRequestHandler

    handler = SlackRequestHandler(app, path=EVENTS_PATH)
    health = json.dumps({"status": "ok", "entries": len(kb)}).encode()

    def wsgi_app(environ: dict, start_response: Callable[..., Any]) -> Iterable[bytes]:
        path = environ.get("PATH_INFO") or "/"
        method = (environ.get("REQUEST_METHOD") or "GET").upper()
        if path == EVENTS_PATH and method == "POST":
            return handler(environ, start_response)
        if path == HEALTH_PATH and method in ("GET", "HEAD"):
            start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(health)))])
            return [b"" if method == "HEAD" else health]
        body = b'{"error": "not found"}'
        start_response("404 Not Found", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
        return [body]

    return wsgi_app


def open_recorder(settings: Settings) -> Recorder:
    """The curators' log and the shared de-duplication store; NullRecorder when storage is unavailable."""
    try:
        from bot.curators_log import open_recorder as open_storage
    except ImportError:
        log.warning("no storage module: questions are not recorded and retries are de-duplicated per process")
        return NullRecorder()
    try:
        return open_storage(settings)
    except Exception as exc:  # a database problem must not stop members getting answers
        log.error("could not open the database (%s); running without the curators' log", type(exc).__name__)
        log.debug("database error detail", exc_info=True)
        return NullRecorder()


def _reporter(recorder: Recorder) -> Callable[[], str] | None:
    report_text = getattr(recorder, "report_text", None)
    if report_text is None:
        return None
    return lambda: report_text(since="30d")


def build_app(settings: Settings, kb: KnowledgeBase):
    from bot.slack.app import create_app

    recorder = open_recorder(settings)
    return create_app(settings, kb, recorder=recorder, reporter=_reporter(recorder))


def _check_slack(settings: Settings) -> str | None:
    """Ask Slack (auth.test) whether the bot token works; a message for a person if not."""
    from slack_sdk import WebClient
    from slack_sdk.errors import SlackApiError

    try:
        WebClient(token=settings.slack_bot_token, base_url=settings.slack_api_url, timeout=15).auth_test()
    except SlackApiError as exc:
        error = exc.response.get("error") if exc.response is not None else "unknown error"
        return f"Slack did not accept SLACK_BOT_TOKEN ({error}); check it in the app's OAuth & Permissions page"
    except Exception as exc:
        return f"could not reach Slack at {settings.slack_api_url} ({type(exc).__name__}: {exc})"
    return None


def serve(settings: Settings, kb: KnowledgeBase) -> int:
    """Run until stopped; return the exit code. Socket Mode when settings.mode == "socket", otherwise HTTP."""
    configure_logging(settings.log_level)
    problem = _check_slack(settings)
    if problem:
        log.error("physio-career: cannot start: %s", problem)
        return 2
    if settings.mode == "socket":
        return _serve_socket(settings, kb)
    return _serve_http(settings, kb)


def _serve_socket(settings: Settings, kb: KnowledgeBase) -> int:
    from slack_bolt.adapter.socket_mode import SocketModeHandler
    from slack_sdk.errors import SlackApiError

    app = build_app(settings, kb)
    handler = SocketModeHandler(app, settings.slack_app_token)
    log.info("physio-career: %d entries; connecting to Slack in Socket Mode", len(kb))
    try:
        handler.start()
    except SlackApiError as exc:
        error = exc.response.get("error") if exc.response is not None else "unknown error"
        log.error(
            "physio-career: cannot start: Slack did not accept SLACK_APP_TOKEN (%s); it needs the "
            "connections:write scope and Socket Mode turned on",
            error,
        )
        return 2
    except KeyboardInterrupt:
        log.info("physio-career: stopping")
    finally:
        handler.close()
    return 0


def _serve_http(settings: Settings, kb: KnowledgeBase) -> int:
    from gunicorn.app.base import BaseApplication

    class Server(BaseApplication):
        def load_config(self) -> None:
            options = {
                "bind": f"0.0.0.0:{settings.port}",
                "workers": settings.web_concurrency,
                "threads": settings.threads,
                "worker_class": "gthread",
                "timeout": 30,
                "graceful_timeout": 10,
                "keepalive": 5,
                "loglevel": settings.log_level.lower(),
                "accesslog": "-" if settings.log_level == "DEBUG" else None,
                "proc_name": "physio-career",
                "control_socket_disable": True,
            }
            for key, value in options.items():
                if key in self.cfg.settings:
                    self.cfg.set(key, value)

        def load(self) -> WSGIApp:
            # runs in each worker after the fork: its own app, client and database connection
            return make_wsgi_app(build_app(settings, kb), kb)

    log.info(
        "physio-career: %d entries; HTTP on port %d, %d worker(s) x %d thread(s); Slack posts to %s",
        len(kb),
        settings.port,
        settings.web_concurrency,
        settings.threads,
        EVENTS_PATH,
    )
    try:
        Server().run()
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    return 0
