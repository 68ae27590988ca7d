"""A shaping TCP proxy: a modelled network between the browser and the bucket, bench only.

This machine's kernel has no `netem`, so the bench puts this proxy where a real path would be.
It passes bytes unchanged in both directions and adds, per direction:

- a one-way delay (`delay_s`): every chunk read on one side is written to the other side
  `delay_s` later, so a round trip costs 2 × delay_s plus the real one; a new connection's
  first bytes wait a further round trip, as they would behind TCP's handshake;
- a rate per connection (`per_connection`, bytes/s) and a rate for all connections together
  (`total`), token buckets taken before each chunk is read, so a sender is slowed by TCP's own
  back-pressure rather than by an ever-growing buffer.

The presigned URLs must name the proxy, since SigV4 signs the Host header: the bench points
CHUTE_S3_PUBLIC_ENDPOINT_URL at `http://127.0.0.1:<proxy port>` and the browser's request,
forwarded unchanged, carries that host to the bucket, which checks the signature against it.

The proxy runs its own event loop in a thread (`ShapingProxy.start()`), or in a process of
its own (`ProxyProcess`, the same interface: what bench/network.py uses, so the proxy shares no
interpreter lock with the bench's browser driver); its profile can be changed between
measurements (`proxy.profile = FAR`) and applies to connections already open from their next
chunk on (a browser keeps its connections to the bucket alive between uploads).

    python bench/shaper.py capacity     # what the proxy itself moves, unshaped, on this machine
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass

MB = 1000 * 1000
# Read size when shaping, the token buckets' grain: 10 ms at 25 MB/s. At 64 KiB the proxy's
# own work per chunk (a Python event loop: bucket, delay line, write) cost a noticeable share
# of a core at 80 MB/s on this two-core machine, which the browser and the bucket need.
CHUNK = 256 * 1024
FAST_CHUNK = 1024 * 1024  # read size when the profile shapes nothing
BURST_S = 0.02  # a token bucket's depth, in seconds of its rate
QUEUE_CHUNKS = 64  # at most 16 MiB on the way per direction: a generous TCP window
STREAM_LIMIT = 2 * FAST_CHUNK  # asyncio's read buffer (64 KiB by default) holds a whole chunk


@dataclass(frozen=True)
class Profile:
    name: str
    delay_s: float = 0.0  # one way, each direction: RTT = 2 × delay_s
    per_connection: float | None = None  # bytes/s, each direction
    total: float | None = None  # bytes/s, all connections, each direction
    about: str = ""

    @property
    def shapes(self) -> bool:
        return bool(self.delay_s or self.per_connection or self.total)

    def describe(self) -> str:
        parts = [f"RTT {2000 * self.delay_s:.0f} ms" if self.delay_s else "no delay"]
        if self.per_connection:
            parts.append(f"{self.per_connection / MB:g} MB/s per connection")
        if self.total:
            parts.append(f"{self.total / MB:g} MB/s in all")
        return ", ".join(parts)


NEAR = Profile("near", about="no shaping: the proxy only passes bytes")
FAR = Profile(
    "far",
    delay_s=0.020,
    per_connection=25 * MB,
    total=200 * MB,
    about="a bucket across a continent: a single TCP stream's ceiling",
)
HOME = Profile("home", delay_s=0.010, total=5 * MB, about="a home uplink")
PROFILES = {profile.name: profile for profile in (NEAR, FAR, HOME)}


class TokenBucket:
    """`rate` bytes a second; a taker may overdraw, then waits until the debt is paid.

    Concurrent takers queue behind the debt, so the bucket's rate holds whatever their number.
    """

    def __init__(self, rate: float, burst: float | None = None) -> None:
        self.rate = rate
        # Credit a late wake-up can use: BURST_S of the rate (at least a chunk). With a chunk's
        # worth only (2.6 ms at 25 MB/s), every wake-up the loaded machine delayed was lost
        # for good: four shaped connections got ~15 MB/s each where one got 24.9.
        self.burst = burst if burst is not None else max(CHUNK, rate * BURST_S)
        self.tokens = self.burst
        self.stamp = time.monotonic()

    async def take(self, amount: int) -> None:
        now = time.monotonic()
        self.tokens = min(self.burst, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        self.tokens -= amount
        if self.tokens < 0:
            await asyncio.sleep(-self.tokens / self.rate)


class _Direction:
    """The buckets for one direction of the link under one profile."""

    def __init__(self, profile: Profile) -> None:
        self.profile = profile
        self.total = TokenBucket(profile.total) if profile.total else None


class ShapingProxy:
    """Listens on 127.0.0.1:<port> and forwards to `target` through the current profile."""

    def __init__(self, target_host: str, target_port: int, profile: Profile = NEAR) -> None:
        self.target = (target_host, target_port)
        self.port = 0
        self.connections = 0
        self.bytes_up = 0  # client -> target
        self.bytes_down = 0
        self._sending: dict[int, float] = {}  # connection -> when it last sent bytes upward
        self._loop: asyncio.AbstractEventLoop | None = None
        self._server: asyncio.base_events.Server | None = None
        self._thread: threading.Thread | None = None
        self.profile = profile

    @property
    def profile(self) -> Profile:
        return self._profile

    @profile.setter
    def profile(self, profile: Profile) -> None:
        # Fresh shared buckets for each direction; connections see the change on their next chunk.
        self._profile = profile
        self._up = _Direction(profile)
        self._down = _Direction(profile)

    def sending(self, within: float = 0.25) -> int:
        """Connections that sent bytes toward the target within the last `within` seconds:
        requests in flight, as the path sees them (bench/network.py samples it)."""
        since = time.monotonic() - within
        return sum(1 for at in list(self._sending.values()) if at >= since)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> ShapingProxy:
        ready = threading.Event()

        def run() -> None:
            loop = asyncio.new_event_loop()
            self._loop = loop
            self._server = loop.run_until_complete(
                asyncio.start_server(self._accept, "127.0.0.1", 0, backlog=256, limit=STREAM_LIMIT)
            )
            self.port = self._server.sockets[0].getsockname()[1]
            ready.set()
            loop.run_forever()
            self._server.close()
            loop.run_until_complete(self._server.wait_closed())
            loop.close()

        self._thread = threading.Thread(target=run, name="shaping-proxy", daemon=True)
        self._thread.start()
        if not ready.wait(10):
            raise RuntimeError("The shaping proxy did not start.")
        return self

    def stop(self) -> None:
        if self._loop and self._thread:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(10)

    def __enter__(self) -> ShapingProxy:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    async def _accept(self, client_r: asyncio.StreamReader, client_w: asyncio.StreamWriter) -> None:
        self.connections += 1
        accepted = time.monotonic()
        try:
            target_r, target_w = await asyncio.open_connection(*self.target, limit=STREAM_LIMIT)
        except OSError:
            client_w.close()
            return
        for writer in (client_w, target_w):
            sock = writer.get_extra_info("socket")
            if sock is not None:
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        up = asyncio.create_task(self._pipe(client_r, target_w, True, accepted))
        down = asyncio.create_task(self._pipe(target_r, client_w, False, accepted))
        for outcome in await asyncio.gather(up, down, return_exceptions=True):
            if isinstance(outcome, Exception):  # a bug in the proxy, not the network
                print(f"shaping proxy: {outcome!r}", file=sys.stderr, flush=True)
        for writer in (client_w, target_w):
            with contextlib.suppress(Exception):
                writer.close()

    async def _pipe(
        self,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        upward: bool,
        accepted: float,
    ) -> None:
        """Copy one direction: shaped chunks go through a delay line to a writer task."""
        line: asyncio.Queue[tuple[float, bytes]] = asyncio.Queue(QUEUE_CHUNKS)
        sender = asyncio.create_task(self._deliver(line, writer))
        mine: tuple[Profile, TokenBucket | None] | None = None
        try:
            while True:
                direction = self._up if upward else self._down
                profile = direction.profile
                data = await reader.read(CHUNK if profile.shapes else FAST_CHUNK)
                if not data:
                    break
                if upward:
                    self.bytes_up += len(data)
                    self._sending[id(writer)] = time.monotonic()
                else:
                    self.bytes_down += len(data)
                if mine is None or mine[0] is not profile:
                    rate = profile.per_connection
                    mine = (profile, TokenBucket(rate) if rate else None)
                if mine[1]:
                    await mine[1].take(len(data))
                if direction.total:
                    await direction.total.take(len(data))
                due = time.monotonic() + profile.delay_s
                if profile.delay_s:
                    # TCP's handshake: a new connection's first bytes leave a round trip late.
                    due = max(due, accepted + 3 * profile.delay_s)
                await line.put((due, data))
        except (ConnectionError, OSError):
            pass
        finally:
            self._sending.pop(id(writer), None)
            await line.put((0.0, b""))
            await asyncio.gather(sender, return_exceptions=True)

    @staticmethod
    async def _deliver(
        line: asyncio.Queue[tuple[float, bytes]], writer: asyncio.StreamWriter
    ) -> None:
        try:
            while True:
                due, data = await line.get()
                if not data:
                    if writer.can_write_eof():
                        writer.write_eof()
                    return
                wait = due - time.monotonic()
                if wait > 0:
                    await asyncio.sleep(wait)
                writer.write(data)
                await writer.drain()
        except (ConnectionError, OSError):
            pass


class ProxyProcess:
    """A ShapingProxy in a child process (`shaper.py serve`), driven over its stdin and stdout:
    one command a line (`target HOST PORT`, `profile NAME`, `sending`), one answer a line."""

    def __init__(self, target_host: str, target_port: int, profile: Profile = NEAR) -> None:
        self._child = subprocess.Popen(
            [sys.executable, __file__, "serve", target_host, str(target_port), profile.name],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        self.port = int(self._ask(None))
        self._profile = profile

    def _ask(self, command: str | None) -> str:
        assert self._child.stdin and self._child.stdout
        if command is not None:
            self._child.stdin.write(command + "\n")
            self._child.stdin.flush()
        answer = self._child.stdout.readline().strip()
        if not answer:
            raise RuntimeError("The shaping proxy's process stopped.")
        return answer

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def target(self) -> tuple[str, int]:
        host, port = self._ask("target").split()
        return host, int(port)

    @target.setter
    def target(self, target: tuple[str, int]) -> None:
        self._ask(f"target {target[0]} {target[1]}")

    @property
    def profile(self) -> Profile:
        return self._profile

    @profile.setter
    def profile(self, profile: Profile) -> None:
        self._ask(f"profile {profile.name}")
        self._profile = profile

    def sending(self, within: float = 0.25) -> int:
        return int(self._ask(f"sending {within}"))

    def start(self) -> ProxyProcess:
        return self

    def stop(self) -> None:
        if self._child.stdin:
            self._child.stdin.close()  # serve() ends at the end of its input
        try:
            self._child.wait(10)
        except subprocess.TimeoutExpired:
            self._child.kill()
            self._child.wait()
        if self._child.stdout:
            self._child.stdout.close()

    def __enter__(self) -> ProxyProcess:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def serve(target_host: str, target_port: int, profile: Profile) -> None:
    """The child's side of ProxyProcess: the proxy in a thread, commands on stdin."""
    with ShapingProxy(target_host, target_port, profile) as proxy:
        print(proxy.port, flush=True)
        for line in sys.stdin:
            command, *arguments = line.split()
            if command == "target":
                if arguments:
                    proxy.target = (arguments[0], int(arguments[1]))
                print(*proxy.target, flush=True)
            elif command == "profile":
                proxy.profile = PROFILES[arguments[0]]
                print("ok", flush=True)
            elif command == "sending":
                print(proxy.sending(float(arguments[0])), flush=True)


# --- The proxy's own ceiling --------------------------------------------------------------

SINK_AND_PUSH = r"""
import socket, sys, threading, time
size, streams, port = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
sink = socket.socket(); sink.bind(("127.0.0.1", port)); sink.listen(64)
print("ready", flush=True)
got = [0] * streams
def drain(i):
    conn, _ = sink.accept()
    while chunk := conn.recv(1 << 20):
        got[i] += len(chunk)
    conn.close()
sinks = [threading.Thread(target=drain, args=(i,)) for i in range(streams)]
[t.start() for t in sinks]
input()  # the proxy is listening: push through it
proxy = int(sys.argv[4]) if len(sys.argv) > 4 else port
block = b"\0" * (1 << 20)
def push():
    out = socket.create_connection(("127.0.0.1", proxy))
    for _ in range(size // streams // len(block)):
        out.sendall(block)
    out.shutdown(socket.SHUT_WR); out.recv(1); out.close()
start = time.perf_counter()
pushers = [threading.Thread(target=push) for _ in range(streams)]
[t.start() for t in pushers]; [t.join() for t in sinks]
print(sum(got), time.perf_counter() - start, flush=True)
"""


def capacity(size: int = 1024 * 2**20, streams: int = 1, profile: Profile = NEAR) -> float:
    """MB/s the proxy (in its own process, as bench/network.py runs it) moves from a pusher to
    a sink on this machine (no bucket): unshaped, its own ceiling; shaped, a check that the
    profile's rates hold."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        sink_port = probe.getsockname()[1]
    with ProxyProcess("127.0.0.1", sink_port, profile) as proxy:
        child = subprocess.Popen(
            [
                sys.executable,
                "-c",
                SINK_AND_PUSH,
                *map(str, (size, streams, sink_port, proxy.port)),
            ],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert child.stdin and child.stdout
        child.stdout.readline()  # ready
        # The sink listens on sink_port; the pusher sends to the proxy, which forwards there.
        child.stdin.write("\n")
        child.stdin.close()
        line = child.stdout.readline()
        child.wait(120)
    received, seconds = line.split()
    return int(received) / MB / float(seconds)


def main() -> int:
    if sys.argv[1:2] == ["serve"]:  # ProxyProcess's child
        host, port, name = sys.argv[2:5]
        serve(host, int(port), PROFILES[name])
        return 0
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("what", choices=["capacity"])
    parser.add_argument("--streams", type=int, default=1)
    parser.add_argument("--profile", choices=PROFILES, default="near")
    parser.add_argument("--mib", type=int, default=1024)
    args = parser.parse_args()
    profile = PROFILES[args.profile]
    speed = capacity(args.mib * 2**20, args.streams, profile)
    print(f"{speed:.1f} MB/s through the proxy ({profile.name}: {profile.describe()})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
