"""Real-time events for the Immich clients: the in-process bus (`bus`) and the Socket.IO endpoint
(`socket`) at /api/socket.io that delivers them."""

from albumen.events.bus import ClientEvent, EventBus

__all__ = ["ClientEvent", "EventBus"]
