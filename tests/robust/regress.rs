//! Crashes found by the fuzz targets, each kept as a named test ("formerly a
//! panic" / abort). See docs/robustness.md.

use dnslens::app::Settings;

use super::analyze_bytes;
use super::gen::PcapWriter;

/// IPv6 with a valid Destination Options header whose next header is an
/// Authentication Header that is cut short. etherparse's lax parse stops at
/// the AH; its extension iterator then read the AH unchecked past the
/// validated bytes (out of bounds: an abort in debug builds, undefined
/// behaviour in release). Found by `capture_file`.
#[test]
fn issue_7_fuzz_ipv6_truncated_auth_header_after_valid_extension() {
    let mut ip = vec![0x60, 0, 0, 0];
    let payload: Vec<u8> = vec![
        51, 0, 1, 4, 0, 0, 0, 0, // Destination Options: next = AH (51), 8 bytes (PadN)
        17, 0xff, // AH: next = UDP, length says 1028 bytes; only 2 here
    ];
    ip.extend_from_slice(&(payload.len() as u16).to_be_bytes());
    ip.push(60); // next header: Destination Options
    ip.push(64);
    ip.extend_from_slice(&[0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]);
    ip.extend_from_slice(&[0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2]);
    ip.extend_from_slice(&payload);
    let mut w = PcapWriter::new(Vec::new()).unwrap();
    w.record(&ip).unwrap();
    let a = analyze_bytes(&w.into_inner(), &Settings::default()).expect("a capture");
    assert_eq!(a.summary.frames, 1);
    assert!(a.messages.is_empty());
}

/// The fuzzer's own input for the same crash (Ethernet, 802.1Q, IPv6 in
/// IPv6): the minimised bytes as libFuzzer saved them.
#[test]
fn issue_7_fuzz_capture_file_crash_d946393b() {
    let bytes = include_bytes!("fuzz-crashes/capture_file-d946393b");
    let a = analyze_bytes(bytes, &Settings::default()).expect("a capture");
    assert!(a.summary.frames >= 1);
}
