"""Cinder figures: how long `volume create` takes until the volume is `available` (the
cinder-api -> cinder-scheduler -> cinder-volume -> report path), for empty volumes and
for volumes written from the cirros image, polled as a client polls `volume show`."""

from __future__ import annotations

import time

from minicloud.bench.network import _token

VOLUMES = 30


def _create_until_available(cloud, base: str, headers: dict, spec: dict) -> tuple[float, str]:
    t0 = time.perf_counter()
    response = cloud.http.post(f"{base}/volumes", headers=headers, timeout=30,
                               json={"volume": {"size": 1, **spec}})
    response.raise_for_status()
    volume_id = response.json()["volume"]["id"]
    while True:
        status = cloud.http.get(f"{base}/volumes/{volume_id}", headers=headers,
                                timeout=30).json()["volume"]["status"]
        if status in ("available", "error"):
            break
        time.sleep(0.001)
    if status != "available":
        raise RuntimeError(f"volume {volume_id} went to {status}")
    return (time.perf_counter() - t0) * 1000, volume_id


def _image_id(cloud, token: str) -> str:
    images = cloud.http.get(cloud.url("image", "/v2/images?name=cirros"), timeout=30,
                            headers={"X-Auth-Token": token}).json()["images"]
    return images[0]["id"]


def run(cloud) -> None:
    token = _token(cloud)
    headers = {"X-Auth-Token": token, "OpenStack-API-Version": "volume 3.70"}
    base = cloud.url("volume", "/v3")
    for label, spec in (("volume create -> available", {}),
                        ("volume create --image cirros -> available",
                         {"imageRef": _image_id(cloud, token)})):
        samples = []
        for _ in range(VOLUMES // 3 if spec else VOLUMES):
            ms, volume_id = _create_until_available(cloud, base, headers, spec)
            samples.append(ms)
            _delete(cloud, base, headers, volume_id)  # the quota allows 10 volumes
        cloud.report_latency(label, samples, "<= 100 ms" if not spec else "")


def _delete(cloud, base: str, headers: dict, volume_id: str) -> None:
    cloud.http.delete(f"{base}/volumes/{volume_id}", headers=headers, timeout=30)
    while cloud.http.get(f"{base}/volumes/{volume_id}", headers=headers,
                         timeout=30).status_code != 404:
        time.sleep(0.001)
