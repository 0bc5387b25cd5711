"""Keystone figures: password logins, token validation, a list call."""

from __future__ import annotations

import requests

from minicloud.bench.harness import BenchCloud, rate, timed


def password_auth(user: str, password: str, project: str) -> dict:
    return {"auth": {"identity": {"methods": ["password"], "password": {"user": {
        "name": user, "domain": {"name": "Default"}, "password": password}}},
        "scope": {"project": {"name": project, "domain": {"name": "Default"}}}}}


def run(cloud: BenchCloud) -> None:
    tokens_url = cloud.url("identity", "/v3/auth/tokens")
    body = password_auth("admin", cloud.config.admin_password, "admin")

    def issue(session=cloud.http) -> str:
        response = session.post(tokens_url, json=body, timeout=30)
        response.raise_for_status()
        return response.headers["X-Subject-Token"]

    issue()  # warm up
    cloud.report_latency("token issue (password)", timed(issue, 100), "<= 60 ms")
    sessions = {}

    def issue_in_thread():
        import threading
        session = sessions.setdefault(threading.get_ident(), requests.Session())
        issue(session)

    cloud.report("token issue (password), 1 client", rate(issue, 50, 1), "/s")
    cloud.report("token issue (password), 4 clients", rate(issue_in_thread, 100, 4), "/s")

    token = issue()
    headers = {"X-Auth-Token": token, "X-Subject-Token": token}
    cloud.report_latency("token validate (GET /v3/auth/tokens)", timed(
        lambda: cloud.http.get(tokens_url, headers=headers, timeout=10).raise_for_status(), 300),
        "<= 3 ms")
    projects_url = cloud.url("identity", "/v3/projects")
    cloud.report_latency("GET /v3/projects", timed(
        lambda: cloud.http.get(projects_url, headers={"X-Auth-Token": token},
                               timeout=10).raise_for_status(), 300), "<= 5 ms")
