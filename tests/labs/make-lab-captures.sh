#!/usr/bin/env bash
# Makes the lab captures in tests/labs/captures/ with real tools: BIND's named serving a
# small fake DNS tree, dig, the Python lab clients in tests/labs/clients/, and dumpcap.
#
# Everything runs inside a private network namespace (its own loopback, so named can
# use port 53 and nothing reaches the machine's network). As root the script re-runs itself
# under `unshare --net`; otherwise under `unshare --net --map-root-user`, which needs
# unprivileged user namespaces. --port N moves every server to port N (the captures then
# need dnslens's port option).
#
# The DNS tree, all on loopback addresses added to the namespace's lo:
#   127.0.0.2  root server: zone "." delegating example. to ns.example. (glue 127.0.0.3)
#   127.0.0.3  TLD server:  zone "example." delegating lab.example. to ns.lab.example. (glue 127.0.0.4)
#   127.0.0.4  authoritative for lab.example.; the same instance also listens on
#   127.0.0.1  the "asked server" of the Wireshark and client labs.
#   127.0.0.5  and 127.0.0.53: nothing listens there (ICMP port unreachable).
#
# Usage: tests/labs/make-lab-captures.sh [--port N] [--out DIR]
# The captures and what each one is expected to give are listed in captures/README.md.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
out="$here/captures"
port=53
inside=0
args=("$@")

while [[ $# -gt 0 ]]; do
    case $1 in
        --port) port=$2; shift 2 ;;
        --out) out=$(mkdir -p "$2" && cd "$2" && pwd); shift 2 ;;
        --inside) inside=1; shift ;;
        -h|--help) sed -n '2,22p' "$0"; exit 0 ;;
        *) echo "make-lab-captures.sh: unknown argument $1" >&2; exit 2 ;;
    esac
done

for tool in named dig dumpcap python3 ip unshare; do
    command -v "$tool" >/dev/null || { echo "make-lab-captures.sh: $tool not found" >&2; exit 2; }
done

if [[ $inside == 0 ]]; then
    userns=()
    [[ $(id -u) == 0 ]] || userns=(--map-root-user)
    exec unshare --net "${userns[@]}" -- "$0" --inside --out "$out" "${args[@]}"
fi

# From here on we are in the lab's own network namespace.
ip link set lo up
for addr in 127.0.0.2 127.0.0.3 127.0.0.4; do
    ip addr add "$addr/8" dev lo   # named listens only on addresses an interface has
done
# Loopback ICMP errors are rate-limited by default; the lab wants every one.
sysctl -qw net.ipv4.icmp_ratelimit=0 2>/dev/null || true

work=$(mktemp -d /tmp/dnslens-labs.XXXXXX)
pids=()
cap_pid=""

cleanup() {
    local pid
    [[ -n $cap_pid ]] && kill -INT "$cap_pid" 2>/dev/null || true
    for pid in "${pids[@]}"; do
        kill "$pid" 2>/dev/null || true
    done
    for pid in "${pids[@]}"; do
        wait "$pid" 2>/dev/null || true
    done
    rm -rf "$work"
}
trap cleanup EXIT

mkdir -p "$out"

# --- the fake DNS tree ------------------------------------------------------------------

soa() { echo "@ 3600 IN SOA $1 hostmaster.lab.example. 1 3600 600 86400 300"; }

mkdir -p "$work/root" "$work/tld" "$work/auth"
cat >"$work/root/db" <<ZONE
\$TTL 3600
$(soa a.root-servers.net.)
.                    IN NS a.root-servers.net.
a.root-servers.net.  IN A  127.0.0.2
example.             IN NS ns.example.
ns.example.          IN A  127.0.0.3
ZONE
cat >"$work/tld/db" <<ZONE
\$TTL 3600
\$ORIGIN example.
$(soa ns.example.)
@                    IN NS ns.example.
ns                   IN A  127.0.0.3
lab                  IN NS ns.lab.example.
ns.lab               IN A  127.0.0.4
ZONE
cat >"$work/auth/db" <<ZONE
\$TTL 300
\$ORIGIN lab.example.
$(soa ns.lab.example.)
@                    IN NS   ns.lab.example.
ns                   IN A    127.0.0.4
www                  IN A    192.0.2.80
www                  IN AAAA 2001:db8::80
web                  IN CNAME www.lab.example.
mail                 IN A    192.0.2.25
v4only               IN A    192.0.2.4
ZONE

start_named() { # role zone "addr; addr;"
    local role=$1 zone=$2 addrs=$3
    cat >"$work/$role/named.conf" <<CONF
options {
    directory "$work/$role";
    listen-on port $port { $addrs };
    listen-on-v6 { none; };
    pid-file none;
    session-keyfile "$work/$role/session.key";
    managed-keys-directory "$work/$role";
    recursion no;
    notify no;
    dnssec-validation no;
};
controls { };
logging { channel out { file "$work/$role/named.log"; severity info; }; category default { out; }; };
zone "$zone" { type primary; file "$work/$role/db"; };
CONF
    named -4 -f -n 1 -c "$work/$role/named.conf" &
    pids+=($!)
}

wait_named() { # addr zone
    local i
    for i in $(seq 100); do
        if [[ -n $(dig +short +tries=1 +time=1 -p "$port" @"$1" SOA "$2" 2>/dev/null) ]]; then
            return 0
        fi
        sleep 0.1
    done
    echo "make-lab-captures.sh: named on $1 did not come up; its log:" >&2
    cat "$work"/*/named.log >&2 || true
    exit 1
}

start_named root . "127.0.0.2;"
start_named tld example. "127.0.0.3;"
start_named auth lab.example. "127.0.0.1; 127.0.0.4;"
wait_named 127.0.0.2 .
wait_named 127.0.0.3 example.
wait_named 127.0.0.4 lab.example.
wait_named 127.0.0.1 lab.example.

# --- capturing --------------------------------------------------------------------------

# start_capture FILE FILTER [dumpcap options]: dumpcap on loopback, returns once it runs.
start_capture() {
    local file=$1 filter=$2 i
    shift 2
    rm -f "$file"
    dumpcap -q -i lo -f "$filter" -w "$file" "$@" 2>>"$work/dumpcap.log" &
    cap_pid=$!
    for i in $(seq 100); do
        [[ -s $file ]] && break
        sleep 0.05
    done
    sleep 0.3
}

stop_capture() {
    sleep 0.3
    kill -INT "$cap_pid"
    wait "$cap_pid" || true
    cap_pid=""
    echo "made $(basename "$1") ($(stat -c %s "$1") bytes)"
}

dns_filter="udp port $port"
client_filter="udp port $port or icmp"

dig_lab() { dig -p "$port" +tries=1 +time=2 "$@" >>"$work/dig.log" || { cat "$work/dig.log" >&2; return 1; }; }
client() { python3 "$here/clients/$1" --port "$port" "${@:2}" >/dev/null 2>&1 || true; }

# Something that is not DNS: a small TCP exchange on loopback and a UDP datagram to a
# closed port (answered by ICMP port unreachable).
not_dns() {
    python3 - <<'PY'
import socket
srv = socket.socket(); srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind(("127.0.0.1", 8080)); srv.listen(1)
c = socket.create_connection(("127.0.0.1", 8080)); s, _ = srv.accept()
c.sendall(b"GET / HTTP/1.0\r\n\r\n"); s.recv(100); s.sendall(b"HTTP/1.0 200 OK\r\n\r\n")
c.recv(100); c.close(); s.close(); srv.close()
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); u.sendto(b"ntp?", ("127.0.0.1", 123)); u.close()
PY
}

cap() { echo "$out/$1"; }

# --- lab 1: Wireshark tracing (host www.lab.example, server 127.0.0.1) ------------------

f=$(cap ws-pass.pcapng); start_capture "$f" "$dns_filter"
dig_lab @127.0.0.1 A www.lab.example +noedns
dig_lab @127.0.0.1 AAAA www.lab.example +noedns
stop_capture "$f"

f=$(cap ws-cname.pcapng); start_capture "$f" "$dns_filter"
dig_lab @127.0.0.1 A web.lab.example +noedns
dig_lab @127.0.0.1 AAAA web.lab.example +noedns
stop_capture "$f"

f=$(cap ws-edns.pcapng); start_capture "$f" "$dns_filter"
dig_lab @127.0.0.1 A www.lab.example
dig_lab @127.0.0.1 AAAA www.lab.example
stop_capture "$f"

f=$(cap ws-classic.pcap); start_capture "$f" "$dns_filter" -P
dig_lab @127.0.0.1 A www.lab.example +noedns
dig_lab @127.0.0.1 AAAA www.lab.example +noedns
stop_capture "$f"

f=$(cap ws-non-dns.pcapng); start_capture "$f" ""
dig_lab @127.0.0.1 A www.lab.example +noedns
not_dns
dig_lab @127.0.0.1 AAAA www.lab.example +noedns
stop_capture "$f"

f=$(cap ws-extra-lookup.pcapng); start_capture "$f" "$dns_filter"
dig_lab @127.0.0.1 A www.lab.example +noedns
dig_lab @127.0.0.1 A mail.lab.example +noedns
dig_lab @127.0.0.1 AAAA www.lab.example +noedns
stop_capture "$f"

f=$(cap ws-norecurse.pcapng); start_capture "$f" "$dns_filter"
dig_lab @127.0.0.1 A www.lab.example +noedns +norecurse
dig_lab @127.0.0.1 AAAA www.lab.example +noedns +norecurse
stop_capture "$f"

f=$(cap ws-wrong-server.pcapng); start_capture "$f" "$dns_filter"
dig_lab @127.0.0.4 A www.lab.example +noedns
dig_lab @127.0.0.4 AAAA www.lab.example +noedns
stop_capture "$f"

f=$(cap ws-nodata.pcapng); start_capture "$f" "$dns_filter"
dig_lab @127.0.0.1 A v4only.lab.example +noedns
dig_lab @127.0.0.1 AAAA v4only.lab.example +noedns
stop_capture "$f"

f=$(cap ws-missing-aaaa.pcapng); start_capture "$f" "$dns_filter"
dig_lab @127.0.0.1 A www.lab.example +noedns
stop_capture "$f"

# --- lab 2: own DNS client (host www.lab.example, server 127.0.0.1, type A) -------------
# Two lookups per run (www, then mail) so that "the same ID for every lookup" shows.
# Timeout 1 s to keep the script fast; client-timeout-5s.pcapng uses the real 5 s.

lookups=(www.lab.example mail.lab.example)
for prog in ok le_qtype le_header no_root_label wrong_counts id_zero same_id trailing rd0; do
    f=$(cap "client-${prog//_/-}.pcapng"); start_capture "$f" "$client_filter"
    client "client_$prog.py" --server 127.0.0.1 --timeout 1 "${lookups[@]}"
    stop_capture "$f"
done

f=$(cap client-aaaa.pcap); start_capture "$f" "$client_filter" -P
client client_ok.py --server 127.0.0.1 --timeout 1 --type AAAA www.lab.example
stop_capture "$f"

f=$(cap client-wrong-server.pcapng); start_capture "$f" "$client_filter"
client client_wrong_server.py --server 127.0.0.1 --timeout 1 www.lab.example
stop_capture "$f"

# No server answers on 127.0.0.5: the tries and their spacing show.
for prog in ok retry_other_question no_spacing four_tries; do
    f=$(cap "client-unanswered-${prog//_/-}.pcapng"); start_capture "$f" "$client_filter"
    client "client_$prog.py" --server 127.0.0.5 --timeout 1 www.lab.example
    stop_capture "$f"
done

f=$(cap client-timeout-5s.pcapng); start_capture "$f" "$client_filter"
client client_ok.py --server 127.0.0.5 --timeout 5 www.lab.example
stop_capture "$f"

# --- lab 3: iterative resolver (host www.lab.example, root 127.0.0.2) -------------------

resolver() { python3 "$here/clients/resolver.py" --port "$port" "$@" >/dev/null; }

f=$(cap iter-pass.pcapng); start_capture "$f" "$dns_filter"
resolver --root 127.0.0.2 www.lab.example
stop_capture "$f"

f=$(cap iter-cname.pcapng); start_capture "$f" "$dns_filter"
resolver --root 127.0.0.2 --type AAAA web.lab.example
stop_capture "$f"

f=$(cap iter-rd1.pcapng); start_capture "$f" "$dns_filter"
resolver --root 127.0.0.2 --mistake rd1 www.lab.example
stop_capture "$f"

f=$(cap iter-skip.pcapng); start_capture "$f" "$dns_filter"
resolver --root 127.0.0.2 --mistake skip --skip-to 127.0.0.4 www.lab.example
stop_capture "$f"

# A file that is not a capture, for the "could not be read" path (exit 2).
printf 'this is not a capture\n' >"$(cap not-a-capture.pcap)"

echo "captures written to $out"
