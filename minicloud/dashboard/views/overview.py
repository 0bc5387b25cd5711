"""Project > Compute > Overview: the quota usage bars (Nova's /limits, Cinder's /limits,
Neutron's quota details), as Horizon's limit summary draws them."""

from __future__ import annotations

from minicloud.dashboard import client
from minicloud.dashboard.views.base import Panel


def _bar(label: str, used, limit) -> dict:
    used, limit = int(used or 0), int(limit if limit is not None else -1)
    return {"label": label, "used": used, "limit": limit,
            "percent": 0 if limit <= 0 else min(100, round(100 * used / limit))}


class Overview(Panel):
    def on_get(self, req, resp):
        api, bars = self.api(req), []
        try:
            nova = api.get("compute", "/limits")["limits"]["absolute"]
            bars += [_bar("Instances", nova.get("totalInstancesUsed"), nova.get("maxTotalInstances")),
                     _bar("VCPUs", nova.get("totalCoresUsed"), nova.get("maxTotalCores")),
                     _bar("RAM (MB)", nova.get("totalRAMUsed"), nova.get("maxTotalRAMSize"))]
        except client.ApiError as exc:
            req.context.errors.append(("error", f"Unable to retrieve compute limits: {exc.message}"))
        try:
            cinder = api.get("block-storage", "/limits")["limits"]["absolute"]
            bars += [_bar("Volumes", cinder.get("totalVolumesUsed"), cinder.get("maxTotalVolumes")),
                     _bar("Volume Storage (GB)", cinder.get("totalGigabytesUsed"),
                          cinder.get("maxTotalVolumeGigabytes"))]
        except client.ApiError as exc:
            req.context.errors.append(("error", f"Unable to retrieve volume limits: {exc.message}"))
        try:
            quota = api.get("network", f"/v2.0/quotas/{api.project_id}/details")["quota"]
            for key, label in (("floatingip", "Floating IPs"), ("security_group", "Security Groups"),
                               ("network", "Networks"), ("router", "Routers")):
                if key in quota:
                    bars.append(_bar(label, quota[key].get("used"), quota[key].get("limit")))
        except client.ApiError as exc:
            req.context.errors.append(("error", f"Unable to retrieve network quotas: {exc.message}"))
        self.render(req, resp, "overview.html", title="Overview", bars=bars)
