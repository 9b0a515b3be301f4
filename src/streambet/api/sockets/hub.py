"""One asyncio thread per worker process speaks WebSocket on every handed-off connection.

Why this shape (issue 12, item 4). Under gunicorn's gthread worker a WebSocket served by a
view (flask-sock) held one of the worker's request threads, plus simple-websocket's reader
thread, for as long as the page stayed open: 64 open pages took every thread and
`/api/health` stopped answering. Three ways out were weighed:
  (a) hand the connection off inside the worker (chosen): the upgrade view checks the caps,
      answers 101 itself and gives the socket to this hub (streambet/api/sockets/handoff.py); the
      request thread is free again at once and the gthread worker forgets the connection;
  (b) an ASGI server (uvicorn, hypercorn) in front of the Flask app: every API request
      would then cross an asyncio-to-thread bridge, and wagers are group-committed by
      request threads that must stay cheap; it would also replace gunicorn's process model
      and the SO_REUSEPORT set-up that bench/betting.py measured;
  (c) a sibling process on another port: the page would have to learn a second origin
      (CORS, Origin checks, CSP) and a second process would have to be supervised.
(a) keeps one origin and one process model and costs one thread per worker. It needs
nothing from gunicorn beyond the socket in the environ and its handling of a client that
went away (EPIPE), and it runs the same under werkzeug's server, which the tests use.
Measured (bench/ws.py, README): 2,000 sockets on one worker cost about 11 KB each, health
stayed under 5 ms at p99, and the wager rate was unchanged within the machine's noise, so
(b) and (c) were not needed.

What the hub does:
- one bus subscription per hub (per worker) read by one thread, fanned out to every socket,
  where each socket used to hold a subscription of its own and poll it twice a second;
- events are flushed at most every FLUSH_SECONDS (the first after a quiet spell at once);
  a snapshot topic (market odds: each event carries the whole pool) is flushed at most
  every SNAPSHOT_SECONDS, keeping only the latest event per id meanwhile, so a busy market
  costs each socket two writes a second, not one per wager batch (bench/ws.py: with 2,000
  sockets, flushing odds every 0.1 s took 40% of the wager rate); every frame is encoded
  once, and each socket gets one write per flush;
- each socket's unsent bytes are bounded: a socket that still has more than
  `send_buffer_bytes` waiting beyond what the kernel holds when the next write comes is
  dropped, not buffered for (so it holds at most that plus one flush);
- every `ping_seconds` a socket not heard from for half that is pinged, and one not heard
  from for twice that is dropped (keepalive_action);
- messages from a page go to its session on a small thread pool (a token check reads the
  database); the socket is not read while its message is handled, so a page cannot queue
  work, and a message over `max_message` characters is discarded unread;
- if the bus subscription fails, every socket is closed (1011) so that pages reconnect and
  catch up once it is back (their `hello` promised that nothing after it would be missed),
  and new upgrades are refused until it is.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import socket
import struct
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Literal, Protocol

from wsproto.connection import Connection, ConnectionState, ConnectionType
from wsproto.events import BytesMessage, CloseConnection, Message, Ping, TextMessage
from wsproto.frame_protocol import CloseReason
from wsproto.utilities import RemoteProtocolError

from streambet.adapters.events import Event, Subscription
from streambet.api.sockets.admission import Admission, Ticket

log = logging.getLogger("streambet.api.sockets")

FLUSH_SECONDS = 0.1
SNAPSHOT_SECONDS = 0.5
SESSION_THREADS = 2
RESUBSCRIBE_SECONDS = (0.5, 1, 2, 5, 10)
RECONNECT_HINT = "node stopping: reconnect"  # the reason sent with 1012 when a node stops


class Session(Protocol):
    """What the hub needs from the page protocol (streambet/api/ws.py)."""

    @property
    def authenticated(self) -> bool: ...

    def hear(self, message: str) -> str | None:
        """Handles a message from the page (may block: runs on a helper thread) and
        returns the reply to send, if any."""
        ...

    def may_see(self, topic: str, payload: dict[str, Any]) -> bool: ...


@dataclass(frozen=True)
class HubOptions:
    ping_seconds: float = 20.0
    send_buffer_bytes: int = 64 * 1024
    max_message: int = 4096
    # topic -> the payload field naming what the event is a snapshot of
    snapshot_topics: Mapping[str, str] | None = None


def keepalive_action(silent: float, interval: float) -> Literal["drop", "ping"] | None:
    """What the check run every `interval` seconds does to a socket not heard from for
    `silent` seconds. It pings from half an interval on, not from a whole one: a page that
    answers a ping a little later than the check's timer drifts would otherwise be heard
    just under an interval before the next check, go unpinged there, and be dropped as
    silent at the check after (a quiet page that only answers pings, as a live page is)."""
    if silent >= 2 * interval:
        return "drop"
    if silent >= interval / 2:
        return "ping"
    return None


def text_frame(text: str) -> bytes:
    """One unfragmented server-to-client text frame (RFC 6455 section 5.2): unmasked, so
    the same bytes suit every socket."""
    payload = text.encode()
    n = len(payload)
    if n < 126:
        head = struct.pack("!BB", 0x81, n)
    elif n < 1 << 16:
        head = struct.pack("!BBH", 0x81, 126, n)
    else:
        head = struct.pack("!BBQ", 0x81, 127, n)
    return head + payload


class _Peer(asyncio.Protocol):
    def __init__(self, hub: Hub, session: Session, ticket: Ticket) -> None:
        self.hub = hub
        self.session = session
        self.ticket = ticket
        self.ws = Connection(ConnectionType.SERVER)
        self.transport: asyncio.Transport | None = None
        self.last_heard = 0.0
        self.busy = False  # a message is with the session; reading is paused meanwhile
        self._text: list[str] = []
        self._text_size = 0

    # asyncio callbacks, all on the hub's loop
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        self.last_heard = self.hub.loop.time()
        self.hub.peers.add(self)
        if not self.hub.available:  # the bus failed after the upgrade was admitted
            self.close(CloseReason.INTERNAL_ERROR, "live updates interrupted")
            return
        self.write(self.hub.greeting)

    def connection_lost(self, exc: Exception | None) -> None:
        self.hub.peers.discard(self)
        self.ticket.release()

    def data_received(self, data: bytes) -> None:
        self.last_heard = self.hub.loop.time()
        try:
            self.ws.receive_data(data)
        except Exception:  # data after the close handshake
            self._abort()
            return
        self._drain()

    def eof_received(self) -> bool | None:
        return None  # the transport closes

    # the WebSocket protocol
    def write(self, data: bytes) -> None:
        """Sends `data`, unless what was sent before is still waiting beyond what the kernel
        holds: then the client is not reading, and it is dropped rather than buffered for.
        So a socket holds at most send_buffer_bytes plus one write (one flush)."""
        transport = self.transport
        if not data or transport is None or transport.is_closing():
            return
        if transport.get_write_buffer_size() > self.hub.options.send_buffer_bytes:
            self.hub.stats["dropped_slow"] += 1
            transport.abort()
            return
        transport.write(data)

    def open(self) -> bool:
        return (
            self.transport is not None
            and not self.transport.is_closing()
            and self.ws.state is ConnectionState.OPEN
        )

    def close(self, code: int, reason: str = "") -> None:
        if self.ws.state in (ConnectionState.OPEN, ConnectionState.REMOTE_CLOSING):
            self.write(self.ws.send(CloseConnection(code=code, reason=reason)))
        if self.transport is not None:
            self.transport.close()  # after the buffered bytes

    def _abort(self) -> None:
        if self.transport is not None:
            self.transport.abort()

    def _drain(self) -> None:
        """Handles received events until one needs the session (then resumes later)."""
        if self.busy:
            return
        try:
            for event in self.ws.events():
                if isinstance(event, Message):
                    self._message_part(event)
                    if self.busy:
                        return
                elif isinstance(event, Ping) and self.ws.state is ConnectionState.OPEN:
                    self.write(self.ws.send(event.response()))
                elif isinstance(event, CloseConnection):
                    if self.ws.state is ConnectionState.REMOTE_CLOSING:
                        self.write(self.ws.send(event.response()))
                    if self.transport is not None:
                        self.transport.close()
                    return
        except RemoteProtocolError as exc:
            hint = exc.event_hint
            self.close(
                hint.code if isinstance(hint, CloseConnection) else CloseReason.PROTOCOL_ERROR
            )

    def _message_part(self, event: Message[Any]) -> None:
        limit = self.hub.options.max_message
        if isinstance(event, TextMessage) and self._text_size <= limit:
            self._text.append(event.data)
            self._text_size += len(event.data)
        elif isinstance(event, BytesMessage):
            self._text_size = limit + 1  # binary: not the protocol, discarded
        else:
            self._text.clear()  # over the limit: what came is dropped, the rest ignored
        if not event.message_finished:
            return
        text, size = "".join(self._text), self._text_size
        self._text, self._text_size = [], 0
        if size > limit:
            return
        try:
            future = self.hub.loop.run_in_executor(self.hub.sessions, self.session.hear, text)
        except RuntimeError:  # the hub is closing
            self._abort()
            return
        self.busy = True
        if self.transport is not None:
            self.transport.pause_reading()
        future.add_done_callback(self._heard)

    def _heard(self, future: asyncio.Future[str | None]) -> None:
        self.busy = False
        try:
            reply = future.result()
        except asyncio.CancelledError:  # the hub is closing
            return
        except Exception:
            log.exception("a WebSocket message could not be handled")
            reply = None
        self.ticket.set_authenticated(self.session.authenticated)
        if not self.open():
            return
        if reply is not None:
            self.write(self.ws.send(TextMessage(data=reply)))
        assert self.transport is not None
        self.transport.resume_reading()
        self._drain()


class Hub:
    """Thread-safe entry points: start, adopt, available, counts, close. Everything else
    runs on the hub's own event loop thread."""

    def __init__(
        self,
        subscribe: Callable[[], Subscription],
        admission: Admission,
        greeting: str,
        encode: Callable[[Event], str],
        options: HubOptions | None = None,
    ) -> None:
        self._subscribe = subscribe
        self.admission = admission
        self.greeting = text_frame(greeting)
        self._encode = encode
        self.options = options or HubOptions()
        self.loop = asyncio.new_event_loop()
        self.sessions = ThreadPoolExecutor(SESSION_THREADS, thread_name_prefix="ws-session")
        self.peers: set[_Peer] = set()
        self.stats = {"delivered_frames": 0, "dropped_slow": 0, "dropped_silent": 0}
        self._lock = threading.Lock()
        self._pending: OrderedDict[Hashable, Event] = OrderedDict()
        self._armed = False  # a flush is (being) scheduled
        self._urgent = False  # an ordinary event waits, not only snapshots
        self._snapshots = 0
        self._timer: asyncio.TimerHandle | None = None
        self._last_flush = self._last_snapshot = 0.0
        self._serial = itertools.count()
        self._subscription: Subscription | None = None
        self._bus_ok = threading.Event()
        self._closing = threading.Event()
        self._threads: list[threading.Thread] = []

    # thread-safe API
    def start(self) -> None:
        """Subscribes (before any socket is greeted, so `hello` keeps its promise) and
        starts the loop and bus threads. Raises if the bus cannot be subscribed to."""
        self._subscription = self._subscribe()
        self._bus_ok.set()
        loop_thread = threading.Thread(target=self._run_loop, name="ws-hub", daemon=True)
        bus_thread = threading.Thread(target=self._read_bus, name="ws-bus", daemon=True)
        self._threads = [loop_thread, bus_thread]
        for thread in self._threads:
            thread.start()

    @property
    def available(self) -> bool:
        return self._bus_ok.is_set() and not self._closing.is_set()

    def adopt(self, sock: socket.socket, session: Session, ticket: Ticket) -> None:
        """Takes over an upgraded connection (101 already sent). Never raises: a closing
        hub closes the socket and gives the ticket back."""
        try:
            if self._closing.is_set():
                raise RuntimeError("closing")
            self.loop.call_soon_threadsafe(self._adopt, sock, session, ticket)
        except RuntimeError:  # the loop is closed or closing
            sock.close()
            ticket.release()

    def counts(self) -> dict[str, int]:
        return {**self.admission.counts(), **self.stats}

    def close(self, timeout: float = 5.0) -> None:
        """Says goodbye (1012, reconnect) to every socket and stops the threads."""
        if self._closing.is_set():
            return
        self._closing.set()
        if self._subscription is not None:
            with contextlib.suppress(Exception):
                self._subscription.close()
        if self._threads:
            with contextlib.suppress(RuntimeError, TimeoutError):
                asyncio.run_coroutine_threadsafe(self._goodbye(), self.loop).result(timeout)
            self.loop.call_soon_threadsafe(self.loop.stop)
            for thread in self._threads:
                thread.join(timeout)
        self.loop.close()
        self.sessions.shutdown(wait=False, cancel_futures=True)

    # the loop thread
    def _run_loop(self) -> None:
        asyncio.set_event_loop(self.loop)
        self.loop.call_later(self.options.ping_seconds, self._keepalive)
        self.loop.run_forever()

    def _adopt(self, sock: socket.socket, session: Session, ticket: Ticket) -> None:
        task = self.loop.create_task(
            self.loop.connect_accepted_socket(lambda: _Peer(self, session, ticket), sock)
        )

        def adopted(done: asyncio.Task[Any]) -> None:
            if done.cancelled() or done.exception() is not None:
                sock.close()
                ticket.release()

        task.add_done_callback(adopted)

    async def _goodbye(self) -> None:
        for peer in list(self.peers):
            # 1012 (service restart): the node is stopping, another behind the load
            # balancer answers a reconnect at once (the web app reconnects without backoff)
            peer.close(CloseReason.SERVICE_RESTART, RECONNECT_HINT)
        for _ in range(20):  # the close frames go out with what was buffered before them
            if not self.peers:
                break
            await asyncio.sleep(0.05)
        for peer in list(self.peers):
            peer._abort()
        for _ in range(3):  # lets the aborted transports close their sockets
            await asyncio.sleep(0)

    def _keepalive(self) -> None:
        now = self.loop.time()
        interval = self.options.ping_seconds
        ping = None
        for peer in list(self.peers):
            action = keepalive_action(now - peer.last_heard, interval)
            if action == "drop":
                self.stats["dropped_silent"] += 1
                peer._abort()
            elif action == "ping" and peer.open():
                ping = ping or peer.ws.send(Ping())
                peer.write(ping)
        self.loop.call_later(interval, self._keepalive)

    def _arm(self) -> None:
        """(Re)sets the flush timer: FLUSH_SECONDS after the last flush when an ordinary
        event waits, also SNAPSHOT_SECONDS after the last snapshot when only snapshots do."""
        with self._lock:
            urgent = self._urgent
        due = self._last_flush + FLUSH_SECONDS
        if not urgent:
            due = max(due, self._last_snapshot + SNAPSHOT_SECONDS)
        timer = self._timer
        if timer is not None and not timer.cancelled() and timer.when() <= due:
            return
        if timer is not None:
            timer.cancel()
        self._timer = self.loop.call_at(max(due, self.loop.time()), self._flush)

    def _flush(self) -> None:
        """Sends everything pending, in the order it came (a snapshot held back goes out
        with the next ordinary event, so no page sees them out of order)."""
        self._timer = None
        with self._lock:
            events = list(self._pending.values())
            snapshots = self._snapshots
            self._pending.clear()
            self._armed = self._urgent = False
            self._snapshots = 0
        self._last_flush = self.loop.time()
        if snapshots:
            self._last_snapshot = self._last_flush
        if not events or not self.peers:
            return
        frames = [text_frame(self._encode(e)) for e in events]
        blobs: dict[tuple[bool, ...], bytes] = {}
        for peer in list(self.peers):
            if not peer.open():
                continue
            seen = tuple(peer.session.may_see(e.topic, e.payload) for e in events)
            blob = blobs.get(seen)
            if blob is None:
                blob = blobs[seen] = b"".join(f for f, s in zip(frames, seen, strict=True) if s)
            if blob:
                peer.write(blob)
                self.stats["delivered_frames"] += sum(seen)

    def _drop_all(self, reason: str) -> None:
        for peer in list(self.peers):
            peer.close(CloseReason.INTERNAL_ERROR, reason)

    # the bus thread
    def _queue(self, event: Event) -> None:
        key: Hashable = next(self._serial)
        field = (self.options.snapshot_topics or {}).get(event.topic)
        snapshot = field is not None and field in event.payload
        if field is not None and snapshot:
            key = (event.topic, repr(event.payload[field]))
        with self._lock:
            if self._pending.pop(key, None) is None and snapshot:
                self._snapshots += 1
            self._pending[key] = event  # a newer snapshot goes where the newest event goes
            wake = not self._armed or (not snapshot and not self._urgent)
            self._armed = True
            self._urgent = self._urgent or not snapshot
        if wake:
            self.loop.call_soon_threadsafe(self._arm)

    def _read_bus(self) -> None:
        backoff = iter(RESUBSCRIBE_SECONDS)
        while not self._closing.is_set():
            sub = self._subscription
            try:
                if sub is None:
                    self._subscription = sub = self._subscribe()
                    self._bus_ok.set()
                    log.info("live updates: the event bus is back")
                    backoff = iter(RESUBSCRIBE_SECONDS)
                event = sub.get(timeout=0.5)
            except Exception:
                if self._closing.is_set():
                    return
                if self._bus_ok.is_set():
                    log.exception("live updates: the event bus subscription failed")
                    self._bus_ok.clear()
                    with contextlib.suppress(RuntimeError):
                        self.loop.call_soon_threadsafe(self._drop_all, "live updates interrupted")
                if sub is not None:
                    with contextlib.suppress(Exception):
                        sub.close()
                self._subscription = None
                time.sleep(next(backoff, RESUBSCRIBE_SECONDS[-1]))
                continue
            if event is not None:
                with contextlib.suppress(RuntimeError):  # the loop closed under us
                    self._queue(event)
