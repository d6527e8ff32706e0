"""The conversation core, shared by every channel: `Assistant`, `Member`, `Answered`, and the button codec."""

from bot.conversation.buttons import NONE_OF_THESE, ButtonValue, pack, unpack
from bot.conversation.core import ANONYMOUS, Answered, Assistant, Member, Surface

__all__ = ["ANONYMOUS", "NONE_OF_THESE", "Answered", "Assistant", "ButtonValue", "Member", "Surface", "pack", "unpack"]
