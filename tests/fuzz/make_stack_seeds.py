#!/usr/bin/env python3
"""Writes the seed inputs of fuzz_stack_frames and fuzz_tap_offload (tests/fuzz/corpus/) and
the regression inputs of the lwIP patches (tests/fuzz/regressions/stack_frames/). The record
format is described at the top of stack_frames.cpp and tap_offload.cpp."""
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))
PEER_MAC = bytes([0x90, 0x13, 10, 20, 30, 40])
PROXY_MAC = bytes([0xA0, 0x13, 10, 20, 30, 41])
PEER, PROXY = bytes([10, 20, 30, 40]), bytes([10, 20, 30, 41])
FIN, SYN, RST, PSH, ACK = 1, 2, 4, 8, 16
FIX = 1 | 2 | 8  # IPv4 checksum, relative ack, checksum trusted
OUTBOUND = 16


def ipv4(proto, payload, ident=0, frag=0):
    header = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(payload), ident, frag, 64, proto, 0,
                         PEER, PROXY)
    return PROXY_MAC + PEER_MAC + b"\x08\x00" + header + payload


def tcp(flags, seq, ack=0, data=b"", options=b"", sport=40000, dport=7000, window=0xFFFF):
    header = struct.pack("!HHIIBBHHH", sport, dport, seq, ack, ((20 + len(options)) // 4) << 4,
                         flags, window, 0, 0)
    return ipv4(6, header + options + data)


def udp(data, sport=5353, dport=7001):
    return ipv4(17, struct.pack("!HHHH", sport, dport, 8 + len(data), 0) + data)


def frame(f, fix=FIX):
    return b"\x00" + struct.pack("!H", len(f)) + bytes([fix]) + f


def chain(f, cuts, fix=FIX):
    return b"\x01" + struct.pack("!H", len(f)) + bytes([fix, cuts]) + f


def wait(ticks):
    return bytes([2, ticks])


def act(op):
    return bytes([3, op])


def handshake(seq=1000, options=b"\x02\x04\x05\xb4\x01\x03\x03\x07\x04\x02\x01\x01"):
    return frame(tcp(SYN, seq - 1, options=options)) + frame(tcp(ACK, seq))


def write(directory, name, data):
    os.makedirs(directory, exist_ok=True)
    with open(os.path.join(directory, name), "wb") as out:
        out.write(data)


corpus = os.path.join(HERE, "corpus", "stack_frames")
regressions = os.path.join(HERE, "regressions", "stack_frames")
s = 1000
write(corpus, "handshake-data-fin", handshake() + frame(tcp(ACK | PSH, s, data=b"x" * 100)) +
      act(0) + act(1) + frame(tcp(ACK | FIN, s + 100)) + wait(5) + frame(tcp(ACK, s + 101)) +
      wait(100))
write(corpus, "handshake-ooseq-fill", handshake() +
      b"".join(frame(tcp(ACK, s + 10 + 20 * i, data=b"o" * 10)) for i in range(20)) +
      frame(tcp(ACK, s, data=b"i" * 10)) + frame(tcp(ACK, s + 20, data=b"j" * 10)) + act(0) +
      frame(tcp(ACK | FIN, s + 410)) + wait(3))
write(corpus, "handshake-chained", handshake() +
      chain(tcp(ACK | PSH, s, data=b"y" * 300), 0x35) +
      chain(tcp(ACK, s + 300, data=b"z" * 50, options=b"\x01\x01\x08\x0a" + b"\0" * 8), 0x46) +
      frame(tcp(RST | ACK, s + 350)))
write(corpus, "outbound-synack", frame(tcp(SYN | ACK, 5000, sport=80, dport=0), FIX | OUTBOUND) +
      frame(tcp(ACK | PSH, 5001, data=b"hello", sport=80, dport=0), FIX | OUTBOUND) + act(1) +
      act(9) + act(2) + wait(10) +
      frame(tcp(ACK | FIN, 5006, sport=80, dport=0), FIX | OUTBOUND) + wait(200))
write(corpus, "udp-and-fragments", frame(udp(b"ping")) + act(0x85) +
      frame(ipv4(17, struct.pack("!HHHH", 5353, 7001, 8 + 2000, 0) + b"f" * 1192, 7, 0x2000)) +
      frame(ipv4(17, b"g" * 808, 7, 1200 // 8)) + wait(40))
write(corpus, "arp-and-icmp", frame(PROXY_MAC + PEER_MAC + b"\x08\x06" + struct.pack(
    "!HHBBH6s4s6s4s", 1, 0x0800, 6, 4, 2, PEER_MAC, PEER, PROXY_MAC, PROXY), 0) +
      frame(ipv4(1, b"\x08\x00\x00\x00\x00\x01\x00\x01" + b"p" * 32)))
write(corpus, "timers", handshake() + wait(255) + wait(255) + act(4))

# Patch 0008 (3d896ba0): the options end with the MSS option's kind byte, and the chain cuts
# right after the fixed TCP header, so the options are a 4-byte pbuf of their own.
write(regressions, "option-kind-at-end-of-chained-options",
      chain(tcp(SYN, 999, options=b"\x01\x01\x01\x02"), 0x05) +
      chain(tcp(SYN, 1999, options=b"\x01\x01\x01\x03", sport=40001), 0x05) +
      chain(tcp(SYN, 2999, options=b"\x01\x01\x01\x63", sport=40002), 0x05))
# Patch 0007 (574bd6e5): 10 bytes at the right edge of the 65 535-byte window, then a larger
# copy at the same sequence number that overruns it; then the window fills in order.
edge = s + 0xFFFF
fill = b""
seq = s
while seq < edge - 10:
    n = min(1180, edge - 10 - seq)
    fill += frame(tcp(ACK, seq, data=b"w" * n))
    seq += n
write(regressions, "ooseq-replacement-overruns-window",
      handshake(options=b"") + frame(tcp(ACK, edge - 10, data=b"a" * 10)) +
      frame(tcp(ACK | FIN, edge - 10, data=b"b" * 100)) + fill)

# tap_offload: device reads (virtio-net header + frame) and frames lwIP sends.
tap = os.path.join(HERE, "corpus", "tap_offload")
vnet_plain = struct.pack("<BBHHHH", 0, 0, 0, 0, 0, 0)
vnet_csum = struct.pack("<BBHHHH", 1, 0, 54, 0, 34, 16)
vnet_gso = struct.pack("<BBHHHH", 1, 1, 54, 1180, 34, 16)


def read(f, header):
    data = header + f
    big = 0x80 if len(data) > 0xFFFF else 0
    return bytes([0 | big]) + struct.pack("!H", len(data) & 0xFFFF) + data


def out(f):
    return b"\x01" + struct.pack("!H", len(f)) + f


def out_tcp(seq, n, flags=ACK):
    f = bytearray(tcp(flags, seq, 1, b"d" * n, sport=7000, dport=40000))
    f[0:6], f[6:12] = PEER_MAC, PROXY_MAC
    f[26:30], f[30:34] = PROXY, PEER
    return bytes(f)


write(tap, "reads", read(tcp(SYN, 999), vnet_plain) + read(tcp(SYN, 999), vnet_csum) +
      read(udp(b"q" * 100), vnet_csum))
big = bytearray(tcp(SYN, 999, data=b"Z" * (0xFFFF - 40)))
write(tap, "super-read", read(bytes(big), vnet_gso) + read(bytes(big) + b"\0", vnet_gso))
write(tap, "coalesce", b"".join(out(out_tcp(1 + 1180 * i, 1180)) for i in range(8)) +
      out(out_tcp(1 + 1180 * 8, 100, ACK | PSH)) + b"\x02" + out(out_tcp(20000, 0)) +
      out(udp(b"u")) + b"\x02")
