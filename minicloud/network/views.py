"""How Neutron renders resources: the fields every resource has, list filtering by any
attribute (`?device_id=...&fields=id&fields=name`), and simple limit/marker paging."""

from __future__ import annotations

# Query parameters that are not attribute filters.
NOT_FILTERS = {"fields", "limit", "marker", "sort_key", "sort_dir", "page_reverse",
               "all_projects", "all_tenants", "verbose"}


def common(row: dict) -> dict:
    return {"id": row["id"], "name": row["name"], "project_id": row["project_id"],
            "tenant_id": row["project_id"], "description": row["description"],
            "created_at": row["created_at"], "updated_at": row["updated_at"],
            "revision_number": row["revision_number"]}


def _params(req) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for key, value in req.params.items():
        out[key] = value if isinstance(value, list) else [value]
    return out


def _matches(actual, wanted: str) -> bool:
    if isinstance(actual, bool):
        return wanted.lower() in (("true", "1") if actual else ("false", "0"))
    if actual is None:
        return wanted in ("", "None", "null")
    if isinstance(actual, list):
        if "=" in wanted:  # fixed_ips=ip_address=10.0.0.5 or fixed_ips=subnet_id=...
            key, _, value = wanted.partition("=")
            return any(isinstance(a, dict) and str(a.get(key)) == value for a in actual)
        return wanted in [str(a) for a in actual]
    return str(actual) == wanted


def select(req, items: list[dict]) -> list[dict]:
    """Filter by every attribute the query names (any value of a repeated one matches),
    then page with limit/marker, then keep only `fields` if asked."""
    params = _params(req)
    for key, wanted in params.items():
        if key in NOT_FILTERS:
            continue
        if key == "tenant_id":
            key = "project_id"
        items = [i for i in items if key not in i or any(_matches(i[key], w) for w in wanted)]
    marker = req.get_param("marker")
    if marker:
        ids = [i["id"] for i in items]
        items = items[ids.index(marker) + 1:] if marker in ids else []
    limit = req.get_param_as_int("limit")
    if limit:
        items = items[:limit]
    fields = [f for f in params.get("fields", []) if f]
    if fields:
        items = [{k: v for k, v in i.items() if k in fields} for i in items]
    return items


def only_fields(req, item: dict) -> dict:
    fields = [f for f in _params(req).get("fields", []) if f]
    return {k: v for k, v in item.items() if k in fields} if fields else item


def query_bool(value: str | None) -> bool:
    return value is not None and value.strip().lower() in ("1", "true", "yes", "on")
