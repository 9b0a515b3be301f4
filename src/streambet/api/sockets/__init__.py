"""Live updates to pages over WebSocket without holding request threads: caps on open
sockets (admission), taking an upgraded connection from the WSGI server (handoff), and the
per-worker asyncio hub that speaks WebSocket and fans the event bus out (hub)."""
