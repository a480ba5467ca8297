#!/usr/bin/env python3
"""Interop test: dnslens's NDJSON loads as it is into DuckDB and Apache Spark,
and three independent readings of the corpus give the same numbers.

Each capture of the corpus goes through dnslens on its own (the scale-out
pattern of docs/scale-out.md), into a folder of per-capture outputs:

    OUT/transactions/<capture>.ndjson   dnslens --format ndjson <capture>
    OUT/messages/<capture>.ndjson       dnslens messages --format ndjson <capture>

Then the same questions are answered three ways:

  * dnslens: `dnslens stats` when the binary has it (counts and percentiles
    compared exactly); always, dnslens's own JSON read here
    in plain Python (the reference);
  * DuckDB SQL over the NDJSON folders (read_json);
  * Spark SQL over the same folders (spark.read.json), local[2], one session.

Questions:

  Q1 messages by kind (query/response/malformed), QTYPE and RCODE
  Q2 queries by QTYPE (queries with a question); Q3 responses by RCODE (what
     `dnslens stats` tabulates)
  Q4 per server (address:port the query went to): answered transactions,
     p50 and p99 RTT in ms
  and `dnslens check --format csv` (a gradebook file) on tests/labs/captures,
  read by DuckDB read_csv, Spark read.csv and Python csv, against check's JSON.

Percentiles are by NEAREST RANK: the p-th percentile of n sorted values is the
value of rank ceil(p*n/100) (1-based). No interpolation, so every engine picks
the same element and the numbers agree to the last digit. The ranks are
computed in SQL with integer arithmetic (ceil(p*n/100.0) cannot round wrongly:
p*n/100 is either an integer or at least 0.01 away from one).

Usage: interop.py --bin target/debug/dnslens [--corpus DIR] [--out DIR]
           [--no-spark] [--no-duckdb]
Exit 0 when every comparison agrees (or the corpus is absent: SKIP), 1 otherwise.
The last line is "interop: N passed, M failed".
"""

import argparse
import csv
import io
import json
import math
import os
import shutil
import subprocess
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path

CAPTURE_SUFFIXES = (".pcap", ".pcapng", ".cap", ".pcap.gz", ".pcapng.gz", ".cap.gz")
HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent


def log(msg):
    print(f"interop: {msg}", flush=True)


def find_corpus(arg):
    candidates = [Path(arg)] if arg else []
    candidates += [
        REPO / ".." / "shared" / "corpus" / "public",
        Path("/work/shared/corpus/public"),
    ]
    for c in candidates:
        if c.is_dir() and any(is_capture(p) for p in c.iterdir()):
            return c.resolve()
    return None


def is_capture(p):
    return p.is_file() and p.name.lower().endswith(CAPTURE_SUFFIXES)


# ---- running dnslens --------------------------------------------------------


def run_dnslens(binary, corpus, out):
    """One dnslens run per capture and listing, as a cluster worker would."""
    tx_dir, msg_dir = out / "transactions", out / "messages"
    for d in (tx_dir, msg_dir):
        shutil.rmtree(d, ignore_errors=True)
        d.mkdir(parents=True)
    captures = sorted(p for p in corpus.iterdir() if is_capture(p))
    unreadable = []
    for cap in captures:
        for args, d in (([], tx_dir), (["messages"], msg_dir)):
            target = d / (cap.name + ".ndjson")
            with open(target, "wb") as f:
                r = subprocess.run(
                    [str(binary), *args, "--quiet", "--format", "ndjson", str(cap)],
                    stdout=f,
                    stderr=subprocess.PIPE,
                )
            if r.returncode == 2:
                unreadable.append(cap.name)
            elif r.returncode != 0:
                raise SystemExit(f"dnslens failed on {cap}: {r.stderr.decode()}")
    return captures, sorted(set(unreadable))


def read_ndjson(folder):
    for path in sorted(folder.iterdir()):
        with open(path, encoding="utf-8") as f:
            for line in f:
                if line.strip():
                    yield json.loads(line)


# ---- the questions, in plain Python over dnslens's JSON (the reference) -----


def server_key(addr, port):
    return f"[{addr}]:{port}" if ":" in addr else f"{addr}:{port}"


def nearest_rank(sorted_values, p):
    n = len(sorted_values)
    rank = max(1, math.ceil(p * n / 100))
    return sorted_values[rank - 1]


def first_qtype(msg):
    q = msg.get("questionRRs") or []
    return q[0].get("TYPEname") if q else None


def reference(out):
    q1, q2, q3 = Counter(), Counter(), Counter()
    for ev in read_ndjson(out / "messages"):
        if ev["type"] != "message":
            continue
        m = ev["data"]
        if "QR" not in m:
            q1[("malformed", "", "")] += 1
            continue
        qtype = first_qtype(m) or "(none)"
        kind = "response" if m["QR"] == 1 else "query"
        q1[(kind, qtype, m["rcodeName"])] += 1
        if kind == "response":
            q3[m["rcodeName"]] += 1
        elif first_qtype(m) is not None:
            q2[qtype] += 1
    rtts = defaultdict(list)
    for ev in read_ndjson(out / "transactions"):
        if ev["type"] != "transaction":
            continue
        t = ev["data"]
        if t["status"] != "answered" or t.get("rttMs") is None or not t.get("query"):
            continue
        q = t["query"]
        rtts[server_key(q["destinationAddress"], q["destinationPort"])].append(t["rttMs"])
    q4 = {}
    for server, values in rtts.items():
        values.sort()
        q4[server] = (len(values), nearest_rank(values, 50), nearest_rank(values, 99))
    return {"Q1": dict(q1), "Q2": dict(q2), "Q3": dict(q3), "Q4": q4}


# ---- the same questions in SQL (DuckDB and Spark) ---------------------------

# {QTYPE} is the first question's TYPEname, NULL when there is none: DuckDB
# lists count from 1 and give NULL out of range; Spark (ANSI mode) counts from
# 0 and needs get() for NULL.
SQL_Q1 = """
SELECT CASE WHEN data.QR IS NULL THEN 'malformed'
            WHEN data.QR = 1 THEN 'response' ELSE 'query' END AS kind,
       CASE WHEN data.QR IS NULL THEN ''
            ELSE coalesce({QTYPE}, '(none)') END AS qtype,
       CASE WHEN data.QR IS NULL THEN '' ELSE data.rcodeName END AS rcode,
       count(*) AS n
FROM messages WHERE type = 'message'
GROUP BY 1, 2, 3
"""

SQL_Q2 = """
SELECT {QTYPE} AS qtype, count(*) AS n
FROM messages WHERE type = 'message' AND data.QR = 0 AND {QTYPE} IS NOT NULL
GROUP BY 1
"""

SQL_Q3 = """
SELECT data.rcodeName AS rcode, count(*) AS n
FROM messages WHERE type = 'message' AND data.QR = 1
GROUP BY 1
"""

SQL_Q4 = """
WITH t AS (
  SELECT CASE WHEN instr(data.query.destinationAddress, ':') > 0
              THEN concat('[', data.query.destinationAddress, ']:',
                          CAST(data.query.destinationPort AS STRING))
              ELSE concat(data.query.destinationAddress, ':',
                          CAST(data.query.destinationPort AS STRING)) END AS server,
         data.rttMs AS rtt
  FROM transactions
  WHERE type = 'transaction' AND data.status = 'answered'
    AND data.rttMs IS NOT NULL AND data.query IS NOT NULL
), r AS (
  SELECT server, rtt,
         row_number() OVER (PARTITION BY server ORDER BY rtt) AS rn,
         count(*) OVER (PARTITION BY server) AS n
  FROM t
)
SELECT server, max(n) AS n,
       max(CASE WHEN rn = CAST(ceil(50 * n / 100.0) AS BIGINT) THEN rtt END) AS p50,
       max(CASE WHEN rn = CAST(ceil(99 * n / 100.0) AS BIGINT) THEN rtt END) AS p99
FROM r GROUP BY server
"""


def sql_answers(query, qtype):
    """Runs the four questions through `query(sql) -> list of tuples`."""
    q1 = {(k, t, r): n for k, t, r, n in query(SQL_Q1.format(QTYPE=qtype))}
    q2 = {t: n for t, n in query(SQL_Q2.format(QTYPE=qtype))}
    q3 = {r: n for r, n in query(SQL_Q3)}
    q4 = {s: (n, p50, p99) for s, n, p50, p99 in query(SQL_Q4)}
    return {"Q1": q1, "Q2": q2, "Q3": q3, "Q4": q4}


def duckdb_answers(out):
    import duckdb

    con = duckdb.connect()
    for name in ("messages", "transactions"):
        glob = str(out / name / "*.ndjson")
        # As they are: newline-delimited JSON, schema detected from every record
        # and every file (union_by_name), no hints.
        con.execute(
            f"CREATE VIEW {name} AS SELECT * FROM read_json('{glob}', "
            "format='newline_delimited', sample_size=-1, union_by_name=true, "
            "maximum_object_size=16777216)"
        )
    result = sql_answers(lambda sql: con.execute(sql).fetchall(), "data.questionRRs[1].TYPEname")
    con.close()
    return result


def spark_session():
    from pyspark.sql import SparkSession

    # Everything stays on this machine: bind the driver to loopback.
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    return (
        SparkSession.builder.master("local[2]")
        .appName("dnslens-interop")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.shuffle.partitions", "4")
        .config("spark.driver.host", "127.0.0.1")
        .config("spark.driver.bindAddress", "127.0.0.1")
        .config("spark.driver.extraJavaOptions", "-Dlog4j2.level=error")
        .getOrCreate()
    )


def spark_answers(spark, out):
    for name in ("messages", "transactions"):
        # A folder of per-capture outputs, read as it is.
        spark.read.json(str(out / name)).createOrReplaceTempView(name)
    return sql_answers(
        lambda sql: [tuple(r) for r in spark.sql(sql).collect()],
        "get(data.questionRRs, 0).TYPEname",
    )


# ---- dnslens stats (when the binary has it) ---------------------------------


def has_stats(binary):
    # `dnslens stats --help` would succeed anyway ("stats" read as a file name).
    r = subprocess.run([str(binary), "help", "stats"], capture_output=True)
    return r.returncode == 0


def stats_rows(binary, captures, fmt):
    base = [str(binary), "stats", "--quiet", "--format", fmt]
    # Every key kept, not the top N (`--top 0`, when the binary has it).
    for extra in (["--top", "0"], []):
        r = subprocess.run([*base, *extra, *map(str, captures)], capture_output=True)
        if r.returncode in (0, 2):
            return r.stdout.decode()
    raise SystemExit(f"dnslens stats failed: {r.stderr.decode()}")


def stats_answers(binary, captures):
    """Queries by QTYPE, responses by RCODE, latency per server, from the
    NDJSON rows of `dnslens stats` ({"type":"stat","data":{"table":...}})."""
    rows = [
        ev["data"]
        for ev in map(json.loads, filter(str.strip, stats_rows(binary, captures, "ndjson").splitlines()))
        if ev.get("type") == "stat"
    ]
    q2 = {r["key"]: r["count"] for r in rows if r.get("table") == "qtype"}
    q3 = {r["key"]: r["count"] for r in rows if r.get("table") == "rcode"}
    q4 = {}
    for r in rows:
        if r.get("table") == "latencyServer" and r.get("retransmitted", "included") == "included":
            q4[r["key"]] = (r["count"], r.get("p50Ms"), r.get("p99Ms"))
    return {"Q2": q2, "Q3": q3, "Q4": q4}, rows


# ---- check's CSV (a gradebook file) -------------------------------------------


def check_outputs(binary, out):
    """`dnslens check` on the lab captures, as CSV and as JSON; None without them."""
    caps = REPO / "tests" / "labs" / "captures"
    rubric = REPO / "docs" / "labs" / "dns-client.toml"
    if not caps.is_dir() or not rubric.is_file():
        return None
    base = [str(binary), "check", "--lab", str(rubric), "--set", "host=www.lab.example",
            "--set", "server=127.0.0.1", "--set", "timeout=1", "--quiet"]
    csv_path = out / "check.csv"
    with open(csv_path, "wb") as f:
        subprocess.run([*base, "--format", "csv", str(caps)], stdout=f)
    doc = json.loads(subprocess.run([*base, "--format", "json", str(caps)],
                                    capture_output=True).stdout)
    rules = [r["name"] for r in doc["lab"]["rules"]]
    want = {}
    for sub in doc["submissions"]:
        # An unreadable submission has no rule results in JSON and 0 points in CSV.
        points = {rule: 0 for rule in rules}
        points.update({r["rule"]: (r["points"] if r["passed"] else 0) for r in sub.get("rules", [])})
        want[sub["file"]] = (sub["verdict"], sub["score"], sub.get("total"), points)
    return csv_path, rules, want


def check_rows(rows, rules):
    """(file, verdict, score, total, {rule: points}) from CSV rows as dicts of text."""
    got = {}
    for r in rows:
        num = lambda v: None if v in (None, "") else int(v)
        points = {rule: num(r[rule]) for rule in rules if num(r[rule]) is not None}
        got[r["file"]] = (r["verdict"], num(r["score"]), num(r["total"]), points)
    return got


# ---- comparing --------------------------------------------------------------


class Score:
    def __init__(self):
        self.passed = 0
        self.failed = 0

    def check(self, label, ok, detail=""):
        if ok:
            self.passed += 1
            log(f"ok   {label}")
        else:
            self.failed += 1
            log(f"FAIL {label}{': ' + detail if detail else ''}")


def diff(a, b):
    keys = sorted(set(a) | set(b), key=str)
    return "; ".join(f"{k}: {a.get(k)} vs {b.get(k)}" for k in keys if a.get(k) != b.get(k))[:2000]


def show(answers):
    log("Q1 messages by kind, QTYPE, RCODE:")
    for k, n in sorted(answers["Q1"].items(), key=lambda kv: (-kv[1], kv[0])):
        print(f"    {n:7d}  {' '.join(k)}")
    log("Q4 answered transactions per server: n, p50 ms, p99 ms (nearest rank):")
    for s, (n, p50, p99) in sorted(answers["Q4"].items(), key=lambda kv: (-kv[1][0], kv[0])):
        print(f"    {s:45s} {n:6d} {p50!r:>12} {p99!r:>12}")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--bin", required=True, help="the dnslens binary")
    ap.add_argument("--corpus", help="folder of captures (default: ../shared/corpus/public)")
    ap.add_argument("--out", default=None, help="work folder (default: target/interop)")
    ap.add_argument("--no-spark", action="store_true")
    ap.add_argument("--no-duckdb", action="store_true")
    args = ap.parse_args()

    binary = Path(args.bin).resolve()
    corpus = find_corpus(args.corpus)
    if corpus is None:
        print("SKIP: interop: corpus not found (../shared/corpus/public or /work/shared/corpus/public)")
        print("interop: 0 passed, 0 failed, 1 skipped")
        return 0
    target = Path(os.environ.get("CARGO_TARGET_DIR", REPO / "target"))
    out = Path(args.out) if args.out else target / "interop"
    out.mkdir(parents=True, exist_ok=True)

    t0 = time.time()
    captures, unreadable = run_dnslens(binary, corpus, out)
    log(f"{len(captures)} captures from {corpus} -> {out} ({time.time() - t0:.1f} s)")
    if unreadable:
        log(f"unreadable (exit 2, listed in their NDJSON): {', '.join(unreadable)}")

    score = Score()
    ref = reference(out)
    show(ref)
    score.check("reference has messages and servers", ref["Q1"] and ref["Q4"])

    checked = check_outputs(binary, out)
    csv_loaded = {}

    engines = {}
    if not args.no_duckdb:
        t = time.time()
        engines["DuckDB"] = duckdb_answers(out)
        if checked:
            import duckdb

            # As it is: header, RFC 4180 quoting; every column as text, to compare.
            rel = duckdb.sql(f"SELECT * FROM read_csv('{checked[0]}', header=true, all_varchar=true)")
            cols = rel.columns
            csv_loaded["DuckDB"] = [dict(zip(cols, row)) for row in rel.fetchall()]
        log(f"DuckDB answered in {time.time() - t:.1f} s")
    if not args.no_spark:
        t = time.time()
        spark = spark_session()
        spark.sparkContext.setLogLevel("ERROR")
        try:
            engines["Spark"] = spark_answers(spark, out)
            if checked:
                # RFC 4180 doubles quotes inside quoted fields; Spark's default
                # escape character is a backslash, so say so.
                df = (spark.read.option("header", True).option("escape", '"')
                      .csv(str(checked[0])))
                csv_loaded["Spark"] = [r.asDict() for r in df.collect()]
        finally:
            spark.stop()
        log(f"Spark answered in {time.time() - t:.1f} s (with start-up)")

    for engine, answers in engines.items():
        for q in ("Q1", "Q2", "Q3", "Q4"):
            score.check(
                f"{engine} {q} == dnslens JSON", answers[q] == ref[q], diff(answers[q], ref[q])
            )

    if checked:
        csv_path, rules, want = checked
        with open(csv_path, newline="", encoding="utf-8") as f:
            csv_loaded["Python csv"] = list(csv.DictReader(f))
        for engine, rows in csv_loaded.items():
            got = check_rows(rows, rules)
            score.check(f"{engine} reads check's CSV == check's JSON ({len(want)} submissions)",
                        got == want, diff(got, want))
    else:
        log("SKIP check CSV: tests/labs/captures or docs/labs/dns-client.toml not found")

    if has_stats(binary):
        got, rows = stats_answers(binary, captures)
        for q in ("Q2", "Q3"):
            score.check(f"dnslens stats {q} == dnslens JSON", got[q] == ref[q], diff(got[q], ref[q]))
        servers_ok = {s: v[0] for s, v in got["Q4"].items()} == {
            s: v[0] for s, v in ref["Q4"].items()
        }
        score.check("dnslens stats Q4 counts == dnslens JSON", servers_ok, diff(got["Q4"], ref["Q4"]))
        # Exact to the digit: stats keeps a count per microsecond value (its rows say
        # "exact": true while they fit its budget, as they do on the corpus).
        score.check(
            "dnslens stats Q4 percentiles == nearest rank, exact",
            {s: v[1:] for s, v in got["Q4"].items()} == {s: v[1:] for s, v in ref["Q4"].items()},
            diff(got["Q4"], ref["Q4"]),
        )
        score.check(
            "dnslens stats latency rows all say exact",
            all(r.get("exact") is True for r in rows if r.get("table", "").startswith("latency") and "p50Ms" in r),
        )
        # CSV: the same rows, loaded as they are by both engines.
        csv_path = out / "stats.csv"
        csv_path.write_text(stats_rows(binary, captures, "csv"))
        want = [(r["table"], r["key"], int(r["count"])) for r in csv.DictReader(io.StringIO(csv_path.read_text()))]
        score.check("stats CSV rows == stats JSON rows", want == [(r["table"], r["key"], r["count"]) for r in rows])
        if "DuckDB" in engines:
            import duckdb

            got_csv = duckdb.sql(
                f"SELECT \"table\", key, count FROM read_csv('{csv_path}', header=true, "
                "all_varchar=true)"
            ).fetchall()
            score.check("DuckDB read_csv(stats CSV)", [(a, b, int(c)) for a, b, c in got_csv] == want)
    else:
        log("dnslens has no `stats` subcommand yet: the dnslens answer is its JSON, read above")

    log(f"done in {time.time() - t0:.1f} s")
    print(f"interop: {score.passed} passed, {score.failed} failed")
    return 1 if score.failed else 0


if __name__ == "__main__":
    sys.exit(main())
