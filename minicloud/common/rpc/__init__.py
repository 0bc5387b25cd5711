"""RPC between services: call, cast and fanout over the memory bus or RabbitMQ.

This is how work leaves the HTTP path: nova-api casts to the conductor, the conductor calls
the scheduler and casts to a compute node, neutron-server fans out to its agents. (The
role of oslo.messaging in OpenStack.)

    transport = rpc.get_transport("memory://")   # or "rabbit://guest:guest@127.0.0.1:5672/"
    server = rpc.RPCServer(transport, "compute", "compute1", [ComputeManager()],
                           service="nova-compute", tracer=tracer).start()
    client = rpc.RPCClient(transport, "compute", service="nova-api", tracer=tracer)
    client.prepare(server="compute1").call(ctx, "get_console", instance_id=...)
    client.cast(ctx, "build_instance", instance_id=...)   # one compute of the topic
    client.fanout(ctx, "refresh_cache")                   # every compute

Modules: envelope (the JSON message and the errors), transport (the seam and
get_transport), memory and amqp (+ amqp_link) the two transports, client and server.
"""

from .client import RPCClient
from .envelope import Envelope, NoSuchMethod, RemoteError, RPCError, RPCTimeout
from .server import RPCServer
from .transport import Listener, Transport, get_transport

__all__ = ["Envelope", "Listener", "NoSuchMethod", "RPCClient", "RPCError", "RPCServer",
           "RPCTimeout", "RemoteError", "Transport", "get_transport"]
