#!/usr/bin/env bash
# Side-by-side benchmark for issue 6, in ONE run, on one capture:
#
#   benches/bench.sh [CAPTURE.pcap]        (default: target/bench/large.pcap)
#
#   cat FILE > /dev/null                    the I/O floor (page cache warmed first)
#   tshark -T fields -e dns.id ... > /dev/null
#   dnsjit benches/dnsjit-pair.lua FILE     the fastest peer (header-only pairing; the
#                                           targets compare with this row)
#   dnsjit benches/dnsjit-pair.lua FILE question   the same, parsing each question too
#   floor tables-x2 FILE                    benches/floor.rs's `tables-x2` level: the least
#                                           of stats' work, std only, on two threads (not
#                                           a product; it shows what the machine allows)
#   dnslens stats FILE
#   dnslens stats FILE.pcapng               the same packets as pcapng (editcap copy)
#   dnslens --format ndjson FILE > /dev/null
#   dnslens FILE > table.txt
#
# Each command runs once under /usr/bin/time -v (wall time, CPU time, peak RSS). The
# Markdown table goes to stdout and to target/bench/results.md. The dnslens rows run
# only when the binary exists and the subcommand/option is there; otherwise 'skipped'.
#
# If the capture does not exist, benches/make-capture.sh builds it first. Missing tools
# (time, tshark, dnsjit, capinfos) are installed with apt-get.
#
# Environment knobs:
#   DNSLENS [target/release/dnslens]   the binary to time
#   BUILD [0]        1: `cargo build --release` first (CARGO_TARGET_DIR is honoured)
#   MESSAGES         DNS message count of the capture; default: read CAPTURE.messages
#                    (written by make-capture.sh), else the packet count from capinfos
#   SKIP_TSHARK [0]  1: skip the tshark row (it takes about a minute)
#   PCAPNG [1]       0: skip the `dnslens stats` row on a pcapng copy of the capture
#                    (made with editcap beside it, CAPTURE minus .pcap plus .pcapng)
#   FLOOR [1]        0: skip the floor row (built with `cargo bench --no-run`)
#   REPEAT [3]       runs of each fast command (all but tshark, which runs once); the
#                    run with the least wall time is kept (the machine may be shared)
#   RESULTS [target/bench/results.md]
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/.." && pwd)
file=${1:-$root/target/bench/large.pcap}
RESULTS=${RESULTS:-$root/target/bench/results.md}
BUILD=${BUILD:-0}
SKIP_TSHARK=${SKIP_TSHARK:-0}
PCAPNG=${PCAPNG:-1}
REPEAT=${REPEAT:-3}
FLOOR=${FLOOR:-1}

log() { printf '[bench %s] %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

# ---------------------------------------------------------------- tools
need=()
[ -x /usr/bin/time ] || need+=(time)
command -v capinfos >/dev/null || need+=(wireshark-common)
command -v dnsjit >/dev/null || need+=(dnsjit)
if [ "$SKIP_TSHARK" != 1 ]; then command -v tshark >/dev/null || need+=(tshark); fi
if [ ${#need[@]} -gt 0 ]; then
    log "installing: ${need[*]}"
    [ "$(id -u)" = 0 ] || die "need root to apt-get install ${need[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

if [ ! -f "$file" ]; then
    log "no capture at $file: building it with make-capture.sh"
    "$here/make-capture.sh" "$file"
fi
file=$(cd "$(dirname "$file")" && pwd)/$(basename "$file")

if [ "$BUILD" = 1 ]; then
    log "cargo build --release"
    (cd "$root" && cargo build --release --quiet)
fi
DNSLENS=${DNSLENS:-${CARGO_TARGET_DIR:-$root/target}/release/dnslens}

bytes=$(stat -c %s "$file")
if [ -n "${MESSAGES:-}" ]; then
    msgs=$MESSAGES; msgs_src="given"
elif [ -s "$file.messages" ]; then
    msgs=$(cat "$file.messages"); msgs_src="tshark count from make-capture.sh"
else
    msgs=$(capinfos -M -c -T "$file" | awk -F'\t' 'NR == 2 { print $2 }')
    msgs_src="packet count (capinfos): no $file.messages"
fi
[ "${msgs:-0}" -gt 0 ] 2>/dev/null || die "cannot tell the capture's message count"

tmp=$(mktemp -d /tmp/dnslens-bench-run.XXXXXX)
cleanup() { rm -rf "$tmp"; }
trap cleanup EXIT
mkdir -p "$(dirname "$RESULTS")"

# ---------------------------------------------------------------- measuring
# measure N NAME OUTFILE CMD...  -> runs CMD N times, keeps the fastest run, appends
# "NAME|status|wall|cpu|rss_kb" to rows (a failed run is reported at once).
rows=()
declare -A row_bytes=() # bytes read by a row, when not the capture's
measure() {
    local n=$1 name=$2 out=$3; shift 3
    local i best_wall='' best_cpu='' best_rss='' rc
    for i in $(seq 1 "$n"); do
        local tf="$tmp/time" ef="$tmp/err"
        rc=0
        log "running ($i/$n): $name"
        local t0=$EPOCHREALTIME t1
        /usr/bin/time -v -o "$tf" "$@" >"$out" 2>"$ef" || rc=$?
        t1=$EPOCHREALTIME
        local wall cpu rss
        # /usr/bin/time prints wall time to 10 ms only: take it from bash's clock.
        wall=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.4f", b - a }')
        cpu=$(awk -F': ' '/User time/ { u = $2 } /System time/ { s = $2 } END { print u + s }' "$tf")
        rss=$(awk -F': ' '/Maximum resident set size/ { print $2 }' "$tf")
        if [ $rc -ne 0 ]; then
            rows+=("$name|failed (exit $rc: $( { grep -v 'Running as user' "$ef" || true; } | head -1 | tr '|' '/'))|$wall|$cpu|$rss")
            return
        fi
        if [ -z "$best_wall" ] || awk -v a="$wall" -v b="$best_wall" 'BEGIN { exit !(a < b) }'; then
            best_wall=$wall best_cpu=$cpu
        fi
        # Peak RSS: the largest seen over the runs.
        if [ -z "$best_rss" ] || [ "$rss" -gt "$best_rss" ]; then best_rss=$rss; fi
    done
    local st=ok
    [ "$n" -gt 1 ] && st="ok (best of $n)"
    rows+=("$name|$st|$best_wall|$best_cpu|$best_rss")
}
skip() { rows+=("$1|skipped ($2)||||"); log "skipped: $1 ($2)"; }

load_before=$(cut -d' ' -f1-3 /proc/loadavg)
log "warming the page cache (cat, not timed)"
cat "$file" >/dev/null

measure "$REPEAT" "cat FILE > /dev/null" /dev/null cat "$file"

if [ "$SKIP_TSHARK" = 1 ]; then
    skip "tshark -T fields" "SKIP_TSHARK=1"
else
    measure 1 "tshark -T fields (6 fields)" /dev/null tshark -n -r "$file" -T fields \
        -e dns.id -e dns.qry.name -e dns.qry.type -e dns.flags.rcode -e dns.a -e dns.time
fi

measure "$REPEAT" "dnsjit pairing (dnsjit-pair.lua)" "$tmp/dnsjit.out" dnsjit "$here/dnsjit-pair.lua" "$file"
dnsjit_counts=$(cat "$tmp/dnsjit.out" 2>/dev/null || true)
measure "$REPEAT" "dnsjit pairing + question" /dev/null dnsjit "$here/dnsjit-pair.lua" "$file" question

# The floor under stats (benches/floor.rs), timed like the tools and next to
# dnsjit and stats (the host's speed moves over a run): one pass of its
# `tables-x2` level per run (REPEAT=1 inside; the script keeps the fastest run).
if [ "$FLOOR" = 1 ]; then
    floor_bin=$(cd "$root" && cargo bench --bench floor --no-run 2>&1 |
        sed -n 's/.*Executable benches\/floor.rs (\(.*\))/\1/p' | tail -1)
    if [ -n "$floor_bin" ]; then
        case $floor_bin in /*) ;; *) floor_bin=$root/$floor_bin ;; esac
        measure "$REPEAT" "floor tables-x2 (benches/floor.rs)" /dev/null \
            env REPEAT=1 "$floor_bin" --level tables-x2 "$file"
    else
        skip "floor tables-x2 (benches/floor.rs)" "cargo bench --bench floor --no-run failed"
    fi
fi

if [ ! -x "$DNSLENS" ]; then
    for n in "dnslens stats FILE" "dnslens --format ndjson FILE > /dev/null" "dnslens FILE > table.txt"; do
        skip "$n" "no binary at $DNSLENS"
    done
else
    if "$DNSLENS" stats --help >/dev/null 2>&1; then
        measure "$REPEAT" "dnslens stats FILE" "$tmp/stats.out" "$DNSLENS" stats "$file"
    else
        skip "dnslens stats FILE" "no stats subcommand yet"
    fi
    # The same packets as pcapng (what Wireshark and dumpcap write), made once with
    # editcap beside the capture: the other capture reader at this size.
    if [ "$PCAPNG" = 1 ] && "$DNSLENS" stats --help >/dev/null 2>&1; then
        ng=${file%.pcap}.pcapng
        if [ ! -s "$ng" ] || [ "$ng" -ot "$file" ]; then
            log "making the pcapng copy $ng (editcap -F pcapng)"
            editcap -F pcapng "$file" "$ng"
        fi
        cat "$ng" >/dev/null
        row_bytes["dnslens stats FILE.pcapng"]=$(stat -c %s "$ng")
        measure "$REPEAT" "dnslens stats FILE.pcapng" /dev/null "$DNSLENS" stats "$ng"
    fi
    if "$DNSLENS" --help 2>/dev/null | grep -q ndjson; then
        measure "$REPEAT" "dnslens --format ndjson FILE > /dev/null" /dev/null "$DNSLENS" --format ndjson "$file"
    else
        skip "dnslens --format ndjson FILE > /dev/null" "no ndjson format yet"
    fi
    if "$DNSLENS" --help >/dev/null 2>&1; then
        measure "$REPEAT" "dnslens FILE > table.txt" "$tmp/table.txt" "$DNSLENS" "$file"
        log "table output: $(wc -l <"$tmp/table.txt") lines, $(stat -c %s "$tmp/table.txt") bytes"
    else
        skip "dnslens FILE > table.txt" "binary does not run"
    fi
fi

# ---------------------------------------------------------------- report
field() { # field ROWPREFIX INDEX
    local r
    for r in "${rows[@]}"; do
        case $r in "$1"*"|ok"*) echo "$r" | cut -d'|' -f"$2"; return ;; esac
    done
}
cat_wall=$(field "cat FILE" 3)
tshark_wall=$(field "tshark" 3)
dnsjit_wall=$(field "dnsjit pairing (" 3)

{
    echo "## dnslens benchmark — $(date -u '+%Y-%m-%d %H:%M UTC')"
    echo
    echo "- capture: \`$(basename "$file")\`, $(awk -v b="$bytes" 'BEGIN { printf "%.1f MB", b / 1e6 }'), $(capinfos -M -c -T "$file" | awk -F'\t' 'NR == 2 { print $2 }') packets, **$msgs DNS messages** ($msgs_src)"
    echo "- machine: $(nproc) cores ($(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo)), $(uname -r), load average before the run: $load_before; page cache warm"
    echo "- tools: $(tshark --version 2>/dev/null | head -1 | sed 's/ (Git.*//'), dnsjit $(dpkg-query -W -f='${Version}' dnsjit 2>/dev/null || echo '?'), dnslens $(if [ -x "$DNSLENS" ]; then { "$DNSLENS" --version 2>/dev/null || echo '(no --version)'; } | head -1; else echo 'not built'; fi)"
    echo "- each command ran under \`/usr/bin/time -v\` (CPU time = user + system, peak RSS); wall time measured around it to the microsecond; tshark ran once, the others $REPEAT times (fastest run kept, with the largest peak RSS seen)"
    echo "- speed vs tshark = tool's msgs/s ÷ tshark's; time vs cat = tool's wall time ÷ cat's"
    echo
    echo "| command | status | wall s | CPU s | msgs/s | MB/s | speed vs tshark | time vs cat | peak RSS MB |"
    echo "|---|---|---:|---:|---:|---:|---:|---:|---:|"
    for r in "${rows[@]}"; do
        IFS='|' read -r name status wall cpu rss <<<"$r"
        if [ -z "$wall" ] || [ "${status#ok}" = "$status" ]; then
            echo "| \`$name\` | $status | | | | | | | |"
            continue
        fi
        awk -v n="$name" -v st="$status" -v w="$wall" -v c="$cpu" -v rss="$rss" -v m="$msgs" -v b="${row_bytes[$name]:-$bytes}" \
            -v tw="$tshark_wall" -v cw="$cat_wall" 'BEGIN {
            wd = (w > 0) ? w : 0.0001;
            mps = m / wd; mbs = b / 1e6 / wd;
            vs_t = (tw != "" && tw > 0) ? sprintf("%.1f×", tw / wd) : "";
            vs_c = (cw != "" && cw > 0) ? sprintf("%.1f×", wd / cw) : "";
            if (n ~ /^cat/) mps_s = "—"; else if (mps >= 1e6) mps_s = sprintf("%.2f M", mps / 1e6); else mps_s = sprintf("%.1f k", mps / 1e3);
            printf "| `%s` | %s | %.3f | %.2f | %s | %.0f | %s | %s | %.1f |\n", n, st, w, c, mps_s, mbs, vs_t, vs_c, rss / 1024;
        }'
    done
    echo
    [ -n "$dnsjit_counts" ] && echo "dnsjit-pair.lua counted: \`$dnsjit_counts\`" && echo
    # Targets from issue 6, checked when the dnslens rows exist.
    stats_wall=$(field "dnslens stats" 3); ndjson_wall=$(field "dnslens --format ndjson" 3)
    stats_rss=$(field "dnslens stats" 5); ndjson_rss=$(field "dnslens --format ndjson" 5); table_rss=$(field "dnslens FILE" 5)
    echo "### Targets (issue 6)"
    echo
    echo "| target | measured | verdict |"
    echo "|---|---|---|"
    check() { # label value-expression-ready: measured, pass(1/0/-)
        local verdict
        case $3 in 1) verdict="met" ;; 0) verdict="**not met**" ;; *) verdict="not measured yet" ;; esac
        echo "| $1 | $2 | $verdict |"
    }
    ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "" || b == "" || a <= 0) print ""; else { if (b <= 0) b = 0.0001; printf "%.2f", a / b } }'; }
    r=$(ratio "$dnsjit_wall" "$stats_wall")
    check "stats ≥ 3× dnsjit msgs/s" "${r:+$r×}" "$( [ -z "$r" ] && echo - || awk -v r="$r" 'BEGIN { print (r >= 3) ? 1 : 0 }')"
    r=$(ratio "$tshark_wall" "$stats_wall")
    check "stats ≥ 100× tshark msgs/s" "${r:+$r×}" "$( [ -z "$r" ] && echo - || awk -v r="$r" 'BEGIN { print (r >= 100) ? 1 : 0 }')"
    r=$(ratio "$stats_wall" "$cat_wall")
    check "stats time ≤ 3× cat" "${r:+$r×}" "$( [ -z "$r" ] && echo - || awk -v r="$r" 'BEGIN { print (r <= 3) ? 1 : 0 }')"
    r=$(ratio "$tshark_wall" "$ndjson_wall")
    check "ndjson ≥ 30× tshark msgs/s" "${r:+$r×}" "$( [ -z "$r" ] && echo - || awk -v r="$r" 'BEGIN { print (r >= 30) ? 1 : 0 }')"
    for pair in "stats:$stats_rss" "ndjson:$ndjson_rss" "table:$table_rss"; do
        v=${pair#*:}
        check "${pair%%:*} peak RSS < 64 MB" "$( [ -n "$v" ] && awk -v k="$v" 'BEGIN { printf "%.1f MB", k / 1024 }')" \
            "$( [ -z "$v" ] && echo - || awk -v k="$v" 'BEGIN { print (k < 65536) ? 1 : 0 }')"
    done
} | tee "$RESULTS"
log "results written to $RESULTS"
