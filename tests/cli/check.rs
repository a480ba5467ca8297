//! `dnslens check` on the lab captures made by `tests/labs/make-lab-captures.sh` with
//! real tools (named, dig, the Python lab clients, dumpcap). Each rule of each lab rubric
//! is seen passing and failing; `tests/labs/captures/README.md` lists the same verdicts.

use std::path::{Path, PathBuf};

use crate::util::{run, TempDir};

fn captures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/labs/captures")
}

fn capture(name: &str) -> String {
    captures().join(name).display().to_string()
}

fn rubric(lab: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("docs/labs")
        .join(format!("{lab}.toml"))
        .display()
        .to_string()
}

/// Grades one capture with `-q --format json`; returns the exit code and the submission.
fn grade(lab: &str, sets: &[&str], file: &str) -> (i32, serde_json::Value) {
    let mut args = vec![
        "check".to_string(),
        "-q".into(),
        "--lab".into(),
        rubric(lab),
    ];
    for s in sets {
        args.push("--set".into());
        args.push((*s).to_string());
    }
    args.extend(["--format".into(), "json".into(), capture(file)]);
    let r = run(&args);
    assert_eq!(r.stderr, "", "{args:?}");
    let v: serde_json::Value =
        serde_json::from_str(&r.stdout).unwrap_or_else(|e| panic!("not JSON ({e}): {}", r.stdout));
    (r.code, v["submissions"][0].clone())
}

/// The names of the rules that failed.
fn failed(sub: &serde_json::Value) -> Vec<String> {
    sub["rules"]
        .as_array()
        .unwrap_or_else(|| panic!("no rules: {sub}"))
        .iter()
        .filter(|r| r["passed"] == false)
        .map(|r| r["rule"].as_str().unwrap_or_default().to_string())
        .collect()
}

/// The message of a failed rule.
fn message(sub: &serde_json::Value, rule: &str) -> String {
    sub["rules"]
        .as_array()
        .and_then(|rs| rs.iter().find(|r| r["rule"] == rule))
        .and_then(|r| r["message"].as_str())
        .unwrap_or_else(|| panic!("{rule} did not fail: {sub}"))
        .to_string()
}

/// Checks the failing rules, the verdict and the exit code.
fn expect(lab: &str, sets: &[&str], file: &str, failing: &[&str]) -> serde_json::Value {
    let (code, sub) = grade(lab, sets, file);
    assert_eq!(failed(&sub), failing, "{file} with {sets:?}: {sub:#}");
    let pass = failing.is_empty();
    assert_eq!(sub["verdict"], if pass { "pass" } else { "fail" }, "{file}");
    assert_eq!(code, if pass { 0 } else { 1 }, "{file}");
    sub
}

const WWW: [&str; 2] = ["host=www.lab.example", "server=127.0.0.1"];

// ---- lab 1: Wireshark tracing --------------------------------------------------------

#[test]
fn wireshark_pass() {
    let sub = expect("wireshark-tracing", &WWW, "ws-pass.pcapng", &[]);
    assert_eq!(sub["score"], 10);
    assert_eq!(sub["total"], 10);
    assert_eq!(sub["format"], "pcapng");
}

#[test]
fn wireshark_cname_is_followed() {
    expect(
        "wireshark-tracing",
        &["host=web.lab.example", "server=127.0.0.1"],
        "ws-cname.pcapng",
        &[],
    );
}

#[test]
fn wireshark_classic_pcap_fails_pcapng() {
    let sub = expect("wireshark-tracing", &WWW, "ws-classic.pcap", &["pcapng"]);
    assert_eq!(sub["format"], "pcap");
    assert!(message(&sub, "pcapng").starts_with("the file is classic pcap, not pcapng;"));
}

#[test]
fn wireshark_non_dns_frames_are_counted_and_named() {
    let sub = expect(
        "wireshark-tracing",
        &WWW,
        "ws-non-dns.pcapng",
        &["only-dns"],
    );
    let m = message(&sub, "only-dns");
    assert!(
        m.starts_with("12 frames are not DNS: 10 TCP (frames 3-12), 1 UDP (frame 13), 1 ICMP destination unreachable (frame 14)"),
        "{m}"
    );
}

#[test]
fn wireshark_unrelated_lookup_is_named() {
    let sub = expect(
        "wireshark-tracing",
        &WWW,
        "ws-extra-lookup.pcapng",
        &["only-asked-lookups"],
    );
    let m = message(&sub, "only-asked-lookups");
    assert!(m.contains("A mail.lab.example. (frames 3 and 4)"), "{m}");
}

#[test]
fn wireshark_edns_fails_no_edns() {
    let sub = expect("wireshark-tracing", &WWW, "ws-edns.pcapng", &["no-edns"]);
    let m = message(&sub, "no-edns");
    assert!(
        m.starts_with("the queries in frames 1 and 3 carry an EDNS OPT record (EDNS version 0, UDP size 1232, COOKIE)"),
        "{m}"
    );
    assert!(m.ends_with("add +noedns to the dig command."), "{m}");
}

#[test]
fn wireshark_norecurse_fails_rd() {
    let sub = expect(
        "wireshark-tracing",
        &WWW,
        "ws-norecurse.pcapng",
        &["recursion-desired"],
    );
    assert!(message(&sub, "recursion-desired").contains("frames 1 and 3 have RD=0"));
}

#[test]
fn wireshark_wrong_server_fails_queries_sent() {
    let sub = expect(
        "wireshark-tracing",
        &WWW,
        "ws-wrong-server.pcapng",
        &["queries-sent"],
    );
    let m = message(&sub, "queries-sent");
    assert!(
        m.contains("no query for A www.lab.example. was sent to 127.0.0.1 (frame 1 sent it to 127.0.0.4 port 53)"),
        "{m}"
    );
}

#[test]
fn wireshark_missing_lookup_fails_sent_and_answered() {
    expect(
        "wireshark-tracing",
        &WWW,
        "ws-missing-aaaa.pcapng",
        &["queries-sent", "answered"],
    );
}

#[test]
fn wireshark_nodata_fails_answered() {
    let sub = expect(
        "wireshark-tracing",
        &["host=v4only.lab.example", "server=127.0.0.1"],
        "ws-nodata.pcapng",
        &["answered"],
    );
    assert_eq!(
        message(&sub, "answered"),
        "the response in frame 4 to the query for AAAA v4only.lab.example. (frame 3) holds no AAAA record for v4only.lab.example."
    );
}

// ---- lab 2: own DNS client -----------------------------------------------------------

const CLIENT: [&str; 3] = ["host=www.lab.example", "server=127.0.0.1", "timeout=1"];
const UNANSWERED: [&str; 3] = ["host=www.lab.example", "server=127.0.0.5", "timeout=1"];

#[test]
fn client_pass() {
    let sub = expect("dns-client", &CLIENT, "client-ok.pcapng", &[]);
    assert_eq!(sub["score"], 12);
}

#[test]
fn client_aaaa_in_classic_pcap_passes() {
    expect(
        "dns-client",
        &["host=www.lab.example", "server=127.0.0.1", "type=AAAA"],
        "client-aaaa.pcap",
        &[],
    );
}

#[test]
fn client_little_endian_qtype_is_named_with_offset_and_bytes() {
    let sub = expect(
        "dns-client",
        &CLIENT,
        "client-le-qtype.pcapng",
        &["well-formed-query", "sent-to-server", "answered"],
    );
    assert_eq!(
        message(&sub, "well-formed-query"),
        "the query in frame 1, byte 29 (0x1d): QTYPE is 01 00 (URI), expected 00 01 (A) or 00 1c (AAAA): \
         that is A written little-endian; write QTYPE in network byte order (big-endian) (also frame 3)"
    );
}

#[test]
fn client_little_endian_header_is_named() {
    let sub = expect(
        "dns-client",
        &CLIENT,
        "client-le-header.pcapng",
        &["well-formed-query", "recursion-desired", "answered"],
    );
    let m = message(&sub, "well-formed-query");
    assert!(
        m.starts_with("the query in frame 1, byte 2 (0x02): the header is packed little-endian: flags are 00 01 (expected 01 00, RD set) and QDCOUNT is 01 00 = 256 (expected 00 01)"),
        "{m}"
    );
    assert!(message(&sub, "answered").contains("has RCODE FORMERR"));
}

#[test]
fn client_name_without_root_label_is_named() {
    let sub = expect(
        "dns-client",
        &CLIENT,
        "client-no-root-label.pcapng",
        &["well-formed-query", "sent-to-server", "answered"],
    );
    let m = message(&sub, "well-formed-query");
    assert!(
        m.starts_with("the query in frame 1, byte 28 (0x1c): the name www.lab.example has no root label: after its last label come 00 01 00 01"),
        "{m}"
    );
}

#[test]
fn client_wrong_counts_are_named() {
    let sub = expect(
        "dns-client",
        &CLIENT,
        "client-wrong-counts.pcapng",
        &["well-formed-query", "answered"],
    );
    let m = message(&sub, "well-formed-query");
    assert!(
        m.contains("byte 33 (0x21): the header claims 1 answer record but the message holds 0 (QDCOUNT 1, ANCOUNT 1, NSCOUNT 0, ARCOUNT 0)"),
        "{m}"
    );
}

#[test]
fn client_trailing_bytes_are_counted() {
    let sub = expect(
        "dns-client",
        &CLIENT,
        "client-trailing.pcapng",
        &["well-formed-query"],
    );
    let m = message(&sub, "well-formed-query");
    assert!(
        m.contains(
            "byte 33 (0x21): 479 bytes follow the last section (00 00 00 00 00 00 00 00 ...)"
        ),
        "{m}"
    );
}

#[test]
fn client_rd0_fails_rd() {
    expect(
        "dns-client",
        &CLIENT,
        "client-rd0.pcapng",
        &["recursion-desired"],
    );
}

#[test]
fn client_id_zero_fails_query_id() {
    let sub = expect(
        "dns-client",
        &CLIENT,
        "client-id-zero.pcapng",
        &["query-id"],
    );
    assert_eq!(
        message(&sub, "query-id"),
        "the queries in frames 1 and 3 have ID 0; pick a random ID for each lookup."
    );
}

#[test]
fn client_same_id_fails_query_id() {
    let sub = expect(
        "dns-client",
        &CLIENT,
        "client-same-id.pcapng",
        &["query-id"],
    );
    assert!(message(&sub, "query-id")
        .starts_with("both lookups (frames 1 and 3) use the same ID 0x1234"));
}

#[test]
fn client_wrong_server_gets_icmp_not_an_answer() {
    let sub = expect(
        "dns-client",
        &CLIENT,
        "client-wrong-server.pcapng",
        &["sent-to-server", "answered"],
    );
    assert!(message(&sub, "sent-to-server").contains("(frame 1 sent it to 127.0.0.53 port 53)"));
    assert!(message(&sub, "answered").contains(
        "drew an ICMP port unreachable from 127.0.0.53 (frame 6), which is not an answer"
    ));
}

#[test]
fn client_three_tries_one_second_apart_pass_retries() {
    let sub = expect(
        "dns-client",
        &UNANSWERED,
        "client-unanswered-ok.pcapng",
        &["answered"],
    );
    assert!(message(&sub, "answered").contains("ICMP port unreachable"));
}

#[test]
fn client_three_tries_five_seconds_apart_pass_retries() {
    expect(
        "dns-client",
        &["host=www.lab.example", "server=127.0.0.5"],
        "client-timeout-5s.pcapng",
        &["answered"],
    );
}

#[test]
fn client_retry_with_another_question_fails_retries() {
    let sub = expect(
        "dns-client",
        &UNANSWERED,
        "client-unanswered-retry-other-question.pcapng",
        &["retries", "answered"],
    );
    assert!(message(&sub, "retries").starts_with(
        "the retry in frame 3 asks A lab.example. but the first try (frame 1) asked A www.lab.example."
    ));
}

#[test]
fn client_retries_without_spacing_fail_retries() {
    let sub = expect(
        "dns-client",
        &UNANSWERED,
        "client-unanswered-no-spacing.pcapng",
        &["retries", "answered"],
    );
    let m = message(&sub, "retries");
    assert!(
        m.starts_with(
            "the retry in frame 3 went out 5 ms after the try in frame 1; wait the 1.0 s timeout"
        ),
        "{m}"
    );
}

#[test]
fn client_four_tries_fail_retries() {
    let sub = expect(
        "dns-client",
        &UNANSWERED,
        "client-unanswered-four-tries.pcapng",
        &["retries", "answered"],
    );
    assert_eq!(
        message(&sub, "retries"),
        "4 tries for A www.lab.example. (frames 1, 3, 5 and 7); the lab allows 3"
    );
}

// ---- lab 3: iterative resolver ---------------------------------------------------------

const ITER: [&str; 2] = ["host=www.lab.example", "root=127.0.0.2"];

#[test]
fn iterative_pass_reports_the_chain() {
    let sub = expect("iterative-resolver", &ITER, "iter-pass.pcapng", &[]);
    let note = sub["rules"]
        .as_array()
        .and_then(|rs| rs.iter().find(|r| r["rule"] == "follows-referrals"))
        .and_then(|r| r["note"].as_str())
        .unwrap_or_default()
        .to_string();
    assert_eq!(
        note,
        "chain: A www.lab.example.: 127.0.0.2 (referral to example.) -> 127.0.0.3 (referral to lab.example.) -> 127.0.0.4 (answer 192.0.2.80)"
    );
}

#[test]
fn iterative_cname_restart_passes() {
    expect(
        "iterative-resolver",
        &["host=web.lab.example", "type=AAAA", "root=127.0.0.2"],
        "iter-cname.pcapng",
        &[],
    );
}

#[test]
fn iterative_without_the_asked_answer_fails_reaches_answer() {
    // The resolver asked AAAA; the lab asked A.
    let sub = expect(
        "iterative-resolver",
        &["host=web.lab.example", "root=127.0.0.2"],
        "iter-cname.pcapng",
        &["reaches-answer"],
    );
    assert!(message(&sub, "reaches-answer").starts_with("no response answers A web.lab.example."));
}

#[test]
fn iterative_rd1_fails_iterative_queries() {
    let sub = expect(
        "iterative-resolver",
        &ITER,
        "iter-rd1.pcapng",
        &["iterative-queries"],
    );
    assert!(message(&sub, "iterative-queries").starts_with(
        "the queries in frames 1, 3 and 5 have RD=1 (recursion desired); the lab asks for RD=0"
    ));
}

#[test]
fn iterative_skipping_the_chain_fails() {
    let sub = expect(
        "iterative-resolver",
        &ITER,
        "iter-skip.pcapng",
        &["starts-at-root", "follows-referrals"],
    );
    assert_eq!(
        message(&sub, "starts-at-root"),
        "the first query for www.lab.example. (frame 1) went to 127.0.0.4, not to 127.0.0.2"
    );
}

#[test]
fn iterative_well_formed_queries_fail_on_a_malformed_query() {
    // The same built-in check as the client lab's, here on a client's bad query.
    let (_, sub) = grade("iterative-resolver", &ITER, "client-le-qtype.pcapng");
    assert!(failed(&sub).contains(&"well-formed-queries".to_string()));
}

// ---- --expect and friends --------------------------------------------------------------

fn expect_flags(file: &str) -> (i32, serde_json::Value) {
    let r = run([
        "check",
        "-q",
        "-f",
        "json",
        "--expect",
        "A:www.lab.example@127.0.0.1",
        "--expect",
        "AAAA:www.lab.example@127.0.0.1",
        "--no-edns",
        "--only-dns",
        "--pcapng",
        &capture(file),
    ]);
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    (r.code, v["submissions"][0].clone())
}

#[test]
fn expect_flags_grade_like_the_wireshark_rubric() {
    let (code, sub) = expect_flags("ws-pass.pcapng");
    assert_eq!(code, 0);
    assert_eq!(sub["score"], 6);
    for (file, rule) in [
        ("ws-edns.pcapng", "no-edns"),
        ("ws-classic.pcap", "pcapng"),
        ("ws-non-dns.pcapng", "only-dns"),
        ("ws-extra-lookup.pcapng", "only-expected-lookups"),
        ("ws-wrong-server.pcapng", "queries-sent"),
    ] {
        let (code, sub) = expect_flags(file);
        assert_eq!(code, 1, "{file}");
        assert_eq!(failed(&sub), [rule], "{file}");
    }
}

// ---- folders, formats, exit codes ------------------------------------------------------

/// A folder of submissions: two passing, one failing (in a subfolder), one unreadable.
fn submissions() -> TempDir {
    let dir = TempDir::new("check-folder");
    std::fs::create_dir_all(dir.path("late/bob")).unwrap();
    for (from, to) in [
        ("ws-pass.pcapng", "alice.pcapng"),
        ("ws-cname.pcapng", "carol.pcapng"),
        ("ws-edns.pcapng", "late/bob/dns.pcapng"),
        ("not-a-capture.pcap", "dave.pcap"),
    ] {
        std::fs::copy(captures().join(from), dir.path(to)).unwrap();
    }
    // Not a capture name: skipped in a folder run.
    std::fs::write(dir.path("notes.txt"), "not graded").unwrap();
    dir
}

#[test]
fn folder_run_is_recursive_lists_unreadable_files_and_exits_2() {
    let dir = submissions();
    // Run inside the folder, so the paths are short and the table rows do not wrap.
    let out = crate::util::bin()
        .current_dir(&dir.0)
        .args([
            "check",
            "--lab",
            &rubric("wireshark-tracing"),
            "--set",
            "host=www.lab.example",
            "--set",
            "server=127.0.0.1",
            "--color",
            "never",
            ".",
        ])
        .output()
        .unwrap();
    let r = crate::util::Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8(out.stdout).unwrap(),
        stderr: String::from_utf8(out.stderr).unwrap(),
    };
    assert_eq!(r.code, 2, "{}", r.stdout);
    let row = |name: &str| {
        r.stdout
            .lines()
            .find(|l| l.contains(name))
            .unwrap_or_else(|| panic!("no row for {name}:\n{}", r.stdout))
            .to_string()
    };
    assert!(row("alice.pcapng").contains("PASS") && row("alice.pcapng").contains("10/10"));
    assert!(row("carol.pcapng").contains("FAIL"), "{}", r.stdout);
    assert!(
        row("late/bob/dns.pcapng").contains("FAIL") && row("late/bob/dns.pcapng").contains("8/10")
    );
    assert!(row("dave.pcap").contains("UNREADABLE"));
    assert!(row("dave.pcap").contains("could not be read: not a packet capture"));
    assert!(!r.stdout.contains("notes.txt"));
    assert_eq!(
        r.stderr,
        "dnslens: 4 submissions: 1 passed, 2 failed, 1 could not be read\n"
    );
}

#[test]
fn exit_0_when_all_pass_and_1_when_one_fails() {
    let lab = rubric("wireshark-tracing");
    let base = [
        "check",
        "-q",
        "--lab",
        &lab,
        "--set",
        "host=www.lab.example",
        "--set",
        "server=127.0.0.1",
    ];
    let pass = capture("ws-pass.pcapng");
    let fail = capture("ws-edns.pcapng");
    let mut args: Vec<&str> = base.to_vec();
    args.push(&pass);
    assert_eq!(run(&args).code, 0);
    args.push(&fail);
    let r = run(&args);
    assert_eq!(r.code, 1);
    assert_eq!(r.stderr, "");
}

#[test]
fn csv_for_a_gradebook() {
    let dir = submissions();
    let r = run([
        "check",
        "-q",
        "-f",
        "csv",
        "--lab",
        &rubric("wireshark-tracing"),
        "--set",
        "host=www.lab.example",
        "--set",
        "server=127.0.0.1",
        &dir.0.display().to_string(),
    ]);
    assert_eq!(r.code, 2);
    let lines: Vec<&str> = r.stdout.split("\r\n").collect();
    assert_eq!(
        lines[0],
        "file,verdict,score,total,reasons,pcapng,only-dns,only-asked-lookups,queries-sent,recursion-desired,no-edns,answered"
    );
    let alice = lines.iter().find(|l| l.contains("alice")).unwrap();
    assert!(alice.ends_with(",pass,10,10,,1,1,1,2,1,2,2"), "{alice}");
    let bob = lines.iter().find(|l| l.contains("bob")).unwrap();
    assert!(
        bob.contains(",fail,8,10,\"no-edns: the queries in frames 1 and 3 carry"),
        "{bob}"
    );
    assert!(bob.ends_with(",1,1,1,2,1,0,2"), "{bob}");
    let dave = lines.iter().find(|l| l.contains("dave")).unwrap();
    assert!(
        dave.contains(",unreadable,0,10,could not be read"),
        "{dave}"
    );
}

#[test]
fn ndjson_streams_one_event_per_submission() {
    let dir = submissions();
    let r = run([
        "check",
        "-q",
        "-f",
        "ndjson",
        "--lab",
        &rubric("wireshark-tracing"),
        "--set",
        "host=www.lab.example",
        "--set",
        "server=127.0.0.1",
        &dir.0.display().to_string(),
    ]);
    let events: Vec<serde_json::Value> = r
        .stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let kinds: Vec<&str> = events.iter().map(|e| e["type"].as_str().unwrap()).collect();
    assert_eq!(
        kinds,
        [
            "lab",
            "submission",
            "submission",
            "submission",
            "submission",
            "summary"
        ]
    );
    assert_eq!(events[0]["data"]["name"], "wireshark-tracing");
    assert_eq!(events[5]["data"]["passed"], 1);
    assert_eq!(events[5]["data"]["unreadable"], 1);
}

// ---- rubric and usage errors -------------------------------------------------------------

#[test]
fn unknown_key_in_a_rubric_is_an_error_with_its_line() {
    let dir = TempDir::new("check-rubric");
    let text = std::fs::read_to_string(rubric("wireshark-tracing"))
        .unwrap()
        .replace("format = \"pcapng\"", "format = \"pcapng\"\npionts = 3");
    let path = dir.path("bad.toml");
    std::fs::write(&path, &text).unwrap();
    let line = text.lines().position(|l| l.starts_with("pionts")).unwrap() + 1;
    let r = run([
        "check",
        "--lab",
        &path.display().to_string(),
        "--set",
        "host=a.example",
        "--set",
        "server=192.0.2.1",
        &capture("ws-pass.pcapng"),
    ]);
    assert_eq!(r.code, 2);
    assert_eq!(r.stdout, "");
    assert!(
        r.stderr.starts_with(&format!(
            "dnslens: {}:{line}: unknown field `pionts`",
            path.display()
        )),
        "{}",
        r.stderr
    );
}

#[test]
fn missing_or_unknown_parameters_are_usage_errors() {
    let lab = rubric("dns-client");
    let file = capture("client-ok.pcapng");
    let r = run(["check", "--lab", &lab, "--set", "server=127.0.0.1", &file]);
    assert_eq!(r.code, 2);
    assert!(
        r.stderr
            .contains("parameter `host` is required: add --set host=..."),
        "{}",
        r.stderr
    );
    let r = run([
        "check",
        "--lab",
        &lab,
        "--set",
        "host=a.b",
        "--set",
        "server=127.0.0.1",
        "--set",
        "hots=x",
        &file,
    ]);
    assert_eq!(r.code, 2);
    assert!(
        r.stderr
            .contains("--set hots: the rubric has no parameter `hots`"),
        "{}",
        r.stderr
    );
    let r = run(["check", &file]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("nothing to check"), "{}", r.stderr);
}
