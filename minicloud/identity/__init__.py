"""Keystone (identity v3): who you are, which projects you may work in, with which roles,
and where every service lives (the catalog).

A learner meets it first: every `openstack` command starts with `POST /v3/auth/tokens`.
The other services meet it on every request they receive: they ask Keystone whether the
caller's token is valid (`GET /v3/auth/tokens`, see minicloud/common/keystone.py).

Map, in the order a request passes the files:
- api.py: the route table and `create_app(keystone, tracer, validator)`; the auth
  middleware hands the X-Auth-Token to the validator (Keystone.validate, below).
- core.py: `Keystone`, the facade every resource module takes: config, store, the token
  service and its Fernet keys, the scrypt cost, the clock; the look-ups that answer 404
  and the error wording the modules share.
- tokens.py: Fernet tokens (issue, validate, revoke); passwords.py: scrypt hashes.
- schemas.py: request bodies, validated first thing in each responder that reads one.
- the resource modules: auth.py (/v3/auth: tokens, catalog, scopes), domains.py,
  projects.py, users.py, groups.py, roles.py, implied_roles.py, assignments.py, catalog.py
  (regions, services, endpoints).
- store.py: all of Keystone's SQL, one named method per query.
- views.py: links, collections and the other pieces of response bodies.
bootstrap.py runs once per start, before any request: the default domain, roles, users,
projects and the catalog.

LIMITATIONS compared with real Keystone:
- SQL identity only: no LDAP, federation, application credentials, trusts, OAuth, TOTP or
  multi-factor rules; no domain-specific configuration or domain-specific roles.
- No hierarchical project features (inherited role assignments, cascade delete of trees).
- Fernet keys are created once and never rotated; no key repository commands.
- Passwords are hashed with scrypt (n=2**14, r=8, p=1) through `cryptography`; no password
  expiry, history or lockout rules.
- User options are validated, stored and shown but never acted upon; the `immutable`
  option of projects, domains and roles is refused (400); `federated` links are refused
  (no identity providers).
- Policy is three fixed rules (admin > member > reader), not oslo.policy files.
- The `default` domain cannot be disabled or deleted (so a learner cannot lock the admin
  out); deleting a disabled domain deletes its projects, users and groups.
- No limits/registered-limits APIs, no credentials API, no OS-EP-FILTER or OS-REVOKE
  listing; revocation events are kept internally, for one token lifetime.
"""
