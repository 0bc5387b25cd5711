"""Shared plumbing of every service (the role of OpenStack's oslo libraries).

wsgi: app factory, errors, request ids.  context: who is calling.  auth: token middleware.
policy: role rules.  validation: JSON bodies.  db: SQLite per service.  trace: spans.
rpc: call/cast/fanout over the memory bus or RabbitMQ.
"""
