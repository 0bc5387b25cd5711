"""The dashboard's one piece of state: its sessions, kept server-side, in memory.

The browser holds only an opaque session id (a cookie, HttpOnly, SameSite=Lax); the
Keystone token, the token's body (catalog, roles), the CSRF token and the messages to show
on the next page live here. A session lasts as long as its token (Keystone's `expires_at`);
a session before login (the login form's CSRF token) lasts ANONYMOUS_TTL. Horizon keeps
the same things in Django's session (its cache or database backend).

A restart of the controller forgets every session: users log in again.
"""

from __future__ import annotations

import collections
import dataclasses
import secrets
import threading
import time

ANONYMOUS_TTL = 3600.0
MAX_SESSIONS = 10000  # the oldest go first: anonymous visitors cannot fill the memory
RECENT_CALLS = 200  # request ids this session made, for its Request flow links


@dataclasses.dataclass
class Session:
    id: str
    csrf: str
    expires: float
    token: str | None = None
    access: dict | None = None  # the token's body, as Keystone returned it
    user: str = ""
    project: str = ""
    roles: tuple = ()
    messages: list = dataclasses.field(default_factory=list)  # (level, text) to show next
    pending_calls: list = dataclasses.field(default_factory=list)  # an action's, for the next page
    recent_ids: collections.deque = dataclasses.field(
        default_factory=lambda: collections.deque(maxlen=RECENT_CALLS))

    @property
    def logged_in(self) -> bool:
        return self.token is not None

    @property
    def is_admin(self) -> bool:
        return "admin" in self.roles

    def flash(self, level: str, text: str) -> None:
        self.messages.append((level, text))

    def take_messages(self) -> list:
        taken, self.messages = self.messages, []
        return taken


class SessionStore:
    def __init__(self, clock=time.time):
        self.clock = clock
        self._sessions: collections.OrderedDict[str, Session] = collections.OrderedDict()
        self._lock = threading.Lock()

    def new(self) -> Session:
        """An anonymous session (a login form's)."""
        session = Session(id=secrets.token_urlsafe(32), csrf=secrets.token_urlsafe(32),
                          expires=self.clock() + ANONYMOUS_TTL)
        with self._lock:
            self._sessions[session.id] = session
            while len(self._sessions) > MAX_SESSIONS:
                self._sessions.popitem(last=False)
        return session

    def get(self, session_id: str | None) -> Session | None:
        """The live session of that id, or None (unknown or expired: then forgotten)."""
        if not session_id:
            return None
        with self._lock:
            session = self._sessions.get(session_id)
            if session is not None and session.expires <= self.clock():
                del self._sessions[session_id]
                return None
            return session

    def log_in(self, old: Session, token: str, access: dict, expires: float) -> Session:
        """A new session (new id and CSRF token: no fixation) holding the token."""
        self.drop(old.id)
        session = self.new()
        token_body = access.get("token", {})
        session.token, session.access, session.expires = token, access, expires
        session.user = token_body.get("user", {}).get("name", "")
        session.project = token_body.get("project", {}).get("name", "")
        session.roles = tuple(r["name"] for r in token_body.get("roles", []))
        return session

    def drop(self, session_id: str) -> None:
        with self._lock:
            self._sessions.pop(session_id, None)

    def __len__(self) -> int:
        return len(self._sessions)
