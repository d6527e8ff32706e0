"""One renderer per channel, each turning the neutral `Reply` into what that channel shows."""
