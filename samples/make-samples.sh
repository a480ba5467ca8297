#!/usr/bin/env bash
# make-samples.sh: (re)create dnslens's sample captures from real software.
#
# A small networking lab: BIND `named` serves the zone lab.example. (DNSSEC-signed) on
# 127.0.0.1/::1 port 53, `dig` asks it questions, and `dumpcap`/`tcpdump` record the traffic.
# Two network namespaces joined by a veth pair (MTU 1280) give real IP fragments and TCP
# segmentation. Small python3 programs play a lab student's own DNS client (hand-built
# queries, retransmissions) and a server that answers late or never.
#
# Usage: sudo samples/make-samples.sh [OUTDIR]     (default OUTDIR: the samples/ directory)
# Everything stays on loopback or inside the two namespaces this script creates and removes.
# Runs in about 15 s. DNS IDs, ephemeral ports, timestamps, TCP sequence numbers and the
# DNSSEC keys and signatures change from run to run; the packet sequence, names, types and
# answers do not (except that a delayed TCP ACK may come or go in tcp.pcap and dns.pcap).
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
OUT=${1:-$HERE}
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)

ZONE=lab.example
NS_SRV=dnslens-srv
NS_CLI=dnslens-cli
V4_SRV=10.99.0.1
V4_CLI=10.99.0.2
V6_SRV=fd00:99::1
V6_CLI=fd00:99::2
VETH_MTU=1280 # the IPv6 minimum link MTU; IPv4 and IPv6 both fragment above it

# The field list of /work/shared/corpus/README.md, in the same order.
TSHARK_FIELDS=(frame.number frame.time_epoch ip.src ipv6.src ip.dst ipv6.dst udp.srcport
  udp.dstport tcp.srcport tcp.dstport dns.id dns.flags.response dns.flags.opcode
  dns.flags.rcode dns.flags.truncated dns.flags.recdesired dns.count.queries
  dns.count.answers dns.count.auth_rr dns.count.add_rr dns.qry.name dns.qry.type
  dns.resp.name dns.resp.type dns.resp.ttl dns.a dns.aaaa dns.cname dns.ns
  dns.mx.mail_exchange dns.txt dns.response_in dns.response_to dns.time
  dns.retransmission _ws.malformed _ws.expert)

log() { printf '== %s\n' "$*" >&2; }
die() { printf 'make-samples: %s\n' "$*" >&2; exit 1; }

# --- preconditions -----------------------------------------------------------------------
[[ $(id -u) -eq 0 ]] || die "must run as root (named on port 53, packet capture, netns)"

declare -A PKG=([named]=bind9 [dnssec-keygen]=bind9-utils [dnssec-signzone]=bind9-utils
  [named-checkzone]=bind9-utils [dig]=dnsutils [tcpdump]=tcpdump [dumpcap]=wireshark-common
  [tshark]=tshark [capinfos]=wireshark-common [ip]=iproute2 [python3]=python3)
missing=()
for tool in "${!PKG[@]}"; do
  command -v "$tool" >/dev/null 2>&1 || missing+=("${PKG[$tool]}")
done
if ((${#missing[@]})); then
  die "missing tools; install them with: apt-get install $(printf '%s\n' "${missing[@]}" | sort -u | tr '\n' ' ')"
fi
if ss -Hlnu 'sport = :53' | grep -Eq '(127\.0\.0\.[1-4]|0\.0\.0\.0|\*|\[::1?\]):53\b'; then
  die "something already listens on UDP port 53 of 127.0.0.1-4 or ::1: $(ss -Hlnu 'sport = :53')"
fi

TMP=$(mktemp -d /tmp/dnslens-samples.XXXXXX)
PIDS=()

cleanup() {
  local rc=$?
  for pid in "${PIDS[@]}"; do
    kill "$pid" 2>/dev/null || true
  done
  for pid in "${PIDS[@]}"; do
    wait "$pid" 2>/dev/null || true
  done
  ip netns del "$NS_SRV" 2>/dev/null || true
  ip netns del "$NS_CLI" 2>/dev/null || true
  if ((rc)); then
    log "failed (exit $rc); logs kept in $TMP"
  else
    rm -rf "$TMP"
  fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Use tshark's default preferences, whatever the caller's profile says.
export WIRESHARK_CONFIG_DIR=$TMP/wireshark
mkdir -p "$WIRESHARK_CONFIG_DIR"

# wait_for FILE PATTERN: until FILE contains PATTERN (5 s at most).
wait_for() {
  local i
  for ((i = 0; i < 100; i++)); do
    grep -q -- "$2" "$1" 2>/dev/null && return 0
    sleep 0.05
  done
  die "timed out waiting for '$2' in $1: $(cat "$1" 2>/dev/null)"
}

# --- captures ----------------------------------------------------------------------------
# cap_start NAME TOOL IFACE FILTER [NETNS]: start a capture into $TMP/NAME, set CAP_PID.
# TOOL is dumpcap (pcapng) or tcpdump (pcap). Returns once the capture is running.
cap_start() {
  local name=$1 tool=$2 iface=$3 filter=$4 netns=${5:-}
  local pre=()
  [[ -n $netns ]] && pre=(ip netns exec "$netns")
  rm -f "$TMP/$name" "$TMP/$name.err"
  case $tool in
  dumpcap)
    "${pre[@]}" dumpcap -q -i "$iface" -f "$filter" -w "$TMP/$name" 2>"$TMP/$name.err" &
    CAP_PID=$!
    wait_for "$TMP/$name.err" "Capturing on"
    ;;
  tcpdump)
    # --immediate-mode: hand each packet over at once (a TPACKET_V3 block otherwise waits up
    # to 1 s and is lost on SIGINT); -U: write it at once; -Z root: keep the file ours.
    "${pre[@]}" tcpdump --immediate-mode -U -Z root -n -i "$iface" -w "$TMP/$name" "$filter" 2>"$TMP/$name.err" &
    CAP_PID=$!
    wait_for "$TMP/$name.err" "listening on"
    ;;
  *) die "unknown capture tool $tool" ;;
  esac
  PIDS+=("$CAP_PID")
  sleep 0.3 # the socket is attached; give the ring buffer a moment anyway
}

# Loopback filters that name both ends: other programs on this machine may use port 53 on
# other loopback addresses (127.0.53.x, ...), and their packets must not get in. (In pcap
# filters "and" and "or" bind equally, left to right: keep the parentheses.)
LO4="(src host 127.0.0.1 and dst host 127.0.0.1)"
LO6="(src host ::1 and dst host ::1)"
LOX="((src host 127.0.0.1 and (dst host 127.0.0.2 or dst host 127.0.0.3 or dst host 127.0.0.4)) or
  (dst host 127.0.0.1 and (src host 127.0.0.2 or src host 127.0.0.3 or src host 127.0.0.4)))"

# cap_stop NAME EXPECT: let the last packets land, stop the capture, check it holds EXPECT
# packets (N or MIN-MAX), move it to OUT.
cap_stop() {
  local name=$1 expect=$2 count
  sleep 1 # > dumpcap's 250 ms read timeout
  kill -INT "$CAP_PID"
  wait "$CAP_PID" || true
  local keep=() pid
  for pid in "${PIDS[@]}"; do [[ $pid == "$CAP_PID" ]] || keep+=("$pid"); done
  PIDS=("${keep[@]}")
  [[ -s $TMP/$name ]] || die "capture $name is empty: $(cat "$TMP/$name.err")"
  count=$(capinfos -c -M "$TMP/$name" | awk -F': *' '/Number of packets/ {print $2}')
  if ((count < ${expect%-*} || count > ${expect#*-})); then
    die "$name: $count packets, expected $expect (another program on port 53? see $TMP)"
  fi
  install -m 644 "$TMP/$name" "$OUT/$name"
  log "$name: $count packets"
}

# --- the zone ----------------------------------------------------------------------------
make_zone() {
  local dir=$TMP/zone s250 long big i
  mkdir -p "$dir"
  s250=$(printf 'x%.0s' {1..250})
  # long: one string of 255 octets (the maximum) and a shorter one after it.
  long="\"$(printf 'L%.0s' {1..255})\" \"second string, after the 255-octet one\""
  # big: 12 strings of 250 octets, about 3 KB of RDATA: IP-fragmented at MTU 1280.
  big=""
  for i in 01 02 03 04 05 06 07 08 09 10 11 12; do
    big+="\"$i:${s250:3}\" "
  done
  cat >"$dir/$ZONE.zone" <<EOF
\$ORIGIN $ZONE.
\$TTL 300
@         3600 IN SOA  ns1 hostmaster 2026112201 3600 600 86400 300
@              IN NS   ns1
@              IN NS   ns2
@              IN MX   10 mail
@              IN MX   20 mail2
@              IN TXT  "v=spf1 mx -all"
ns1            IN A    127.0.0.1
ns1            IN AAAA ::1
ns2            IN A    $V4_SRV
ns2            IN AAAA $V6_SRV
www            IN A    192.0.2.10
www            IN AAAA 2001:db8::10
alias          IN CNAME alias2
alias2         IN CNAME www
mail           IN A    192.0.2.25
mail2          IN A    192.0.2.26
v4only         IN A    192.0.2.44
sip            IN A    192.0.2.50
_sip._udp      IN SRV  10 60 5060 sip
long           IN TXT  $long
big            IN TXT  $big
EOF
  # DNSSEC: ECDSA P-256 KSK + ZSK, NSEC. Keys are made afresh each run.
  (
    cd "$dir"
    dnssec-keygen -q -a ECDSAP256SHA256 -f KSK -K "$dir" "$ZONE" >/dev/null
    dnssec-keygen -q -a ECDSAP256SHA256 -K "$dir" "$ZONE" >/dev/null
    dnssec-signzone -q -S -K "$dir" -o "$ZONE" -f "$dir/$ZONE.signed" "$dir/$ZONE.zone" >/dev/null
  )
  named-checkzone -q "$ZONE" "$dir/$ZONE.signed" || die "signed zone does not load"
}

# start_named NAME "LISTEN4" "LISTEN6" [NETNS]: named in the foreground of a background job.
start_named() {
  local name=$1 v4=$2 v6=$3 netns=${4:-}
  local dir=$TMP/$name pre=()
  [[ -n $netns ]] && pre=(ip netns exec "$netns")
  mkdir -p "$dir"
  cat >"$dir/named.conf" <<EOF
options {
  directory "$dir";
  pid-file "$dir/named.pid";
  session-keyfile "$dir/session.key";
  managed-keys-directory "$dir";
  listen-on port 53 { $v4; };
  listen-on-v6 port 53 { $v6; };
  recursion no;
  notify no;
  dnssec-validation no;
  max-udp-size 4096;
  edns-udp-size 4096;
  allow-transfer { any; };
  minimal-responses no-auth-recursive;
  rrset-order { order none; };  # records in zone order, the same every run
};
controls { };
logging { channel f { file "$dir/named.log"; print-time yes; severity info; };
          category default { f; }; category queries { f; }; };
zone "$ZONE" { type primary; file "$TMP/zone/$ZONE.signed"; };
EOF
  "${pre[@]}" named -g -u root -c "$dir/named.conf" >"$dir/stderr" 2>&1 &
  local pid=$!
  PIDS+=("$pid")
  local server=${v4%%;*} i
  for ((i = 0; i < 100; i++)); do
    if "${pre[@]}" dig +short +tries=1 +timeout=1 SOA "$ZONE" @"$server" 2>/dev/null | grep -q hostmaster; then
      return 0
    fi
    kill -0 "$pid" 2>/dev/null || die "named ($name) exited: $(tail -5 "$dir/stderr")"
    sleep 0.1
  done
  die "named ($name) does not answer: $(tail -5 "$dir/stderr")"
}

q() { dig "$@" >>"$TMP/dig.log" 2>&1 || true; }
qn() { local ns=$1; shift; ip netns exec "$ns" dig "$@" >>"$TMP/dig.log" 2>&1 || true; }

# --- python3 helpers ---------------------------------------------------------------------
cat >"$TMP/lab.py" <<'PY'
"""Lab helpers: a student's hand-built DNS client and two misbehaving servers."""
import select, socket, struct, sys, time

def qname(name, root=True):
    out = b"".join(bytes([len(l)]) + l.encode() for l in name.split(".") if l)
    return out + (b"\x00" if root else b"")

def query(qid, name, qtype_bytes, root=True, rd=1):
    # header: ID, flags (RD only), QDCOUNT=1, AN/NS/AR=0
    return struct.pack("!HHHHHH", qid, rd << 8, 1, 0, 0, 0) + qname(name, root) + qtype_bytes + b"\x00\x01"

def servers(late_addr, silent_addr):
    """late_addr answers a given ID only on its third try; silent_addr never answers."""
    late = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); late.bind((late_addr, 53))
    silent = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); silent.bind((silent_addr, 53))
    print("ready", flush=True)
    seen = {}
    while True:
        r, _, _ = select.select([late, silent], [], [])
        for s in r:
            data, peer = s.recvfrom(4096)
            if s is silent or len(data) < 12:
                continue
            qid = data[:2]
            seen[qid] = seen.get(qid, 0) + 1
            if seen[qid] < 3:
                continue
            # response: same ID, QR AA RD, 1 question, 1 answer (A 192.0.2.10, owner -> 0x0c)
            flags = 0x8400 | (struct.unpack("!H", data[2:4])[0] & 0x0100)
            q = data[12:]
            resp = data[:2] + struct.pack("!HHHHH", flags, 1, 1, 0, 0) + q
            resp += b"\xc0\x0c" + struct.pack("!HHIH", 1, 1, 60, 4) + socket.inet_aton("192.0.2.10")
            s.sendto(resp, peer)

def retransmit(addr):
    """Send the same query (same ID, same source port) until answered: 1 s per try, 3 tries."""
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    msg = query(0x4A21, "retry.lab.example", b"\x00\x01")
    for _ in range(3):
        s.sendto(msg, (addr, 53))
        r, _, _ = select.select([s], [], [], 1.0)
        if r:
            s.recvfrom(4096)
            return

def bad(addr):
    """Two queries a lab grader must flag, each asked once (answers awaited 1 s)."""
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    # 1: QTYPE written little-endian: 01 00 (= 256, URI) instead of 00 01 (A)
    # 2: QNAME without its terminating root label: QTYPE follows "example" directly
    # 3: the correct query, for contrast
    for qid, msg in ((0x0B01, query(0x0B01, "www.lab.example", b"\x01\x00")),
                     (0x0B02, query(0x0B02, "www.lab.example", b"\x00\x01", root=False)),
                     (0x0B03, query(0x0B03, "www.lab.example", b"\x00\x01"))):
        s.sendto(msg, (addr, 53))
        r, _, _ = select.select([s], [], [], 1.0)
        if r:
            s.recvfrom(4096)

if __name__ == "__main__":
    cmd, args = sys.argv[1], sys.argv[2:]
    {"servers": servers, "retransmit": retransmit, "bad": bad}[cmd](*args)
PY

# --- tshark readings -----------------------------------------------------------------------
tshark_tsv() {
  local f=$1 args=()
  for x in "${TSHARK_FIELDS[@]}"; do args+=(-e "$x"); done
  tshark -2 -r "$f" -Y 'dns || mdns || llmnr' -T fields -E header=y -E separator=/t \
    "${args[@]}" >"$f.tshark.tsv" 2>"$TMP/tshark.err" || die "tshark failed on $f: $(cat "$TMP/tshark.err")"
}

###########################################################################################
log "zone $ZONE (signed)"
make_zone
start_named lo "127.0.0.1" "::1"

# 1. dns.pcapng: the lab sample, exactly what students type.
log "dns.pcapng"
cap_start dns.pcapng dumpcap lo "udp port 53 and $LO4"
q A www.lab.example @127.0.0.1 +noedns
q AAAA www.lab.example @127.0.0.1 +noedns
cap_stop dns.pcapng 4

# 2. dns.pcap: a mixed session, classic pcap.
log "dns.pcap"
cap_start dns.pcap tcpdump lo "port 53 and ($LO4 or $LO6)"
q A www.lab.example @127.0.0.1
q AAAA www.lab.example @127.0.0.1 +noedns
q MX lab.example @127.0.0.1
q TXT long.lab.example @127.0.0.1
q NS lab.example @127.0.0.1 +noedns
q SOA lab.example @127.0.0.1
q SRV _sip._udp.lab.example @127.0.0.1
q A alias.lab.example @127.0.0.1
q A nothere.lab.example @127.0.0.1
q A nothere.lab.example @127.0.0.1 +dnssec
q AAAA v4only.lab.example @127.0.0.1
q DNSKEY lab.example @127.0.0.1 +dnssec
q A www.lab.example @127.0.0.1 +dnssec +norecurse
q AAAA www.lab.example @::1
q A www.lab.example @127.0.0.1 +tcp
cap_stop dns.pcap 36-40

# 3. any-sll2.pcap: the "any" pseudo-interface (LINUX_SLL2 with tcpdump >= 4.99).
log "any-sll2.pcap"
cap_start any-sll2.pcap tcpdump any "port 53 and ($LO4 or $LO6)"
q A www.lab.example @127.0.0.1 +noedns
q AAAA www.lab.example @::1 +noedns
cap_stop any-sll2.pcap 4

# 4. unanswered.pcapng: no answer (ICMP refused, silent drop) and an answer on the 3rd try.
log "unanswered.pcapng"
python3 "$TMP/lab.py" servers 127.0.0.3 127.0.0.4 >"$TMP/servers.out" 2>&1 &
PIDS+=("$!")
wait_for "$TMP/servers.out" ready
cap_start unanswered.pcapng dumpcap lo "(udp port 53 or icmp) and $LOX"
q A www.lab.example @127.0.0.2 +noedns +tries=3 +timeout=1
q A www.lab.example @127.0.0.4 +noedns +tries=3 +timeout=1
python3 "$TMP/lab.py" retransmit 127.0.0.3
cap_stop unanswered.pcapng 13

# 5. bad-client.pcap: hand-built queries with the classic student mistakes.
log "bad-client.pcap"
cap_start bad-client.pcap tcpdump lo "udp port 53 and $LO4"
python3 "$TMP/lab.py" bad 127.0.0.1
cap_stop bad-client.pcap 6

# --- the namespace pair --------------------------------------------------------------------
log "namespaces $NS_SRV <-> $NS_CLI, MTU $VETH_MTU"
ip netns del "$NS_SRV" 2>/dev/null || true
ip netns del "$NS_CLI" 2>/dev/null || true
ip netns add "$NS_SRV"
ip netns add "$NS_CLI"
# gso_max_segs 1: no segmentation offload, so TCP hands the veth one MSS per packet and the
# capture shows the segments a real wire would carry (veth GRO is off by default).
ip -n "$NS_SRV" link add name v-srv gso_max_segs 1 type veth peer name v-cli gso_max_segs 1 netns "$NS_CLI"
ip -n "$NS_SRV" link set v-srv address 02:00:00:00:99:01 mtu "$VETH_MTU"
ip -n "$NS_CLI" link set v-cli address 02:00:00:00:99:02 mtu "$VETH_MTU"
for ns in "$NS_SRV" "$NS_CLI"; do
  ip -n "$ns" link set lo up
  ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.accept_ra=0 net.ipv6.conf.default.accept_ra=0
done
ip -n "$NS_SRV" addr add "$V4_SRV/30" dev v-srv
ip -n "$NS_CLI" addr add "$V4_CLI/30" dev v-cli
ip -n "$NS_SRV" addr add "$V6_SRV/64" dev v-srv nodad
ip -n "$NS_CLI" addr add "$V6_CLI/64" dev v-cli nodad
ip -n "$NS_SRV" link set v-srv up
ip -n "$NS_CLI" link set v-cli up
# static neighbours: no ARP/ND in the captures
ip -n "$NS_CLI" neigh replace "$V4_SRV" lladdr 02:00:00:00:99:01 dev v-cli nud permanent
ip -n "$NS_CLI" neigh replace "$V6_SRV" lladdr 02:00:00:00:99:01 dev v-cli nud permanent
ip -n "$NS_SRV" neigh replace "$V4_CLI" lladdr 02:00:00:00:99:02 dev v-srv nud permanent
ip -n "$NS_SRV" neigh replace "$V6_CLI" lladdr 02:00:00:00:99:02 dev v-srv nud permanent
start_named ns "$V4_SRV" "$V6_SRV" "$NS_SRV"

NSFILTER="(host $V4_SRV or host $V6_SRV) and not icmp6 and not arp"

# 6. fragments.pcap: big EDNS answers (~3 KB TXT) fragmented at MTU 1280, IPv4 and IPv6.
log "fragments.pcap"
cap_start fragments.pcap tcpdump v-cli "$NSFILTER" "$NS_CLI"
qn "$NS_CLI" TXT big.lab.example @"$V4_SRV" +bufsize=4096 +nocookie
qn "$NS_CLI" TXT big.lab.example @"$V6_SRV" +bufsize=4096 +nocookie
cap_stop fragments.pcap 8

# 7. tcp.pcap: DNS over TCP; several queries on one connection; an AXFR in many segments.
log "tcp.pcap"
cap_start tcp.pcap tcpdump v-cli "tcp port 53 and ($NSFILTER)" "$NS_CLI"
qn "$NS_CLI" A www.lab.example @"$V4_SRV" +tcp +nocookie
qn "$NS_CLI" +tcp +keepopen +nocookie @"$V4_SRV" www.lab.example A lab.example MX long.lab.example TXT
qn "$NS_CLI" AXFR lab.example @"$V6_SRV"
cap_stop tcp.pcap 42-48

# --- readings and a summary ----------------------------------------------------------------
for f in dns.pcapng dns.pcap any-sll2.pcap unanswered.pcapng bad-client.pcap fragments.pcap tcp.pcap; do
  tshark_tsv "$OUT/$f"
done
{
  echo "# made by make-samples.sh on $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  named -v
  dig -v 2>&1
  tcpdump --version 2>&1 | head -2
  tshark --version 2>/dev/null | head -1
  dumpcap --version 2>/dev/null | head -1
  python3 --version
  uname -sr
} >"$OUT/VERSIONS.txt"
# SUMMARY.txt: what each file holds, as this run made it (IDs, ports and times change).
{
  echo "# tshark's one-line reading of each sample, made by make-samples.sh"
  for f in dns.pcapng dns.pcap tcp.pcap any-sll2.pcap fragments.pcap unanswered.pcapng bad-client.pcap; do
    echo
    echo "## $f: $(capinfos -t -E -c -M "$OUT/$f" | awk -F': *' '/File type|File encapsulation|Number of packets/ {printf "%s%s", sep, $2; sep="; "}') packets"
    tshark -r "$OUT/$f" -t r 2>/dev/null
  done
} >"$OUT/SUMMARY.txt"
log "done: $(cd "$OUT" && ls -1 ./*.pcap ./*.pcapng | tr '\n' ' ')"
