#!/usr/bin/env bash
# Builds a large, real DNS capture for the benchmarks (issue 6).
#
#   benches/make-capture.sh [OUTPUT.pcap]      (default: target/bench/large.pcap)
#
# A real authoritative server (BIND 9 `named`) on loopback serves two zones: an
# unsigned one with many names (A, AAAA, CNAME chains, MX, big TXT) and one signed
# with dnssec-signzone (RRSIG, NSEC, DNSKEY). A real load generator (`dnsperf`) sends
# a fixed number of queries in six phases -- UDP and TCP, IPv4 and IPv6, without
# EDNS, with EDNS, with the DO bit -- about a tenth of them for names that do not
# exist (NXDOMAIN) or types that do not exist (NODATA). `tcpdump` on `lo` records
# everything on port 53 between the load generator and the server.
#
# Everything stays on loopback; the run is bounded (well under 5 minutes) and every
# process it starts is stopped on exit. Installs bind9, dnsperf, tcpdump and
# tshark with apt-get when missing (needs root for that, for tcpdump, and for port 53).
#
# Environment knobs (defaults in brackets):
#   SCALE [1]            multiply every phase's query count (0.1 for a quick try)
#   QPS [20000]          cap per dnsperf phase (queries/s); lower it if queries get lost
#   BENCH_V4 [127.0.53.1]  server's IPv4 address
#   BENCH_V6 [fd00:53:d15::1]  server's IPv6 address
#                        Both are added to lo for the run (and removed after) unless lo
#                        already has them. Dedicated addresses
#                        keep the run clear of any other DNS server on 127.0.0.1 / ::1,
#                        and the capture filter keeps others' traffic out.
#   NO_BREAKDOWN [0]     1: skip the tshark pass that counts messages by kind
#   KEEP_WORKDIR [0]     1: keep the zone files, named.conf and logs (path printed)
#
# The capture is never committed: target/ is ignored by git.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/.." && pwd)
out=${1:-$root/target/bench/large.pcap}
SCALE=${SCALE:-1}
QPS=${QPS:-20000}
V4=${BENCH_V4:-127.0.53.1}
V6=${BENCH_V6:-fd00:53:d15::1}
NO_BREAKDOWN=${NO_BREAKDOWN:-0}
KEEP_WORKDIR=${KEEP_WORKDIR:-0}

log() { printf '[make-capture %s] %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

# ---------------------------------------------------------------- tools
need_pkgs=()
command -v named >/dev/null || need_pkgs+=(bind9)
command -v dnssec-signzone >/dev/null || need_pkgs+=(bind9-utils)
command -v dnsperf >/dev/null || need_pkgs+=(dnsperf)
command -v tcpdump >/dev/null || need_pkgs+=(tcpdump)
command -v capinfos >/dev/null || need_pkgs+=(wireshark-common)
if [ "$NO_BREAKDOWN" != 1 ]; then command -v tshark >/dev/null || need_pkgs+=(tshark); fi
if [ ${#need_pkgs[@]} -gt 0 ]; then
    log "installing: ${need_pkgs[*]}"
    [ "$(id -u)" = 0 ] || die "need root to install ${need_pkgs[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${need_pkgs[@]}" >/dev/null
fi
PATH=$PATH:/usr/sbin:/sbin
[ "$(id -u)" = 0 ] || die "run as root (tcpdump on lo, named on port 53)"

# Port 53 on our addresses must be free (another named, a resolver, another bench run).
if ss -Hlnu "( sport = :53 )" | awk '{print $4}' | grep -Fxq -e "$V4:53" -e "[$V6]:53" -e "*:53" -e "0.0.0.0:53" -e "[::]:53"; then
    die "something already listens on port 53 at $V4 or [$V6]: ss -lnup 'sport = :53'"
fi

mkdir -p "$(dirname "$out")"
out=$(cd "$(dirname "$out")" && pwd)/$(basename "$out")
work=$(mktemp -d /tmp/dnslens-bench.XXXXXX)
named_pid='' tcpdump_pid='' perf_pid='' added_v4='' added_v6=''

cleanup() {
    local rc=$?
    for p in $perf_pid $tcpdump_pid $named_pid; do
        if [ -n "$p" ] && kill -0 "$p" 2>/dev/null; then
            kill -TERM "$p" 2>/dev/null || true
        fi
    done
    for p in $perf_pid $tcpdump_pid $named_pid; do
        [ -n "$p" ] && wait "$p" 2>/dev/null || true
    done
    if [ -n "$added_v4" ]; then ip addr del "$V4/32" dev lo 2>/dev/null || true; fi
    if [ -n "$added_v6" ]; then ip -6 addr del "$V6/128" dev lo 2>/dev/null || true; fi
    if [ "$KEEP_WORKDIR" = 1 ]; then log "work directory kept: $work"; else rm -rf "$work"; fi
    exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

if ! ip -4 addr show dev lo | grep -qw "inet $V4/[0-9]*"; then
    ip addr add "$V4/32" dev lo || die "cannot add $V4 to lo"
    added_v4=1
fi
if ! ip -6 addr show dev lo | grep -qw "inet6 $V6/128"; then
    ip -6 addr add "$V6/128" dev lo nodad || die "cannot add $V6 to lo"
    added_v6=1
fi

# ---------------------------------------------------------------- zones
# Deterministic content: awk's srand with a fixed seed.
log "writing zones in $work"
cd "$work"
mkdir keys

soa() {
    cat <<EOF
\$TTL 300
@   IN SOA ns1.$1. hostmaster.$1. ( 2026112201 3600 900 604800 300 )
    IN NS  ns1.$1.
    IN NS  ns2.$1.
ns1 IN A    127.0.53.1
ns1 IN AAAA ::1
ns2 IN A    127.0.53.2
EOF
}

# plain.example: 20000 hosts (A + AAAA), 4000 CNAMEs (some chained), 2000 MX, 600 big TXT.
{
    soa plain.example
    awk 'BEGIN {
        srand(6);
        for (i = 0; i < 20000; i++) {
            printf "h%d IN A 10.%d.%d.%d\n", i, int(i / 65536) % 256, int(i / 256) % 256, i % 256;
            printf "h%d IN AAAA 2001:db8:%x::%x\n", i, int(i / 256), i % 256;
            if (i % 10 == 0) printf "h%d IN A 10.200.%d.%d\n", i, int(i / 256) % 256, i % 256;
        }
        for (i = 0; i < 4000; i++) {
            if (i % 4 == 3) printf "c%d IN CNAME c%d\n", i, i - 1;       # chain of two
            else printf "c%d IN CNAME h%d\n", i, int(rand() * 20000);
        }
        printf "ext IN CNAME www.elsewhere.test.\n";                    # out-of-zone target
        for (i = 0; i < 2000; i++)
            printf "m%d IN MX 10 h%d\nm%d IN MX 20 h%d\nm%d IN A 10.250.%d.%d\n", i, i, i, i + 1, i, int(i / 256), i % 256;
        for (i = 0; i < 600; i++) {
            # 2 to 5 strings of 200 characters: 400..1000 bytes of TXT, so some
            # answers exceed 512 bytes (truncated without EDNS).
            n = 2 + i % 4; s = "";
            for (k = 0; k < n; k++) {
                t = "";
                for (j = 0; j < 20; j++) t = t sprintf("%010d", int(rand() * 1e9));
                s = s " \"" t "\"";
            }
            printf "t%d IN TXT%s\n", i, s;
        }
    }'
} >plain.example.zone

# secure.example: 6000 hosts, 1000 CNAMEs, 300 TXT, signed (ECDSA P-256, NSEC).
{
    soa secure.example
    awk 'BEGIN {
        srand(7);
        for (i = 0; i < 6000; i++) {
            printf "s%d IN A 10.100.%d.%d\n", i, int(i / 256) % 256, i % 256;
            printf "s%d IN AAAA 2001:db8:100:%x::%x\n", i, int(i / 256), i % 256;
        }
        for (i = 0; i < 1000; i++) printf "sc%d IN CNAME s%d\n", i, int(rand() * 6000);
        for (i = 0; i < 300; i++) {
            t = "";
            for (j = 0; j < 20; j++) t = t sprintf("%010d", int(rand() * 1e9));
            printf "st%d IN TXT \"v=bench1 %s\" \"%s\"\n", i, t, t;
        }
    }'
} >secure.example.zone

log "signing secure.example"
dnssec-keygen -q -K keys -a ECDSAP256SHA256 -f KSK -n ZONE secure.example >/dev/null
dnssec-keygen -q -K keys -a ECDSAP256SHA256 -n ZONE secure.example >/dev/null
dnssec-signzone -q -S -K keys -o secure.example -f secure.example.zone.signed \
    secure.example.zone >/dev/null

cat >named.conf <<EOF
options {
    directory "$work";
    pid-file "$work/named.pid";
    session-keyfile "$work/session.key";
    managed-keys-directory "$work";
    listen-on port 53 { $V4; };
    listen-on-v6 port 53 { $V6; };
    recursion no;
    allow-query { any; };
    notify no;
    dnssec-validation no;
    querylog no;
};
logging { category default { null; }; category lame-servers { null; }; };
zone "plain.example" { type primary; file "plain.example.zone"; };
zone "secure.example" { type primary; file "secure.example.zone.signed"; };
EOF
named-checkconf named.conf

# ---------------------------------------------------------------- query mix
# 40000 queries, shuffled with a fixed seed; dnsperf loops over the file.
awk 'BEGIN {
    srand(53);
    for (q = 0; q < 40000; q++) {
        r = rand();
        if      (r < 0.22) printf "h%d.plain.example A\n",    int(rand() * 20000);
        else if (r < 0.32) printf "h%d.plain.example AAAA\n", int(rand() * 20000);
        else if (r < 0.40) printf "c%d.plain.example A\n",    int(rand() * 4000);
        else if (r < 0.43) printf "m%d.plain.example MX\n",   int(rand() * 2000);
        else if (r < 0.47) printf "t%d.plain.example TXT\n",  int(rand() * 600);
        else if (r < 0.54) printf "nx%d.plain.example A\n",   int(rand() * 1e6);        # NXDOMAIN
        else if (r < 0.56) printf "h%d.plain.example SRV\n",  int(rand() * 20000);      # NODATA
        else if (r < 0.57) printf "ext.plain.example A\n";
        else if (r < 0.575) printf "plain.example SOA\n";
        else if (r < 0.58) printf "plain.example NS\n";
        else if (r < 0.72) printf "s%d.secure.example A\n",   int(rand() * 6000);
        else if (r < 0.78) printf "s%d.secure.example AAAA\n", int(rand() * 6000);
        else if (r < 0.82) printf "sc%d.secure.example A\n",  int(rand() * 1000);
        else if (r < 0.85) printf "st%d.secure.example TXT\n", int(rand() * 300);
        else if (r < 0.91) printf "nx%d.secure.example A\n",  int(rand() * 1e6);        # NXDOMAIN + NSEC
        else if (r < 0.93) printf "s%d.secure.example MX\n",  int(rand() * 6000);       # NODATA + NSEC
        else if (r < 0.935) printf "secure.example DNSKEY\n";
        else if (r < 0.94) printf "secure.example SOA\n";
        else if (r < 0.97) printf "www%d.other.test A\n",     int(rand() * 1000);       # REFUSED
        else               printf "h%d.plain.example ANY\n",  int(rand() * 20000);
    }
}' >queries.txt
nq=$(wc -l <queries.txt)

# ---------------------------------------------------------------- run
log "starting named on $V4 and [$V6] port 53"
named -g -n 1 -c "$work/named.conf" >named.log 2>&1 &
named_pid=$!
ok=0
for _ in $(seq 1 100); do
    if ! kill -0 "$named_pid" 2>/dev/null; then break; fi
    if grep -q 'running$' named.log; then ok=1; break; fi
    sleep 0.1
done
[ $ok = 1 ] || { tail -20 named.log >&2; die "named did not start"; }
grep -q "listening on IPv4 interface lo, $V4#53" named.log || die "named does not listen on $V4 (see $work/named.log)"
grep -q "listening on IPv6 interface lo, $V6#53" named.log || die "named does not listen on $V6 (see $work/named.log)"

log "starting tcpdump -> $out"
rm -f "$out"
tcpdump -i lo -n -s 0 -B 65536 -Z root -w "$out" \
    "port 53 and (host $V4 or host $V6)" >tcpdump.log 2>&1 &
tcpdump_pid=$!
ok=0
for _ in $(seq 1 100); do
    if grep -q 'listening on' tcpdump.log; then ok=1; break; fi
    kill -0 "$tcpdump_pid" 2>/dev/null || break
    sleep 0.1
done
[ $ok = 1 ] || { cat tcpdump.log >&2; die "tcpdump did not start"; }

# Phases: name, query count (before SCALE), dnsperf options.
phases=(
    "udp4-plain 300000 -s $V4 -m udp"
    "udp4-do    250000 -s $V4 -m udp -D"
    "udp6-edns  150000 -s $V6 -m udp -e"
    "udp6-do    100000 -s $V6 -m udp -D"
    "tcp4-do    100000 -s $V4 -m tcp -D -c 100"
    "tcp6-edns   80000 -s $V6 -m tcp -e -c 100"
)
total_sent=0 total_done=0 total_lost=0
for ph in "${phases[@]}"; do
    read -r name count opts <<<"$ph"
    n=$(awk -v c="$count" -v s="$SCALE" 'BEGIN { printf "%d", c * s }')
    [ "$n" -gt 0 ] || continue
    # Split the query file so that exactly n queries are sent.
    runs=$(( n / nq )); rest=$(( n % nq ))
    for part in full rest; do
        if [ $part = full ]; then
            [ $runs -gt 0 ] || continue
            qf=queries.txt; r=$runs
        else
            [ $rest -gt 0 ] || continue
            head -n "$rest" queries.txt >queries.rest; qf=queries.rest; r=1
        fi
        # shellcheck disable=SC2086
        dnsperf -c 16 $opts -d "$qf" -n "$r" -q 200 -Q "$QPS" -l 60 -t 2 \
            >"perf-$name-$part.log" 2>&1 &
        perf_pid=$!
        wait "$perf_pid" || { cat "perf-$name-$part.log" >&2; die "dnsperf $name failed"; }
        perf_pid=''
        sent=$(awk '/Queries sent:/ {print $3}' "perf-$name-$part.log")
        done_=$(awk '/Queries completed:/ {print $3}' "perf-$name-$part.log")
        lost=$(awk '/Queries lost:/ {print $3}' "perf-$name-$part.log")
        qps=$(awk '/Queries per second:/ {print $4}' "perf-$name-$part.log")
        log "$(printf '%-10s %-4s sent %7s completed %7s lost %5s  (%s q/s)' "$name" "$part" "$sent" "$done_" "$lost" "$qps")"
        # A server that answers nothing would turn the rest into a flood of timeouts
        # (and, over TCP, of refused connections): stop at once.
        [ "${done_:-0}" -gt 0 ] || die "no answers in phase $name (see $work/perf-$name-$part.log)"
        total_sent=$((total_sent + sent)); total_done=$((total_done + done_)); total_lost=$((total_lost + lost))
    done
done
sleep 1
kill -INT "$tcpdump_pid"
wait "$tcpdump_pid" || true
tcpdump_pid=''
kill -TERM "$named_pid"
wait "$named_pid" || true
named_pid=''

captured=$(awk '/packets captured/ {print $1}' tcpdump.log)
dropped=$(awk '/dropped by kernel/ {print $1}' tcpdump.log)
ifdropped=$(awk '/dropped by interface/ {print $1}' tcpdump.log)

# ---------------------------------------------------------------- summary
echo "== capture: $out"
echo "dnsperf: queries sent $total_sent, completed $total_done, lost $total_lost"
echo "tcpdump: $captured packets captured, ${dropped:-?} dropped by kernel${ifdropped:+, $ifdropped dropped by interface}"
if [ "${dropped:-1}" = 0 ]; then
    echo "tcpdump dropped 0 packets: the capture holds every packet on the wire"
else
    echo "WARNING: tcpdump dropped ${dropped:-an unknown number of} packets: lower QPS or raise -B"
fi
capinfos -c -s -u "$out" | sed -n '2,$p'
if [ "$NO_BREAKDOWN" != 1 ]; then
    # One tshark pass: COUNT(dns.id) counts DNS messages (several per TCP segment are
    # each counted; TCP is reassembled), the filters split them by kind.
    log "counting DNS messages by kind with tshark (one pass)"
    cols=(
        "all|dns.id"
        "queries|dns.flags.response == 0"
        "responses|dns.flags.response == 1"
        "UDP|udp && dns"
        "TCP|tcp && dns"
        "IPv4|ip && dns"
        "IPv6|ipv6 && dns"
        "EDNS (OPT)|dns.rr.udp_payload_size"
        "DO bit|dns.resp.z.do == 1"
        "with RRSIG|dns.resp.type == 46"
        "NXDOMAIN|dns.flags.rcode == 3"
        "truncated (TC)|dns.flags.truncated == 1"
    )
    args=()
    for c in "${cols[@]}"; do args+=("COUNT(dns.id)dns.id && ${c#*|}"); done
    ioarg=$(IFS=,; echo "io,stat,0,${args[*]}")
    tshark -n -q -r "$out" -z "$ioarg" >breakdown.txt 2>breakdown.err || { cat breakdown.err >&2; die "tshark failed"; }
    # The last data row of the io,stat table holds one count per column.
    row=$(grep -E '^\|[[:space:]]*0(\.0+)? <> ' breakdown.txt | tail -1)
    read -r -a vals <<<"$(echo "$row" | awk -F'|' '{ for (i = 3; i < NF; i++) { gsub(/ /, "", $i); printf "%s ", $i } }')"
    all=${vals[0]:-0}
    echo "DNS messages (tshark, TCP reassembled): $all"
    # Sidecar read by benches/bench.sh for messages/s.
    echo "$all" >"$out.messages"
    {
        printf '| %-16s | %10s | %6s |\n' "kind" "messages" "share"
        printf '|%s|%s|%s|\n' "------------------" "-----------:" "-------:"
        i=0
        for c in "${cols[@]}"; do
            v=${vals[$i]:-?}
            printf '| %-16s | %10s | %5s%% |\n' "${c%%|*}" "$v" \
                "$(awk -v v="$v" -v a="$all" 'BEGIN { if (a > 0) printf "%.1f", 100 * v / a; else print "?" }')"
            i=$((i + 1))
        done
    } | tee "$out.breakdown.md"
fi
