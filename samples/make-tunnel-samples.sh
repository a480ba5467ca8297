#!/usr/bin/env bash
# make-tunnel-samples.sh: (re)create dnslens's tunnel and QinQ sample captures: dig's queries
# reach BIND `named` through tunnels, and tcpdump records the OUTER interface (a veth), so
# every frame carries the encapsulation.
#
# Two network namespaces (dnslens-tsrv, dnslens-tcli) joined by a veth pair, 10.98.0.1 <->
# 10.98.0.2 (the "underlay"). Over it, one device per encapsulation, each with its own inner
# /30 (server .1, client .2):
#
#   gnv0   Geneve, VNI 5, UDP 6081                  10.61.0.0/30   Ethernet inside
#   vxl0   VXLAN, VNI 42, UDP 4789 (kernel vxlan)   10.42.0.0/30   Ethernet inside
#   gtap0  GRE, protocol 0x6558 (gretap)            10.47.0.0/30   Ethernet inside
#   gre1   GRE, protocol 0x0800                     10.48.0.0/30   IPv4 inside
#   ipip1  IP-in-IP (IP protocol 4)                 10.4.0.0/30    IPv4 inside
#   qinq0  802.1ad S-tag 0x88A8 VID 100, then       10.88.0.0/30   IPv4 and IPv6
#          802.1Q C-tag 0x8100 VID 200 on the veth  fd00:88::/64
#   qinq3  three tags: 0x9100 VID 300 (pre-standard 10.91.0.0/30   IPv4 and IPv6
#          QinQ), 0x88A8 VID 100, 0x8100 VID 200    fd00:91::/64
#
# The kernel this was made on (a small VM kernel) has the vxlan driver but not geneve,
# ip_gre, ipip or 8021q (`ip link add ... type geneve` says "Unknown device type"). So only
# VXLAN is the kernel's own; for the others, tunnel.py (below) plays the driver: it opens a
# TAP or TUN device, and writes what the device sends, with the header the Linux driver would
# put (Geneve without options, GRE without key/sequence/checksum, a plain outer IPv4 header,
# two VLAN tags), onto the underlay through a UDP, raw IP or packet socket, and hands back
# what arrives. The DNS inside is named's and dig's. On a full kernel the same devices are
# `ip link add gnv0 type geneve id 5 remote ...`, `type gretap`, `type gre`, `type ipip`, and
# `type vlan protocol 802.1ad id 100` with `type vlan protocol 802.1Q id 200` on top.
# The third VLAN ether type, 0x9100 (pre-standard QinQ, as switches of several vendors write
# it), has no Linux driver at all (`type vlan` takes only `protocol 802.1Q` and `802.1ad`):
# tunnel.py writes it as it writes the other two tags.
#
# loop.pcap is qinq.pcap's frames with OpenBSD's loopback header (link type 108, LOOP: the
# address family in 4 bytes, network order, AF_INET 2 and AF_INET6 24) in place of the
# Ethernet header and tags, and wlan.pcap the same frames as plain IEEE 802.11 data frames
# (link type 105: a 24-byte data header between a station and its access point, LLC/SNAP,
# no FCS): the IP packets and the DNS are the same real traffic. Only OpenBSD writes LOOP,
# and this machine has no wireless device; the rewrite is the few lines of Python in
# relink() below.
#
# Usage: sudo samples/make-tunnel-samples.sh [OUTDIR]   (default OUTDIR: samples/)
# Writes tunnels.pcap, qinq.pcap, vlan3.pcap, loop.pcap and wlan.pcap, their .tshark.tsv readings and TUNNELS.txt (tshark's
# protocol stack and summary per frame). Runs in about 10 s; everything stays inside the two
# namespaces it creates and removes on exit. DNS IDs, ephemeral ports and timestamps change
# from run to run; frames, names and answers do not.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
OUT=${1:-$HERE}
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)

ZONE=lab.example
NS_SRV=dnslens-tsrv
NS_CLI=dnslens-tcli
U_SRV=10.98.0.1
U_CLI=10.98.0.2
MAC_SRV=02:00:00:00:98:01
MAC_CLI=02:00:00:00:98:02

# The field list of /work/shared/corpus/README.md, in the same order (as make-samples.sh).
TSHARK_FIELDS=(frame.number frame.time_epoch ip.src ipv6.src ip.dst ipv6.dst udp.srcport
  udp.dstport tcp.srcport tcp.dstport dns.id dns.flags.response dns.flags.opcode
  dns.flags.rcode dns.flags.truncated dns.flags.recdesired dns.count.queries
  dns.count.answers dns.count.auth_rr dns.count.add_rr dns.qry.name dns.qry.type
  dns.resp.name dns.resp.type dns.resp.ttl dns.a dns.aaaa dns.cname dns.ns
  dns.mx.mail_exchange dns.txt dns.response_in dns.response_to dns.time
  dns.retransmission _ws.malformed _ws.expert)

log() { printf '== %s\n' "$*" >&2; }
die() { printf 'make-tunnel-samples: %s\n' "$*" >&2; exit 1; }

[[ $(id -u) -eq 0 ]] || die "must run as root (network namespaces, tunnel devices, capture)"
declare -A PKG=([named]=bind9 [named-checkzone]=bind9-utils [dig]=dnsutils [tcpdump]=tcpdump
  [tshark]=tshark [capinfos]=wireshark-common [ip]=iproute2)
missing=()
for tool in "${!PKG[@]}"; do
  command -v "$tool" >/dev/null 2>&1 || missing+=("${PKG[$tool]}")
done
if ((${#missing[@]})); then
  die "missing tools; install them with: apt-get install $(printf '%s\n' "${missing[@]}" | sort -u | tr '\n' ' ')"
fi

TMP=$(mktemp -d /tmp/dnslens-tunnels.XXXXXX)
PIDS=()
cleanup() {
  local rc=$?
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  ip netns del "$NS_SRV" 2>/dev/null || true
  ip netns del "$NS_CLI" 2>/dev/null || true
  if ((rc)); then log "failed (exit $rc); logs kept in $TMP"; else rm -rf "$TMP"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

export WIRESHARK_CONFIG_DIR=$TMP/wireshark # tshark's default preferences
mkdir -p "$WIRESHARK_CONFIG_DIR"

wait_for() {
  local i
  for ((i = 0; i < 100; i++)); do
    grep -q -- "$2" "$1" 2>/dev/null && return 0
    sleep 0.05
  done
  die "timed out waiting for '$2' in $1: $(cat "$1" 2>/dev/null)"
}

# --- namespaces, underlay and tunnels ----------------------------------------------------
log "namespaces $NS_SRV <-> $NS_CLI"
ip netns del "$NS_SRV" 2>/dev/null || true
ip netns del "$NS_CLI" 2>/dev/null || true
ip netns add "$NS_SRV"
ip netns add "$NS_CLI"
for ns in "$NS_SRV" "$NS_CLI"; do
  # No IPv6 on new devices (no MLD, RS or ND in the captures) unless switched on below; no
  # router solicitations either.
  ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.accept_ra=0 net.ipv6.conf.default.accept_ra=0 \
    net.ipv6.conf.default.disable_ipv6=1
  ip -n "$ns" link set lo up
done
ip -n "$NS_SRV" link add name v-srv type veth peer name v-cli netns "$NS_CLI"
ip -n "$NS_SRV" link set v-srv address "$MAC_SRV"
ip -n "$NS_CLI" link set v-cli address "$MAC_CLI"
ip -n "$NS_SRV" addr add "$U_SRV/30" dev v-srv
ip -n "$NS_CLI" addr add "$U_CLI/30" dev v-cli
ip -n "$NS_SRV" link set v-srv up
ip -n "$NS_CLI" link set v-cli up
ip -n "$NS_CLI" neigh replace "$U_SRV" lladdr "$MAC_SRV" dev v-cli nud permanent
ip -n "$NS_SRV" neigh replace "$U_CLI" lladdr "$MAC_CLI" dev v-srv nud permanent

# This kernel (a small VM kernel) has VXLAN but no geneve, gre, ipip or 8021q driver: for
# those, tunnel.py below does what the driver would, in userspace, on a TAP/TUN device.
cat >"$TMP/tunnel.py" <<'PY'
"""A userspace tunnel endpoint: this kernel has no geneve, gre, ipip or 8021q driver.

tunnel.py MODE DEV LOCAL REMOTE [PHYS]: create the TAP (Ethernet inside: geneve, gretap, qinq)
or TUN (IPv4 inside: gre, ipip) device DEV, and carry every frame it sends to REMOTE, in the
encapsulation MODE names, over the underlay; what comes back is handed to DEV. The headers
are those the Linux drivers write: Geneve VNI 5 (RFC 8926), GRE without options (RFC 2784),
IP-in-IP (RFC 2003), QinQ S-tag 0x88A8 VID 100 + C-tag 0x8100 VID 200 on PHYS, and
(qinq3) the same two behind a 0x9100 tag, VID 300.
"""
import fcntl, os, select, socket, struct, sys

TUNSETIFF, IFF_TUN, IFF_TAP, IFF_NO_PI = 0x400454CA, 0x0001, 0x0002, 0x1000
mode, dev, local, remote = sys.argv[1:5]
tap = mode in ("geneve", "gretap", "qinq", "qinq3")
fd = os.open("/dev/net/tun", os.O_RDWR)
fcntl.ioctl(fd, TUNSETIFF, struct.pack("16sH", dev.encode(), (IFF_TAP if tap else IFF_TUN) | IFF_NO_PI))

def ip_payload(data):
    """Raw IPv4 sockets hand over the IP header too; keep what REMOTE sent."""
    if len(data) < 20 or socket.inet_ntoa(data[12:16]) != remote:
        return None
    return data[(data[0] & 15) * 4:]

if mode == "geneve":
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((local, 6081))
    # version 0, no options, no flags, protocol 0x6558 (Ethernet), VNI 5, reserved 0
    enc = lambda f: struct.pack("!BBHI", 0, 0, 0x6558, 5 << 8) + f
    send = lambda p: s.sendto(p, (remote, 6081))
    def dec(d):
        return d[8 + (d[0] & 0x3F) * 4:] if len(d) >= 8 else None
elif mode in ("gretap", "gre"):
    s = socket.socket(socket.AF_INET, socket.SOCK_RAW, 47)
    proto = 0x6558 if mode == "gretap" else 0x0800
    enc = lambda f: struct.pack("!HH", 0, proto) + f
    send = lambda p: s.sendto(p, (remote, 0))
    def dec(d):
        g = ip_payload(d)
        return g[4:] if g is not None and len(g) >= 4 and g[:4] == struct.pack("!HH", 0, proto) else None
elif mode == "ipip":
    s = socket.socket(socket.AF_INET, socket.SOCK_RAW, 4)
    enc = lambda f: f
    send = lambda p: s.sendto(p, (remote, 0))
    dec = ip_payload
elif mode in ("qinq", "qinq3"):
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(3))
    s.bind((sys.argv[5], 0))
    tags = struct.pack("!HHHH", 0x88A8, 100, 0x8100, 200)
    if mode == "qinq3":
        tags = struct.pack("!HH", 0x9100, 300) + tags
    enc = lambda f: f[:12] + tags + f[12:]
    send = s.send
    def dec(d):
        # The kernel takes the outer tag off into metadata before a packet socket sees the
        # frame: skip whatever tags are left. Untagged frames are the underlay's own.
        at = 12
        while len(d) >= at + 4 and d[at:at + 2] in (b"\x88\xa8", b"\x81\x00", b"\x91\x00"):
            at += 4
        # Each device takes only its own frames: qinq0's start with 0x88A8 (once the
        # kernel has not taken that tag off), qinq3's with 0x9100.
        first = d[12:14]
        if mode == "qinq3" and first != b"\x91\x00" or mode == "qinq" and first == b"\x91\x00":
            return None
        return d[:12] + d[at:] if at > 12 else None
print("ready", flush=True)
while True:
    r, _, _ = select.select([fd, s], [], [])
    if fd in r:
        send(enc(os.read(fd, 65535)))
    if s in r:
        d, addr = s.recvfrom(65535)
        if mode in ("qinq", "qinq3") and addr[2] == socket.PACKET_OUTGOING:
            continue
        inner = dec(d)
        if inner:
            try:
                os.write(fd, inner)
            except OSError:
                pass  # the device is not up yet: dropped, as a driver would
PY

# tunnel NAME NET KIND ARGS...: the device on both sides, NET.1 (server) and NET.2 (client).
# Devices carrying Ethernet get fixed MACs (02:00:00:<second octet of NET>:00:0<1|2>) and
# static neighbours (no ARP in the captures).
tunnel() {
  local name=$1 net=$2 kind=$3
  shift 3
  local side ns local_ip remote_ip me peer oct2=${net#*.} ether=1
  oct2=${oct2%%.*}
  if [[ $kind == gre || $kind == ipip ]]; then ether=0; fi
  for side in srv cli; do
    if [[ $side == srv ]]; then
      ns=$NS_SRV local_ip=$U_SRV remote_ip=$U_CLI me=1 peer=2
    else
      ns=$NS_CLI local_ip=$U_CLI remote_ip=$U_SRV me=2 peer=1
    fi
    if [[ $kind == vxlan ]]; then
      ip -n "$ns" link add "$name" type vxlan "$@" local "$local_ip" remote "$remote_ip"
    else
      ip netns exec "$ns" python3 "$TMP/tunnel.py" "$kind" "$name" "$local_ip" "$remote_ip" "v-$side" >"$TMP/$name-$side.out" 2>&1 &
      PIDS+=("$!")
      wait_for "$TMP/$name-$side.out" ready
    fi
    ip -n "$ns" link set "$name" mtu 1400
    if ((ether)); then
      ip -n "$ns" link set "$name" address "02:00:00:$oct2:00:0$me"
    fi
    if [[ $kind == qinq* ]]; then ip netns exec "$ns" sysctl -qw "net.ipv6.conf.$name.disable_ipv6=0"; fi
    ip -n "$ns" addr add "$net.$me/30" dev "$name"
    if [[ $kind == qinq* ]]; then ip -n "$ns" addr add "fd00:$oct2::$me/64" dev "$name" nodad; fi
    ip -n "$ns" link set "$name" up
    if ((ether)); then
      ip -n "$ns" neigh replace "$net.$peer" lladdr "02:00:00:$oct2:00:0$peer" dev "$name" nud permanent
      if [[ $kind == qinq* ]]; then ip -n "$ns" neigh replace "fd00:$oct2::$peer" lladdr "02:00:00:$oct2:00:0$peer" dev "$name" nud permanent; fi
    fi
  done
}
tunnel gnv0 10.61.0 geneve
tunnel vxl0 10.42.0 vxlan id 42 dstport 4789
tunnel gtap0 10.47.0 gretap
tunnel gre1 10.48.0 gre
tunnel ipip1 10.4.0 ipip
# QinQ: the frames of qinq0 go out on the veth with an 802.1ad (0x88A8) S-tag, VID 100, and
# an 802.1Q (0x8100) C-tag, VID 200. IPv6 too on this device, without DAD.
tunnel qinq0 10.88.0 qinq
# Three tags: 0x9100 VID 300 outside the same two. IPv6 too.
tunnel qinq3 10.91.0 qinq3

# --- the zone and named ------------------------------------------------------------------
mkdir -p "$TMP/named"
cat >"$TMP/named/$ZONE.zone" <<EOF
\$ORIGIN $ZONE.
\$TTL 300
@         3600 IN SOA  ns1 hostmaster 2026112201 3600 600 86400 300
@              IN NS   ns1
ns1            IN A    10.98.0.1
www            IN A    192.0.2.10
www            IN AAAA 2001:db8::10
EOF
named-checkzone -q "$ZONE" "$TMP/named/$ZONE.zone" || die "zone does not load"
cat >"$TMP/named/named.conf" <<EOF
options {
  directory "$TMP/named";
  pid-file "$TMP/named/named.pid";
  session-keyfile "$TMP/named/session.key";
  managed-keys-directory "$TMP/named";
  listen-on port 53 { 10.61.0.1; 10.42.0.1; 10.47.0.1; 10.48.0.1; 10.4.0.1; 10.88.0.1; 10.91.0.1; };
  listen-on-v6 port 53 { fd00:88::1; fd00:91::1; };
  recursion no;
  notify no;
  dnssec-validation no;
  rrset-order { order none; };
};
controls { };
logging { channel f { file "$TMP/named/named.log"; print-time yes; severity info; };
          category default { f; }; category queries { f; }; };
zone "$ZONE" { type primary; file "$TMP/named/$ZONE.zone"; };
EOF
ip netns exec "$NS_SRV" named -g -u root -c "$TMP/named/named.conf" >"$TMP/named/stderr" 2>&1 &
NAMED=$!
PIDS+=("$NAMED")
# named is up once it answers over every tunnel (this traffic is not captured).
for server in 10.61.0.1 10.42.0.1 10.47.0.1 10.48.0.1 10.4.0.1 10.88.0.1 fd00:88::1 10.91.0.1 fd00:91::1; do
  ok=0
  for ((i = 0; i < 100; i++)); do
    if ip netns exec "$NS_CLI" dig +short +tries=1 +timeout=1 SOA "$ZONE" @"$server" 2>/dev/null | grep -q hostmaster; then
      ok=1
      break
    fi
    kill -0 "$NAMED" 2>/dev/null || die "named exited: $(tail -5 "$TMP/named/stderr")"
    sleep 0.1
  done
  ((ok)) || die "named does not answer at $server: $(tail -5 "$TMP/named/stderr")"
done
sleep 2 # let any late IPv6 MLD report on c200 go out before the captures start

# --- captures ------------------------------------------------------------------------------
cap_start() {
  local name=$1 filter=$2
  ip netns exec "$NS_CLI" tcpdump --immediate-mode -U -Z root -n -i v-cli -w "$TMP/$name" $filter 2>"$TMP/$name.err" &
  CAP_PID=$!
  PIDS+=("$CAP_PID")
  wait_for "$TMP/$name.err" "listening on"
  sleep 0.3
}
cap_stop() {
  local name=$1 expect=$2 count
  sleep 1
  kill -INT "$CAP_PID"
  wait "$CAP_PID" || true
  count=$(capinfos -c -M "$TMP/$name" | awk -F': *' '/Number of packets/ {print $2}')
  ((count == expect)) || die "$name: $count packets, expected $expect: $(tshark -r "$TMP/$name" 2>&1)"
  install -m 644 "$TMP/$name" "$OUT/$name"
  log "$name: $count packets"
}
qn() { ip netns exec "$NS_CLI" dig "$@" >>"$TMP/dig.log" 2>&1 || die "dig $*: $(tail -3 "$TMP/dig.log")"; }

# tunnels.pcap: one A query and its answer through each tunnel, in the order of the table
# above. Capture filter: the outer headers of the five encapsulations.
log "tunnels.pcap"
cap_start tunnels.pcap "udp port 6081 or udp port 4789 or ip proto 47 or ip proto 4"
qn A www.lab.example @10.61.0.1 +nocookie # Geneve
qn A www.lab.example @10.42.0.1 +nocookie # VXLAN
qn A www.lab.example @10.47.0.1 +nocookie # GRE, Ethernet inside
qn A www.lab.example @10.48.0.1 +nocookie # GRE, IPv4 inside
qn A www.lab.example @10.4.0.1 +nocookie  # IP-in-IP
cap_stop tunnels.pcap 10

# qinq.pcap: A over IPv4 and AAAA over IPv6 with two VLAN tags. No capture filter: the
# namespace holds nothing else, and a filter would have to look through both tags.
log "qinq.pcap"
cap_start qinq.pcap ""
qn A www.lab.example @10.88.0.1 +nocookie
qn AAAA www.lab.example @fd00:88::1 +nocookie
cap_stop qinq.pcap 4

# vlan3.pcap: the same two lookups with three VLAN tags (0x9100, 0x88A8, 0x8100).
log "vlan3.pcap"
cap_start vlan3.pcap ""
qn A www.lab.example @10.91.0.1 +nocookie
qn AAAA www.lab.example @fd00:91::1 +nocookie
cap_stop vlan3.pcap 4

# loop.pcap and wlan.pcap: qinq.pcap's frames behind another link layer (OpenBSD's LOOP,
# 108; plain IEEE 802.11, 105) instead of Ethernet and its tags; see the top of this script.
relink() {
  python3 - "$1" "$OUT/qinq.pcap" "$OUT/$2" <<'PY'
import struct, sys
mode, src, dst = sys.argv[1], open(sys.argv[2], "rb").read(), sys.argv[3]
endian = {b"\xd4\xc3\xb2\xa1": "<", b"\xa1\xb2\xc3\xd4": ">"}[src[:4]]
out = bytearray(src[:20] + struct.pack(endian + "I", {"loop": 108, "wlan": 105}[mode]))
bssid = bytes.fromhex("0200000a0001")  # the access point
station, seq, at = None, 0, 24
while at + 16 <= len(src):
    ts, tus, incl, orig = struct.unpack(endian + "IIII", src[at:at + 16])
    frame = src[at + 16:at + 16 + incl]
    at += 16 + incl
    off = 12
    while frame[off:off + 2] in (b"\x81\x00", b"\x88\xa8", b"\x91\x00"):
        off += 4
    ethertype, payload = frame[off:off + 2], frame[off + 2:]
    dmac, smac = frame[0:6], frame[6:12]
    if mode == "loop":
        # The address family in network order: AF_INET 2, OpenBSD's AF_INET6 24.
        head = struct.pack("!I", {b"\x08\x00": 2, b"\x86\xdd": 24}[ethertype])
    else:
        # A data frame between a station (the client, first sender) and its access
        # point: To DS from the station (addr1 BSSID, addr2 SA, addr3 DA), From DS
        # towards it (addr1 DA, addr2 BSSID, addr3 SA); then LLC/SNAP and the ether
        # type, as 802.11 carries IP (RFC 1042). No FCS, as monitor captures often are.
        station = station or smac
        if smac == station:
            fc, addrs = b"\x08\x01", bssid + smac + dmac
        else:
            fc, addrs = b"\x08\x02", dmac + bssid + smac
        head = fc + b"\x00\x00" + addrs + struct.pack("<H", seq << 4) + b"\xaa\xaa\x03\x00\x00\x00" + ethertype
        seq += 1
    data = head + payload
    cut = orig - incl  # keep a snaplen cut as it was
    out += struct.pack(endian + "IIII", ts, tus, len(data), len(data) + cut) + data
open(dst, "wb").write(out)
PY
  local n
  n=$(capinfos -c -M "$OUT/$2" | awk -F': *' '/Number of packets/ {print $2}')
  ((n == 4)) || die "$2: $n packets, expected 4"
  log "$2: $n packets"
}
relink loop loop.pcap
relink wlan wlan.pcap

# --- readings --------------------------------------------------------------------------------
for f in tunnels.pcap qinq.pcap vlan3.pcap loop.pcap wlan.pcap; do
  args=()
  for x in "${TSHARK_FIELDS[@]}"; do args+=(-e "$x"); done
  tshark -2 -r "$OUT/$f" -Y 'dns || mdns || llmnr' -T fields -E header=y -E separator=/t \
    "${args[@]}" >"$OUT/$f.tshark.tsv" 2>"$TMP/tshark.err" || die "tshark failed on $f: $(cat "$TMP/tshark.err")"
  n=$(($(wc -l <"$OUT/$f.tshark.tsv") - 1))
  total=$(capinfos -c -M "$OUT/$f" | awk -F': *' '/Number of packets/ {print $2}')
  ((n == total)) || die "$f: tshark finds DNS in $n of $total frames"
done
{
  echo "# tshark's one-line reading of each tunnel sample, made by make-tunnel-samples.sh"
  for f in tunnels.pcap qinq.pcap vlan3.pcap loop.pcap wlan.pcap; do
    echo
    echo "## $f"
    tshark -r "$OUT/$f" -t r -T fields -e frame.number -e frame.protocols -e _ws.col.Info -E separator=/t 2>/dev/null
  done
} >"$OUT/TUNNELS.txt"
log "done: tunnels.pcap qinq.pcap vlan3.pcap loop.pcap wlan.pcap (and their .tshark.tsv, TUNNELS.txt)"
