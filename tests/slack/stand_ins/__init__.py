"""What stands in for Slack, shared by the tests and `bench/load.py` (no pytest needed). Only what is outside our
walls is faked; the app under test is always the real one.

- `web_api`: a recording stand-in of the Slack Web API and of response URLs, with faults on demand
  (`SlackApiStandIn`: `fail`, `hang`, `respond_with`, `wait_for`, running counts for load).
- `socket_mode`: Slack's side of a Socket Mode WebSocket (`SocketModeStandIn`).
- `wire`: v0 signing, the payload files in `tests/slack/payloads/` and builders on them (commands, DM and mention
  events, button clicks), and Slack's Block Kit limits as checks.
"""
