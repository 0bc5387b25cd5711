"""Glance figures: upload and download throughput of a 200 MB image.

The image is a temporary file written in 1 MiB chunks and streamed from disk by the
client (requests sends a file object without reading it all), so neither side holds it
in memory. Throughput counts the whole call: the server receives, hashes (md5 and
sha512) and writes the bytes, then sends them back. Each figure is the median of three
rounds (the machine may be busy with other work).
"""

from __future__ import annotations

import hashlib
import os
import statistics
import tempfile
import time

from minicloud.bench.harness import BenchCloud
from minicloud.bench.identity import password_auth

SIZE_MB = 200
ROUNDS = 3
MiB = 1024 * 1024


def _make_file(size_mb: int) -> str:
    block = hashlib.shake_256(b"minicloud bench").digest(MiB)
    fd, path = tempfile.mkstemp(prefix="minicloud-bench-", suffix=".img")
    with os.fdopen(fd, "wb") as out:
        for i in range(size_mb):
            out.write(block[i % 251:] + block[:i % 251])  # no two chunks alike
        out.flush()
        os.fsync(out.fileno())  # its write-back must not compete with the timed calls
    return path


def _round(cloud: BenchCloud, headers: dict, path: str) -> tuple[float, float]:
    """Seconds to upload, then to download, one image."""
    images = cloud.url("image", "/v2/images")
    image = cloud.http.post(images, json={"name": "bench", "disk_format": "raw",
                                          "container_format": "bare"},
                            headers=headers, timeout=30).json()
    file_url = f"{images}/{image['id']}/file"
    try:
        t0 = time.perf_counter()
        with open(path, "rb") as body:
            cloud.http.put(file_url, data=body, timeout=600, headers={
                **headers, "Content-Type": "application/octet-stream"}).raise_for_status()
        upload = time.perf_counter() - t0
        t0, received = time.perf_counter(), 0
        with cloud.http.get(file_url, headers=headers, stream=True, timeout=600) as download:
            download.raise_for_status()
            for chunk in download.iter_content(MiB):
                received += len(chunk)
        assert received == SIZE_MB * MiB, f"downloaded {received} bytes"
        return upload, time.perf_counter() - t0
    finally:
        cloud.http.delete(f"{images}/{image['id']}", headers=headers, timeout=30)


def run(cloud: BenchCloud) -> None:
    response = cloud.http.post(cloud.url("identity", "/v3/auth/tokens"), timeout=30,
                               json=password_auth("admin", cloud.config.admin_password, "admin"))
    response.raise_for_status()
    headers = {"X-Auth-Token": response.headers["X-Subject-Token"]}
    path = _make_file(SIZE_MB)
    try:
        rounds = [_round(cloud, headers, path) for _ in range(ROUNDS)]
    finally:
        os.unlink(path)
    megabytes = SIZE_MB * MiB / 1e6
    upload = statistics.median(u for u, _ in rounds)
    download = statistics.median(d for _, d in rounds)
    cloud.report(f"image upload ({SIZE_MB} MiB, PUT .../file)", megabytes / upload, "MB/s",
                 ">= 150 MB/s")
    cloud.report(f"image download ({SIZE_MB} MiB, GET .../file)", megabytes / download,
                 "MB/s", ">= 150 MB/s")
