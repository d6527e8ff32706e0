"""Microsoft Teams as a channel of the server: `POST /api/messages` on the shared aiohttp application, with the
Microsoft 365 Agents SDK doing what only it should do (checking Azure Bot Service's token, sending replies to
the Bot Connector with the bot's own token).

- **Auth.** With a client id, secret and tenant (the SDK's `CONNECTIONS__SERVICE_CONNECTION__SETTINGS__*`), every
  request must carry a valid Bot Service JWT (`jwt_authorization_decorator`); without one it gets 401 before its
  body is read. `ANONYMOUS_ALLOWED=true` (local testing only: the Agents Playground sends no token) accepts
  requests without a token, and replies then go without one.
- **Replies only to Microsoft.** The SDK's outbound host validator is on: an activity whose `serviceUrl` is not
  an https Microsoft host (botframework.com, smba.trafficmanager.net, ...) is refused with 401 and gets no reply,
  so nobody can make the bot post (with its token) to a host of their choosing. `TEAMS_ALLOW_ANY_SERVICE_URL=true`
  turns it off, for tests against a local stand-in connector only.
- The endpoint lives in its own aiohttp sub-application under `/api`, which holds the SDK's auth configuration,
  so `/healthz` and `/slack/events` never see the Teams token check.

Nothing is checked over the network at start-up: Entra is asked for a token only when a reply is sent, and a
rejected token shows in the log and in `/healthz` (`connector_rejected_token`).
"""

from __future__ import annotations

import logging
import warnings
from typing import Any

import pydantic
from aiohttp import web
from microsoft_agents.authentication.msal import MsalConnectionManager
from microsoft_agents.hosting.aiohttp import CloudAdapter, jwt_authorization_decorator, start_agent_process
from microsoft_agents.hosting.core import OutboundHostValidator, TurnContext

from bot.teams import ids
from bot.teams.handlers import TeamsContext, create_agent

log = logging.getLogger(__name__)
MAX_BODY = 256 * 1024  # an activity is a few KB; Teams caps a message at about 100 KB
API_PREFIX, _, MESSAGES_ROUTE = ids.MESSAGES_PATH.rpartition("/")
AGENT_CONFIGURATION = "agent_configuration"  # where the SDK's JWT check looks for its configuration
SDK_LOGGER = "microsoft_agents"


class _QuietAnonymousWarning(logging.Filter):
    """In anonymous mode the SDK warns on every turn that no app id is set; the server said so once at start."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "App ID is not provided" not in record.getMessage()


class _QuietValidationError(logging.Filter):
    """The SDK logs a refused activity's pydantic error, which quotes parts of it (members' words, possibly);
    the channel logs one line of its own instead."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not record.getMessage().startswith("Validation error for Activity")


def sdk_configuration(teams: Any) -> dict[str, Any]:
    """The SDK's connection settings, from our TeamsSettings (the same names as its environment variables)."""
    settings: dict[str, Any] = {"ANONYMOUS_ALLOWED": bool(teams.anonymous)}
    if teams.client_id:
        settings.update(CLIENTID=teams.client_id, CLIENTSECRET=teams.client_secret, TENANTID=teams.tenant_id)
    return {"CONNECTIONS": {"SERVICE_CONNECTION": {"SETTINGS": settings}}}


def quiet_sdk_logs() -> None:
    """The SDK logs conversation and activity ids at INFO on every reply: keep it to warnings and errors."""
    sdk = logging.getLogger(SDK_LOGGER)
    sdk.setLevel(max(logging.WARNING, logging.getLogger().level))
    for name, quiet in (
        ("microsoft_agents.hosting.core.connector.client.user_token_client", _QuietAnonymousWarning),
        ("microsoft_agents.activity.activity", _QuietValidationError),
    ):
        logger = logging.getLogger(name)
        if not any(isinstance(f, quiet) for f in logger.filters):
            logger.addFilter(quiet())
    # the SDK keeps its state on aiohttp's request and application with plain string keys
    warnings.filterwarnings("ignore", category=web.NotAppKeyWarning, module=r"microsoft_agents\.")


class TeamsChannel:
    def __init__(self, settings: Any, services: Any) -> None:
        self.settings = settings
        self.teams = settings.teams
        self.services = services
        admins = frozenset(a.lower() for a in getattr(self.teams, "admin_aad_ids", frozenset()))
        self.context = TeamsContext(
            services.assistant,
            admins,
            services.reporter,
            inflight=services.inflight,
            escalation_channel=getattr(self.teams, "escalation_channel", ""),
        )
        quiet_sdk_logs()
        self.connections = MsalConnectionManager(**sdk_configuration(self.teams))
        self.auth_configuration = self.connections.get_default_connection_configuration()
        self.host_validator = OutboundHostValidator(enabled=not self.teams.allow_any_service_url)
        self.adapter = CloudAdapter(connection_manager=self.connections, host_validator=self.host_validator)
        self.adapter.on_turn_error = self._turn_failed  # the SDK's default sends the exception text to the member
        self.agent = create_agent(self.connections, self.context)
        self._authorized = jwt_authorization_decorator(self._process)

    async def start(self) -> None:
        """Nothing to check over the network: Entra is asked for a token when a reply is sent."""
        mode = "anonymous (no token needed)" if self.teams.anonymous else "Bot Service tokens required"
        hosts = "any host (tests only)" if self.teams.allow_any_service_url else "Microsoft hosts only"
        person = "on (TEAMS_ESCALATION_CHANNEL)" if self.context.escalation_channel else "off"
        log.info("Teams: %s on %s; replies to %s; 'Ask a person' %s", mode, ids.MESSAGES_PATH, hosts, person)

    def add_routes(self, web_app: web.Application) -> None:
        api = web.Application()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", web.NotAppKeyWarning)
            api[AGENT_CONFIGURATION] = self.auth_configuration
        api.router.add_post("/" + MESSAGES_ROUTE, self.handle)
        web_app.add_subapp(API_PREFIX, api)

    def health(self) -> dict[str, str]:
        return {"teams": self.context.health.get("teams", "ok")}

    async def stop(self) -> None:
        return None

    # --- requests ---------------------------------------------------------------------------------------
    async def handle(self, request: web.Request) -> web.StreamResponse:
        """Size first (nothing is read), then the token, then the turn."""
        if request.content_length is not None and request.content_length > MAX_BODY:
            return web.json_response({"error": "request too large"}, status=413)
        return await self._authorized(request)

    async def _process(self, request: web.Request) -> web.StreamResponse:
        async with self.services.inflight.track():
            try:
                response = await start_agent_process(request, self.agent, self.adapter)
            except pydantic.ValidationError:
                # the SDK validates strictly (an explicit null list, a field of the wrong type): a bare 500 otherwise
                log.info("refused a Teams request that is not a valid activity")
                return web.json_response({"error": "invalid activity"}, status=400)
        return response if response is not None else web.Response(status=202)

    async def _turn_failed(self, context: TurnContext, error: Exception) -> None:
        """The adapter's last resort (the application's error handler normally gets there first)."""
        log.error("a Teams turn failed outside the handlers (%s)", type(error).__name__)
