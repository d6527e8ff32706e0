"""Microsoft Teams, through the Microsoft 365 Agents SDK: the only package that imports `microsoft_agents`.

    channel.py   TeamsChannel: POST /api/messages on the shared aiohttp app, the SDK's auth and host validation
    handlers.py  what each kind of activity gets (messages, card clicks, install), over the conversation core
    cards.py     the neutral Reply as an Adaptive Card 1.5 (pure: plain dicts, no SDK)
    markup.py    Teams' own markup out of what members type (`<at>…</at>` mentions, HTML, entities)
    ids.py       the verbs card actions carry, and the content types
    package.py   the Teams app package: manifest, icons, zip (`physio-career teams-package`)

Importing this package imports nothing from the SDK: `cards`, `markup`, `ids` and `package` are pure, so the
renderer and the package can be used and tested without it.
"""
