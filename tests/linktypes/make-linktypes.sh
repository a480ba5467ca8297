#!/usr/bin/env bash
# make-linktypes.sh: one tiny capture per link type or encapsulation that dnslens reads
# beyond Ethernet, each holding real DNS bytes re-encapsulated, with tshark's reading beside it.
#
# The DNS query/response pairs are the IP packets of samples/dns.pcap (made by
# samples/make-samples.sh with BIND and dig): frames 1-2 (A www.lab.example over IPv4) and
# frames 27-28 (AAAA over IPv6, ::1). Only the headers in front of the IP packet are
# written here, field by field as each format defines them; the IP, UDP and DNS bytes and
# the timestamps are the sample's own.
#
# Usage: tests/linktypes/make-linktypes.sh [OUTDIR]   (default: this directory)
# Needs python3 and tshark; no root, no network. Rewrites X.pcap and X.pcap.tshark.tsv.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
OUT=${1:-$HERE}
SRC=$HERE/../../samples/dns.pcap
mkdir -p "$OUT"

# The field list and command of samples/make-samples.sh (and /work/shared/corpus/README.md).
TSHARK_FIELDS=(frame.number frame.time_epoch ip.src ipv6.src ip.dst ipv6.dst udp.srcport
  udp.dstport tcp.srcport tcp.dstport dns.id dns.flags.response dns.flags.opcode
  dns.flags.rcode dns.flags.truncated dns.flags.recdesired dns.count.queries
  dns.count.answers dns.count.auth_rr dns.count.add_rr dns.qry.name dns.qry.type
  dns.resp.name dns.resp.type dns.resp.ttl dns.a dns.aaaa dns.cname dns.ns
  dns.mx.mail_exchange dns.txt dns.response_in dns.response_to dns.time
  dns.retransmission _ws.malformed _ws.expert)

TMP=$(mktemp -d /tmp/dnslens-linktypes.XXXXXX)
trap 'rm -rf "$TMP"' EXIT
# tshark's default preferences, whatever the caller's profile says.
export WIRESHARK_CONFIG_DIR=$TMP/wireshark
mkdir -p "$WIRESHARK_CONFIG_DIR"

python3 - "$SRC" "$OUT" <<'PY'
import struct, sys

src, out = open(sys.argv[1], "rb").read(), sys.argv[2]
assert src[:4] == b"\xd4\xc3\xb2\xa1", "samples/dns.pcap: expected a little-endian pcap"
records, at = [], 24
while at + 16 <= len(src):
    ts, tus, incl, orig = struct.unpack("<IIII", src[at:at + 16])
    records.append((ts, tus, src[at + 16:at + 16 + incl]))
    at += 16 + incl

def ip_of(n):
    """Frame n of samples/dns.pcap (Ethernet) without its 14-byte Ethernet header."""
    ts, tus, frame = records[n - 1]
    assert frame[12:14] in (b"\x08\x00", b"\x86\xdd"), n
    return ts, tus, frame[14:]

V4 = [ip_of(1), ip_of(2)]    # A www.lab.example, 127.0.0.1 -> 127.0.0.1
V6 = [ip_of(27), ip_of(28)]  # AAAA www.lab.example, ::1 -> ::1

def is_v6(ip):
    return ip[0] >> 4 == 6

def write(name, link, frames):
    data = bytearray(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 262144, link))
    for ts, tus, f in frames:
        data += struct.pack("<IIII", ts, tus, len(f), len(f)) + f
    open(f"{out}/{name}", "wb").write(data)

def each(head, pkts=V4 + V6):
    """Every packet behind the header `head(ip)` builds."""
    return [(ts, tus, head(ip) + ip) for ts, tus, ip in pkts]

ETHER = {False: b"\x08\x00", True: b"\x86\xdd"}

# Cisco HDLC (104): address 0x0f (unicast), control 0, protocol = ether type.
write("chdlc.pcap", 104, each(lambda ip: b"\x0f\x00" + ETHER[is_v6(ip)]))

# OpenBSD pflog (117): struct pfloghdr, 61 bytes up to its pad as the length byte says,
# padded to 64 (BPF_WORDALIGN); address family 2 (AF_INET) or 24 (OpenBSD's AF_INET6).
def pflog(ip):
    h = bytes([61, 24 if is_v6(ip) else 2, 0, 0])        # length, af, action pass, reason match
    h += b"pflog0".ljust(16, b"\0") + b"".ljust(16, b"\0")  # ifname, ruleset
    h += struct.pack("!IIIiIi", 3, 0xFFFFFFFF, 0xFFFFFFFF, -1, 0, 0)  # rule, subrule, uid, pid, rule uid, rule pid
    h += bytes([1]) + b"\0\0\0"                          # dir in, pad
    return h
write("pflog.pcap", 117, each(pflog))

# OpenBSD enc (109): af, spi, flags, in the writer's (here little-endian) byte order.
write("enc.pcap", 109, each(lambda ip: struct.pack("<III", 24 if is_v6(ip) else 2, 0x1001, 0x0C00)))

# Solaris ipnet (226): version 1, family 2 (AF_INET) or 26 (Solaris AF_INET6), hook,
# packet length, interface index, group interface index, source and destination zones.
write("ipnet.pcap", 226, each(lambda ip: struct.pack("!BBHIIIII", 1, 26 if is_v6(ip) else 2, 2, len(ip), 1, 0, 0, 0)))

# An 802.11 data frame To DS (station -> AP) or From DS (AP -> station) with LLC/SNAP.
STA, AP, SRV = bytes.fromhex("020000000001"), bytes.fromhex("0200000a0001"), bytes.fromhex("020000000002")
def wlan(ip, i=[0]):
    i[0] += 1
    query = ip[9] == 17 and ip[22:24] == b"\x00\x35" if not is_v6(ip) else ip[42:44] == b"\x00\x35"
    fc, addrs = (b"\x08\x01", AP + STA + SRV) if query else (b"\x08\x02", STA + AP + SRV)
    return fc + b"\0\0" + addrs + struct.pack("<H", i[0] << 4) + b"\xaa\xaa\x03\0\0\0" + ETHER[is_v6(ip)]

# PPI (192): version 0, flags 0, length, DLT 105 (802.11); one 802.11-Common field (type 2,
# 20 bytes: TSF timer, flags (no FCS), rate, channel frequency and flags, FHSS, signal, noise).
def ppi(ip):
    common = struct.pack("<HH", 2, 20) + struct.pack("<QHHHHBBbb", 0, 0, 22, 2437, 0x00A0, 0, 0, -40, -90)
    return struct.pack("<BBHI", 0, 0, 8 + len(common), 105) + common + wlan(ip)
write("ppi.pcap", 192, each(ppi))

# Prism monitor header (119): msgcode 0x44, msglen 144, device name, ten 12-byte DID items.
def prism(ip):
    h = struct.pack("<II", 0x44, 144) + b"wlan0".ljust(16, b"\0")
    for n, v in enumerate([0, 0, 6, 0, 0, 60, 10, 22, 0, len(ip) + 34], 1):
        h += struct.pack("<IHHI", (n << 16) | 0x44, 0, 4, v)
    assert len(h) == 144
    return h + wlan(ip)
write("prism.pcap", 119, each(prism))

# AVS WLAN capture header (163): magic+version 0x80211001, header length 64, big-endian fields.
def avs(ip):
    # MAC time, host time, PHY type (OFDM 802.11g), channel, data rate (100 kb/s units),
    # antenna, priority, SSI type (dBm), signal, noise, preamble (long), encoding (OFDM).
    h = struct.pack("!II", 0x80211001, 64) + struct.pack("!QQIIIIIIiiII", 0, 0, 6, 6, 540, 0, 0, 2, -40, -90, 2, 3)
    assert len(h) == 64, len(h)
    return h + wlan(ip)
write("avs.pcap", 163, each(avs))

# MPLS (ether type 0x8847) over Ethernet: two labels (16, then 1000 with bottom of stack).
def mpls(ip):
    eth = bytes.fromhex("020000000002" "020000000001") + b"\x88\x47"
    return eth + struct.pack("!II", (16 << 12) | 64, (1000 << 12) | 0x100 | 64)
write("mpls.pcap", 1, each(mpls))

# Teredo (RFC 4380): the IPv6 packets in UDP port 3544 between a Teredo client
# (192.0.2.45:40000) and its relay (203.0.113.1:3544), over Ethernet and IPv4; the response
# carries an origin indication (RFC 4380 §5.1.1: port and address, each bit inverted).
def ipv4_udp(src, dst, sport, dport, payload):
    udp = struct.pack("!HHHH", sport, dport, 8 + len(payload), 0) + payload
    h = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), 1, 0x4000, 64, 17, 0, src, dst)
    s = sum(struct.unpack("!10H", h))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return h[:10] + struct.pack("!H", ~s & 0xFFFF) + h[12:] + udp
CLIENT, RELAY = bytes([192, 0, 2, 45]), bytes([203, 0, 113, 1])
ETH4 = bytes.fromhex("020000000002" "020000000001") + b"\x08\x00"
(qts, qus, q6), (rts, rus, r6) = V6
origin = b"\0\0" + struct.pack("!H", 40000 ^ 0xFFFF) + bytes(b ^ 0xFF for b in CLIENT)
write("teredo.pcap", 1, [
    (qts, qus, ETH4 + ipv4_udp(CLIENT, RELAY, 40000, 3544, q6)),
    (rts, rus, ETH4 + ipv4_udp(RELAY, CLIENT, 3544, 40000, origin + r6)),
])
PY

for f in chdlc pflog enc ipnet ppi prism avs mpls teredo; do
  args=()
  for x in "${TSHARK_FIELDS[@]}"; do args+=(-e "$x"); done
  tshark -2 -r "$OUT/$f.pcap" -Y 'dns || mdns || llmnr' -T fields -E header=y -E separator=/t \
    "${args[@]}" >"$OUT/$f.pcap.tshark.tsv" 2>"$TMP/tshark.err" || {
    echo "make-linktypes: tshark failed on $f.pcap: $(cat "$TMP/tshark.err")" >&2
    exit 1
  }
  printf '%s: tshark finds DNS in %d frames\n' "$f.pcap" $(($(wc -l <"$OUT/$f.pcap.tshark.tsv") - 1)) >&2
done
