"""Reading what `tcpdump -w` (and `minicloud capture -w`) writes, with the standard library:
the frames of a classic pcap file, the VXLAN packets among them and the pings inside.
The labs' checkpoints use it to grade a learner's capture."""

from __future__ import annotations

import ipaddress
import struct

VXLAN_PORT = 4789  # IANA's, and Linux's default for a VXLAN device made with `dstport 4789`
_ORDER = {b"\xd4\xc3\xb2\xa1": "<", b"\x4d\x3c\xb2\xa1": "<",  # microsecond, nanosecond
          b"\xa1\xb2\xc3\xd4": ">", b"\xa1\xb2\x3c\x4d": ">"}
_ETHERNET = 1  # the file's link type


def packets(data: bytes) -> list[bytes]:
    """The frames of a pcap file of an Ethernet interface; ValueError saying why not."""
    if len(data) < 24:
        raise ValueError("it is too short to be a capture")
    order = _ORDER.get(data[:4])
    if order is None:
        raise ValueError("it is not a pcap file (did you give `minicloud capture` its -w?)")
    if struct.unpack(order + "I", data[20:24])[0] != _ETHERNET:
        raise ValueError("it is not a capture of an Ethernet interface")
    frames, at = [], 24
    while at + 16 <= len(data):
        length = struct.unpack(order + "I", data[at + 8:at + 12])[0]
        frames.append(data[at + 16:at + 16 + length])
        at += 16 + length
    return frames


def ipv4(frame: bytes, at: int):
    """(source, destination, protocol, payload) of the IPv4 packet at offset `at`, or None."""
    if len(frame) < at + 20 or frame[at] >> 4 != 4:
        return None
    header = (frame[at] & 0x0F) * 4
    source, destination = (str(ipaddress.IPv4Address(frame[at + o:at + o + 4]))
                           for o in (12, 16))
    return source, destination, frame[at + 9], frame[at + header:]


def vxlan(frame: bytes):
    """(outer source, outer destination, VNI, inner frame) of a VXLAN packet, or None."""
    if frame[12:14] != b"\x08\x00":
        return None
    outer = ipv4(frame, 14)
    if outer is None or outer[2] != 17 or len(outer[3]) < 16:
        return None
    udp = outer[3]
    if struct.unpack("!H", udp[2:4])[0] != VXLAN_PORT:
        return None
    return outer[0], outer[1], struct.unpack("!I", udp[12:16])[0] >> 8, udp[16:]


def ping(inner: bytes):
    """(source, destination) of an ICMP echo request or reply in an Ethernet frame, or None."""
    if inner[12:14] != b"\x08\x00":
        return None
    packet = ipv4(inner, 14)
    if packet is None or packet[2] != 1 or not packet[3] or packet[3][0] not in (0, 8):
        return None
    return packet[0], packet[1]
