"""What the bot says outside the knowledge base, once for every channel: apologies, thanks, refusals.

Channels render these as they render everything else; none of them words its own.
"""

from __future__ import annotations

ABOUT = (
    "I answer career questions for physiotherapy support workers: bands and pay, re-banding, apprenticeships, "
    "becoming a physio, funding, CSP membership and the Associates Network, for your own UK nation. My answers "
    "come from a knowledge base that the Associates Network keeps up to date, with links to the official pages. "
    "I don't give clinical advice."
)
APOLOGY = "Sorry, something went wrong on my side. Please try again in a minute."
THANKS_UP = "Thanks for the feedback: glad that helped."
THANKS_DOWN = "Thanks for telling me. The network's curators read this feedback and improve the answers."
FLAGGED = (
    "Thanks: I've passed that on to the curators. Try asking in other words, or a person can help: "
    "CSP enquiries on {csp_phone} or {csp_email}."
)
NOT_WHAT_I_ASKED = (
    "Thanks for telling me: the curators will see it. Did you mean one of these? If not, ask me in other words, "
    "or ask a person."
)
NOT_WHAT_I_ASKED_NONE = (
    "Thanks for telling me: the curators will see it. Try asking in other words, or ask a person: CSP enquiries, "
    "or your local CSP steward for a problem at work."
)
ASK_PERSON_CONFIRM_LEAD = (
    "I can post your question in the network's help channel, where a person can answer it. "
    "It goes without your name unless you choose otherwise:"
)
ASK_PERSON_CONFIRM = ASK_PERSON_CONFIRM_LEAD + "\n\n> {question}"
ASK_PERSON_SEND_ANONYMOUSLY = "Send without my name"
ASK_PERSON_SEND_NAMED = "Send with my name"
ASK_PERSON_LABEL = "Ask a person"
ASK_PERSON_SENT = "Done: I've posted your question in {channel}. When someone replies there, I'll pass it on here."
HELP_CHANNEL = "the network's help channel"  # how a channel names it where it cannot link to it
ASK_PERSON_POSTED = "A member asked:"
ASK_PERSON_POSTED_NAMED = "{user} asked:"
ASK_PERSON_HOW_TO_REPLY = "Reply in this thread and I'll pass your answer on to them."
ASK_PERSON_REPLY = "A person in the help channel replied to your question:"
ASK_PERSON_PASSED_ON = "Thanks: I've passed your reply on to the member who asked."
ASK_PERSON_NOT_PASSED_ON = (
    "Sorry, I could not pass that on: this thread is not a question I posted, or it is more than two weeks old. "
    "To ask me something, start a new post that mentions me."
)
ASK_PERSON_RELAY_FAILED = "Sorry, I could not pass that on just now. Please try again in a few minutes."
ASK_PERSON_FAILED = "Sorry, I could not post your question just now. Please try again later, or contact CSP enquiries."
GONE = "Sorry, that question is no longer in my knowledge base. Please ask me in your own words."
BAD_BUTTON = "Sorry, I could not read that button. Please ask me your question in your own words."
NOT_IN_CHANNEL = "I can't post in this conversation. Invite me to the channel first, or ask me in a direct message."
REPORT_REFUSED = "The curators' report is only for the network's admins."
REPORT_UNAVAILABLE = "The curators' report is not available: the curators' log is not set up."
REPORT_FAILED = "Sorry, the report could not be built just now. Please try again later."
NATION_SAVED = (
    "Thanks: I'll answer for **{nation}** from now on where the rules differ between the UK nations. "
    "To change it, type **nation** and the name, or **nation clear** to forget it."
)
NATION_CLEARED = "Done: I've forgotten your nation. Where the rules differ, I'll ask or say which nation I mean."
NATION_UNKNOWN = (
    "I know the four UK nations: **england**, **scotland**, **wales** and **northern-ireland**. "
    "Type, for example, **nation scotland**, or **nation clear** to forget it."
)
NATION_SHOWN = "Your saved nation is **{nation}**. Type **nation clear** to forget it."
NATION_NONE = (
    "You have not saved a nation. Type, for example, **nation wales**, and I'll answer for it where the rules "
    "differ between the UK nations."
)
NATION_ASSUMED = "This answer is for **{nation}**. The rules differ in the other UK nations:"
