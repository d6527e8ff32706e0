"""Run the server: every configured channel on one aiohttp application (HTTP), or Slack over Socket Mode.

HTTP runs under gunicorn with aiohttp's worker class (`WEB_CONCURRENCY` processes, never a development server).
The knowledge base is loaded once, before the fork; each worker builds its own services (the curators' log and
its database connections) after it. On SIGTERM (every Heroku restart) both modes finish the replies in hand,
within a grace period, before they exit.
"""

from __future__ import annotations

import asyncio
import logging
import signal
import sys

from bot.brain.knowledge import KnowledgeBase
from bot.channels import ChannelError, channel_class
from bot.config import Settings, configure_logging
from bot.runtime import Services

log = logging.getLogger(__name__)
GRACE_SECONDS = 20  # Heroku gives 30 s between SIGTERM and SIGKILL


def _warn_about_test_modes(settings: Settings) -> None:
    teams = settings.teams
    if teams is not None and teams.anonymous:
        log.warning("Teams: ANONYMOUS_ALLOWED is on: requests without a token are accepted (local testing only)")
    if teams is not None and teams.allow_any_service_url:
        log.warning("Teams: TEAMS_ALLOW_ANY_SERVICE_URL is on: replies may go to any host (tests only)")


async def start_channels(settings: Settings, services: Services, *, check: bool = True) -> list:
    channels = [channel_class(name)(settings, services) for name in settings.channels]
    if check:
        for channel in channels:
            await channel.start()
    return channels


async def web_app(settings: Settings, kb: KnowledgeBase, services: Services | None = None, *, check: bool = True):
    """The aiohttp application with every configured channel; raises ChannelError when one cannot start.

    `check=False` skips the credential checks (gunicorn's master has made them once, before the fork).
    """
    from bot.web import build_web_app

    services = services or Services(settings, kb)
    if settings.slack is not None and not settings.slack.signing_secret:
        log.warning("Slack has no SLACK_SIGNING_SECRET, so it is not served over HTTP (use serve --socket)")
    channels = await start_channels(settings, services, check=check)
    return build_web_app(services, channels, grace=GRACE_SECONDS)


async def check_channels(settings: Settings, kb: KnowledgeBase) -> str | None:
    """Check every channel's credentials once; a message for a person when one cannot start."""
    services = Services(settings, kb, recorder=_NoLog())
    try:
        await start_channels(settings, services)
    except ChannelError as exc:
        return str(exc)
    return None


class _NoLog:
    """The credential check needs no curators' log."""

    def close(self) -> None:
        return None


def serve(settings: Settings, kb: KnowledgeBase) -> int:
    """Run until stopped; return the exit code."""
    configure_logging(settings.log_level)
    _warn_about_test_modes(settings)
    if settings.mode == "socket":
        return asyncio.run(_serve_socket(settings, kb))
    return _serve_http(settings, kb)


async def _serve_socket(settings: Settings, kb: KnowledgeBase) -> int:
    services = Services(settings, kb)
    channel = channel_class("slack")(settings, services)
    try:
        await channel.start()
        await channel.check_app_token()
        log.info("physio-career: %d entries; connecting to Slack in Socket Mode", len(kb))
        await channel.connect_socket()
    except ChannelError as exc:
        log.error("physio-career: cannot start: %s", exc)
        services.close()
        return 2
    except Exception as exc:
        log.error(
            "physio-career: cannot start: Slack did not accept SLACK_APP_TOKEN (%s); it needs the "
            "connections:write scope and Socket Mode turned on",
            type(exc).__name__,
        )
        services.close()
        return 2
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    log.info("physio-career: stopping: finishing the replies in hand")
    await services.inflight.drain(GRACE_SECONDS)
    await channel.stop()
    services.close()
    return 0


def _serve_http(settings: Settings, kb: KnowledgeBase) -> int:
    from gunicorn.app.base import BaseApplication

    problem = asyncio.run(check_channels(settings, kb))
    if problem:
        log.error("physio-career: cannot start: %s", problem)
        return 2

    class Server(BaseApplication):
        def load_config(self) -> None:
            options = {
                "bind": f"0.0.0.0:{settings.port}",
                "workers": settings.web_concurrency,
                "worker_class": "aiohttp.GunicornWebWorker",
                "timeout": 30,
                "graceful_timeout": GRACE_SECONDS + 5,
                "keepalive": 5,
                "loglevel": settings.log_level.lower(),
                "accesslog": None,  # request lines hold nothing useful and cost a write each
                "proc_name": "physio-career",
                "control_socket_disable": True,
            }
            for key, value in options.items():
                if key in self.cfg.settings:
                    self.cfg.set(key, value)

        def load(self):
            async def factory():
                # runs in each worker after the fork: its own services and database connections
                try:
                    return await web_app(settings, kb, check=False)
                except ChannelError as exc:
                    log.error("physio-career: cannot start: %s", exc)
                    sys.exit(4)  # gunicorn stops when a worker cannot boot

            return factory

    log.info(
        "physio-career: %d entries; HTTP on port %d, %d worker(s); serving %s",
        len(kb),
        settings.port,
        settings.web_concurrency,
        ", ".join(settings.channels) or "no channel",
    )
    try:
        Server().run()
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    return 0
