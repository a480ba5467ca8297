//! Property tests of the DNS parser (issue 7):
//!
//! - arbitrary bytes (and mutated real messages) never panic, the walk ends,
//!   and every error offset lies inside the message (`offset <= len`: an error
//!   at `len` means "more bytes were needed here, at the end");
//! - a test-only encoder builds random valid messages (random names with
//!   arbitrary bytes, random compression pointers, every RR type the parser
//!   types, EDNS) and the parser reads back exactly what was encoded;
//! - name bounds: 255 octets, the hop limit, backward-only pointers.
#![allow(dead_code, unreachable_pub)]

use std::collections::HashMap;
use std::net::{Ipv4Addr, Ipv6Addr};

use dnslens::dns::{self, Entry, Message, Name, Rdata, Rtype};
use proptest::prelude::*;
use proptest::strategy::ValueTree;

/// `cases` per property; failures are kept in `proptest-regressions/`.
fn config(cases: u32) -> ProptestConfig {
    ProptestConfig {
        cases,
        failure_persistence: Some(Box::new(
            proptest::test_runner::FileFailurePersistence::Direct(
                "proptest-regressions/dns_props.txt",
            ),
        )),
        ..ProptestConfig::default()
    }
}

// ---------------------------------------------------------------------------
// Arbitrary bytes.

fn check_any(bytes: &[u8]) {
    let len = bytes.len();
    let msg = match Message::parse(bytes) {
        Ok(m) => m,
        Err(e) => {
            prop_assert_le(usize::from(e.offset), len, &e);
            return;
        }
    };
    let mut n = 0;
    for entry in msg.entries() {
        n += 1;
        assert!(
            n <= len / 5 + 1,
            "walk yields more entries than bytes allow"
        );
        match entry {
            Ok(Entry::Question(q)) => {
                assert!(q.name.to_string().is_ascii());
            }
            Ok(Entry::Record(_, r)) => {
                assert!(r.end() <= len);
                match r.data() {
                    Ok(d) => {
                        let s = d.to_string();
                        assert!(s.is_ascii() && !s.bytes().any(|b| b < 0x20 || b == 0x7f));
                    }
                    Err(e) => prop_assert_le(usize::from(e.offset), len, &e),
                }
            }
            Err(e) => prop_assert_le(usize::from(e.offset), len, &e),
        }
    }
    if let Some(Err(e)) = msg.opt() {
        prop_assert_le(usize::from(e.offset), len, &e);
    }
    if let Err(e) = msg.trailing() {
        prop_assert_le(usize::from(e.offset), len, &e);
    }
}

fn prop_assert_le(offset: usize, len: usize, e: &dns::Error) {
    assert!(
        offset <= len,
        "error offset {offset} > message length {len}: {e}"
    );
}

/// A real response from samples/dns.pcap (example.com A with EDNS), to mutate.
fn sample_messages() -> &'static [Vec<u8>] {
    static ALL: std::sync::OnceLock<Vec<Vec<u8>>> = std::sync::OnceLock::new();
    ALL.get_or_init(load_sample_messages)
}

fn load_sample_messages() -> Vec<Vec<u8>> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("samples/dns.pcapng");
    let a = dnslens::app::analyze(&path, &dnslens::app::Settings::default())
        .expect("samples/dns.pcapng reads");
    a.messages.into_iter().map(|m| m.bytes).collect()
}

proptest! {
    #![proptest_config(config(2000))]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..600)) {
        check_any(&bytes);
    }

    /// Random bytes behind a plausible header (counts 0-3) reach the name and
    /// RDATA code far more often than uniform bytes do.
    #[test]
    fn plausible_header_then_noise(
        counts in proptest::array::uniform4(0u8..4),
        body in proptest::collection::vec(
            prop_oneof![any::<u8>(), Just(0u8), Just(0xc0u8), 0u8..64],
            0..400,
        ),
    ) {
        let mut m = vec![0x12, 0x34, 0x81, 0x80];
        for c in counts {
            m.extend_from_slice(&[0, c]);
        }
        m.extend_from_slice(&body);
        check_any(&m);
    }

    #[test]
    fn mutated_sample_messages_never_panic(
        pick in any::<prop::sample::Index>(),
        edits in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..8),
        cut in any::<prop::sample::Index>(),
    ) {
        let all = sample_messages();
        let mut m = pick.get(all).clone();
        for (at, b) in edits {
            let i = at.index(m.len());
            m[i] = b;
        }
        check_any(&m);
        let c = cut.index(m.len() + 1);
        check_any(&m[..c]);
    }
}

// ---------------------------------------------------------------------------
// The test-only encoder.

type Labels = Vec<Vec<u8>>;

#[derive(Clone, Debug)]
enum RdataModel {
    A(Ipv4Addr),
    Aaaa(Ipv6Addr),
    Ns(Labels),
    Cname(Labels),
    Ptr(Labels),
    Dname(Labels),
    Mx(u16, Labels),
    Txt(Vec<Vec<u8>>),
    Spf(Vec<Vec<u8>>),
    Soa(Labels, Labels, [u32; 5]),
    Srv(u16, u16, u16, Labels),
    Hinfo(Vec<u8>, Vec<u8>),
    Rp(Labels, Labels),
    Afsdb(u16, Labels),
    Caa(u8, Vec<u8>, Vec<u8>),
    Naptr(u16, u16, Vec<u8>, Vec<u8>, Vec<u8>, Labels),
    Ds(bool, u16, u8, u8, Vec<u8>),
    Dnskey(bool, u16, u8, u8, Vec<u8>),
    Rrsig(u16, u8, u8, [u32; 3], u16, Labels, Vec<u8>),
    Nsec(Labels, Vec<u16>),
    Nsec3(u8, u8, u16, Vec<u8>, Vec<u8>, Vec<u16>),
    Nsec3param(u8, u8, u16, Vec<u8>),
    Tlsa(u8, u8, u8, Vec<u8>),
    Sshfp(u8, u8, Vec<u8>),
    Svcb(bool, u16, Labels, Vec<(u16, Vec<u8>)>),
    Uri(u16, u16, Vec<u8>),
    Loc(u8, u8, u8, u32, u32, u32),
    Tsig(Labels, u64, u16, Vec<u8>, u16, u16, Vec<u8>),
    Unknown(u16, Vec<u8>),
}

impl RdataModel {
    fn rtype(&self) -> Rtype {
        use RdataModel::*;
        match self {
            A(_) => Rtype::A,
            Aaaa(_) => Rtype::AAAA,
            Ns(_) => Rtype::NS,
            Cname(_) => Rtype::CNAME,
            Ptr(_) => Rtype::PTR,
            Dname(_) => Rtype::DNAME,
            Mx(..) => Rtype::MX,
            Txt(_) => Rtype::TXT,
            Spf(_) => Rtype::SPF,
            Soa(..) => Rtype::SOA,
            Srv(..) => Rtype::SRV,
            Hinfo(..) => Rtype::HINFO,
            Rp(..) => Rtype::RP,
            Afsdb(..) => Rtype::AFSDB,
            Caa(..) => Rtype::CAA,
            Naptr(..) => Rtype::NAPTR,
            Ds(cds, ..) => {
                if *cds {
                    Rtype::CDS
                } else {
                    Rtype::DS
                }
            }
            Dnskey(cdnskey, ..) => {
                if *cdnskey {
                    Rtype::CDNSKEY
                } else {
                    Rtype::DNSKEY
                }
            }
            Rrsig(..) => Rtype::RRSIG,
            Nsec(..) => Rtype::NSEC,
            Nsec3(..) => Rtype::NSEC3,
            Nsec3param(..) => Rtype::NSEC3PARAM,
            Tlsa(..) => Rtype::TLSA,
            Sshfp(..) => Rtype::SSHFP,
            Svcb(https, ..) => {
                if *https {
                    Rtype::HTTPS
                } else {
                    Rtype::SVCB
                }
            }
            Uri(..) => Rtype::URI,
            Loc(..) => Rtype::LOC,
            Tsig(..) => Rtype::TSIG,
            Unknown(t, _) => Rtype(*t),
        }
    }
}

#[derive(Clone, Debug)]
struct RecordModel {
    owner: Labels,
    class: u16,
    ttl: u32,
    data: RdataModel,
}

#[derive(Clone, Debug)]
struct OptModel {
    udp: u16,
    ext_rcode_hi: u8,
    version: u8,
    dnssec_ok: bool,
    options: Vec<(u16, Vec<u8>)>,
}

#[derive(Clone, Debug)]
struct MessageModel {
    id: u16,
    flags: u16,
    questions: Vec<(Labels, u16, u16)>,
    sections: [Vec<RecordModel>; 3],
    opt: Option<OptModel>,
    /// Drives the compression choices.
    compress_seed: u64,
}

struct Encoder {
    buf: Vec<u8>,
    /// Every name suffix written uncompressed so far, and where.
    suffixes: HashMap<Labels, usize>,
    rng: u64,
    pointers: usize,
}

impl Encoder {
    fn coin(&mut self) -> bool {
        self.rng ^= self.rng << 13;
        self.rng ^= self.rng >> 7;
        self.rng ^= self.rng << 17;
        self.rng % 4 != 0
    }

    fn u8(&mut self, v: u8) {
        self.buf.push(v);
    }
    fn u16(&mut self, v: u16) {
        self.buf.extend_from_slice(&v.to_be_bytes());
    }
    fn u32(&mut self, v: u32) {
        self.buf.extend_from_slice(&v.to_be_bytes());
    }
    fn bytes(&mut self, v: &[u8]) {
        self.buf.extend_from_slice(v);
    }
    fn char_string(&mut self, v: &[u8]) {
        self.u8(v.len() as u8);
        self.bytes(v);
    }

    /// Writes a name, replacing a random known suffix by a pointer when
    /// `compress` (a random one of those that exist, not always the longest).
    fn name(&mut self, labels: &Labels, compress: bool) {
        for i in 0..=labels.len() {
            let suffix = labels[i..].to_vec();
            if compress && i < labels.len() {
                if let Some(&at) = self.suffixes.get(&suffix) {
                    if self.coin() {
                        self.u16(0xc000 | at as u16);
                        self.pointers += 1;
                        return;
                    }
                }
            }
            if i == labels.len() {
                self.u8(0);
                return;
            }
            if self.buf.len() < 0x3fff {
                self.suffixes.entry(suffix).or_insert(self.buf.len());
            }
            self.char_string(&labels[i]);
        }
    }

    fn type_bitmap(&mut self, types: &[u16]) {
        let mut windows: std::collections::BTreeMap<u8, [u8; 32]> = Default::default();
        for &t in types {
            let w = windows.entry((t >> 8) as u8).or_insert([0; 32]);
            let bit = usize::from(t & 0xff);
            w[bit / 8] |= 0x80 >> (bit % 8);
        }
        for (window, bits) in windows {
            let len = 32 - bits.iter().rev().take_while(|&&b| b == 0).count();
            self.u8(window);
            self.u8(len as u8);
            self.bytes(&bits[..len]);
        }
    }

    fn rdata(&mut self, d: &RdataModel) {
        use RdataModel::*;
        let c = d.rtype().decompresses_names();
        match d {
            A(a) => self.bytes(&a.octets()),
            Aaaa(a) => self.bytes(&a.octets()),
            Ns(n) | Cname(n) | Ptr(n) | Dname(n) => self.name(n, c),
            Mx(p, n) => {
                self.u16(*p);
                self.name(n, c);
            }
            Txt(s) | Spf(s) => s.iter().for_each(|s| self.char_string(s)),
            Soa(m, r, v) => {
                self.name(m, c);
                self.name(r, c);
                v.iter().for_each(|&x| self.u32(x));
            }
            Srv(p, w, port, n) => {
                self.u16(*p);
                self.u16(*w);
                self.u16(*port);
                self.name(n, c);
            }
            Hinfo(cpu, os) => {
                self.char_string(cpu);
                self.char_string(os);
            }
            Rp(m, t) => {
                self.name(m, c);
                self.name(t, c);
            }
            Afsdb(s, n) => {
                self.u16(*s);
                self.name(n, c);
            }
            Caa(f, tag, value) => {
                self.u8(*f);
                self.char_string(tag);
                self.bytes(value);
            }
            Naptr(o, p, fl, sv, re, n) => {
                self.u16(*o);
                self.u16(*p);
                self.char_string(fl);
                self.char_string(sv);
                self.char_string(re);
                self.name(n, c);
            }
            Ds(_, t, a, dt, dig) => {
                self.u16(*t);
                self.u8(*a);
                self.u8(*dt);
                self.bytes(dig);
            }
            Dnskey(_, f, p, a, k) => {
                self.u16(*f);
                self.u8(*p);
                self.u8(*a);
                self.bytes(k);
            }
            Rrsig(tc, a, l, t, kt, signer, sig) => {
                self.u16(*tc);
                self.u8(*a);
                self.u8(*l);
                t.iter().for_each(|&x| self.u32(x));
                self.u16(*kt);
                self.name(signer, c);
                self.bytes(sig);
            }
            Nsec(n, types) => {
                self.name(n, c);
                self.type_bitmap(types);
            }
            Nsec3(h, f, it, salt, next, types) => {
                self.u8(*h);
                self.u8(*f);
                self.u16(*it);
                self.char_string(salt);
                self.char_string(next);
                self.type_bitmap(types);
            }
            Nsec3param(h, f, it, salt) => {
                self.u8(*h);
                self.u8(*f);
                self.u16(*it);
                self.char_string(salt);
            }
            Tlsa(u, s, m, data) => {
                self.u8(*u);
                self.u8(*s);
                self.u8(*m);
                self.bytes(data);
            }
            Sshfp(a, t, fp) => {
                self.u8(*a);
                self.u8(*t);
                self.bytes(fp);
            }
            Svcb(_, p, target, params) => {
                self.u16(*p);
                self.name(target, c);
                for (k, v) in params {
                    self.u16(*k);
                    self.u16(v.len() as u16);
                    self.bytes(v);
                }
            }
            Uri(p, w, t) => {
                self.u16(*p);
                self.u16(*w);
                self.bytes(t);
            }
            Loc(s, h, v, lat, lon, alt) => {
                self.u8(0);
                self.u8(*s);
                self.u8(*h);
                self.u8(*v);
                self.u32(*lat);
                self.u32(*lon);
                self.u32(*alt);
            }
            Tsig(alg, time, fudge, mac, orig, err, other) => {
                self.name(alg, c);
                self.bytes(&time.to_be_bytes()[2..]);
                self.u16(*fudge);
                self.u16(mac.len() as u16);
                self.bytes(mac);
                self.u16(*orig);
                self.u16(*err);
                self.u16(other.len() as u16);
                self.bytes(other);
            }
            Unknown(_, data) => self.bytes(data),
        }
    }

    fn record(&mut self, r: &RecordModel) {
        self.name(&r.owner, true);
        self.u16(r.data.rtype().0);
        self.u16(r.class);
        self.u32(r.ttl);
        let at = self.buf.len();
        self.u16(0);
        self.rdata(&r.data);
        let len = (self.buf.len() - at - 2) as u16;
        self.buf[at..at + 2].copy_from_slice(&len.to_be_bytes());
    }
}

fn encode(m: &MessageModel) -> (Vec<u8>, usize) {
    let mut e = Encoder {
        buf: Vec::new(),
        suffixes: HashMap::new(),
        rng: m.compress_seed | 1,
        pointers: 0,
    };
    e.u16(m.id);
    e.u16(m.flags);
    e.u16(m.questions.len() as u16);
    e.u16(m.sections[0].len() as u16);
    e.u16(m.sections[1].len() as u16);
    e.u16((m.sections[2].len() + usize::from(m.opt.is_some())) as u16);
    for (name, t, c) in &m.questions {
        e.name(name, true);
        e.u16(*t);
        e.u16(*c);
    }
    for (i, section) in m.sections.iter().enumerate() {
        for r in section {
            e.record(r);
        }
        if i == 2 {
            if let Some(o) = &m.opt {
                e.u8(0);
                e.u16(Rtype::OPT.0);
                e.u16(o.udp);
                e.u32(
                    u32::from(o.ext_rcode_hi) << 24
                        | u32::from(o.version) << 16
                        | if o.dnssec_ok { 0x8000 } else { 0 },
                );
                let len: usize = o.options.iter().map(|(_, d)| 4 + d.len()).sum();
                e.u16(len as u16);
                for (code, data) in &o.options {
                    e.u16(*code);
                    e.u16(data.len() as u16);
                    e.bytes(data);
                }
            }
        }
    }
    (e.buf, e.pointers)
}

// ---------------------------------------------------------------------------
// Generators.

/// Labels: often from a small pool (so that suffixes repeat and compression
/// happens), sometimes arbitrary bytes (dots, backslashes, control bytes).
fn label() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        3 => prop::sample::select(vec![
            b"com".to_vec(), b"example".to_vec(), b"www".to_vec(), b"a".to_vec(),
            b"Mail".to_vec(), b"ns1".to_vec(), b"_tcp".to_vec(),
        ]),
        1 => proptest::collection::vec(any::<u8>(), 1..64),
    ]
}

fn name() -> impl Strategy<Value = Labels> {
    proptest::collection::vec(label(), 0..6).prop_map(|mut v| {
        // Keep within 255 octets.
        while v.iter().map(|l| l.len() + 1).sum::<usize>() + 1 > 255 {
            v.pop();
        }
        v
    })
}

fn bytes(max: usize) -> impl Strategy<Value = Vec<u8>> {
    proptest::collection::vec(any::<u8>(), 0..max)
}

fn char_string() -> impl Strategy<Value = Vec<u8>> {
    bytes(40)
}

fn types() -> impl Strategy<Value = Vec<u16>> {
    proptest::collection::btree_set(prop_oneof![0u16..300, Just(32768u16), Just(65535u16)], 0..6)
        .prop_map(|s| s.into_iter().collect())
}

fn svc_params() -> impl Strategy<Value = Vec<(u16, Vec<u8>)>> {
    (
        proptest::option::of(any::<u16>()),
        proptest::option::of(proptest::collection::vec(any::<[u8; 4]>(), 1..3)),
        proptest::collection::btree_map(65280u16..65535, bytes(10), 0..3),
    )
        .prop_map(|(port, v4, other)| {
            let mut v = Vec::new();
            if let Some(p) = port {
                v.push((3, p.to_be_bytes().to_vec()));
            }
            if let Some(h) = v4 {
                v.push((4, h.concat()));
            }
            v.extend(other);
            v
        })
}

fn loc_digit() -> impl Strategy<Value = u8> {
    (0u8..10, 0u8..10).prop_map(|(a, b)| a << 4 | b)
}

fn rdata() -> impl Strategy<Value = RdataModel> {
    use RdataModel::*;
    prop_oneof![
        any::<[u8; 4]>().prop_map(|a| A(a.into())),
        any::<[u8; 16]>().prop_map(|a| Aaaa(a.into())),
        name().prop_map(Ns),
        name().prop_map(Cname),
        name().prop_map(Ptr),
        name().prop_map(Dname),
        (any::<u16>(), name()).prop_map(|(p, n)| Mx(p, n)),
        proptest::collection::vec(char_string(), 0..4).prop_map(Txt),
        proptest::collection::vec(char_string(), 0..3).prop_map(Spf),
        (name(), name(), any::<[u32; 5]>()).prop_map(|(a, b, v)| Soa(a, b, v)),
        (any::<u16>(), any::<u16>(), any::<u16>(), name()).prop_map(|(a, b, c, n)| Srv(a, b, c, n)),
        (char_string(), char_string()).prop_map(|(a, b)| Hinfo(a, b)),
        (name(), name()).prop_map(|(a, b)| Rp(a, b)),
        (any::<u16>(), name()).prop_map(|(a, n)| Afsdb(a, n)),
        (any::<u8>(), "[a-z0-9]{1,15}", bytes(30)).prop_map(|(f, t, v)| Caa(f, t.into_bytes(), v)),
        (
            any::<u16>(),
            any::<u16>(),
            char_string(),
            char_string(),
            char_string(),
            name()
        )
            .prop_map(|(o, p, f, s, r, n)| Naptr(o, p, f, s, r, n)),
        (
            any::<bool>(),
            any::<u16>(),
            any::<u8>(),
            any::<u8>(),
            bytes(48)
        )
            .prop_map(|(c, t, a, d, g)| Ds(c, t, a, d, g)),
        (
            any::<bool>(),
            any::<u16>(),
            any::<u8>(),
            any::<u8>(),
            bytes(64)
        )
            .prop_map(|(c, f, p, a, k)| Dnskey(c, f, p, a, k)),
        (
            any::<u16>(),
            any::<u8>(),
            any::<u8>(),
            any::<[u32; 3]>(),
            any::<u16>(),
            name(),
            bytes(64)
        )
            .prop_map(|(tc, a, l, t, kt, s, sig)| Rrsig(tc, a, l, t, kt, s, sig)),
        (name(), types()).prop_map(|(n, t)| Nsec(n, t)),
        (
            any::<u8>(),
            any::<u8>(),
            any::<u16>(),
            char_string(),
            proptest::collection::vec(any::<u8>(), 1..33),
            types()
        )
            .prop_map(|(h, f, i, s, n, t)| Nsec3(h, f, i, s, n, t)),
        (any::<u8>(), any::<u8>(), any::<u16>(), char_string())
            .prop_map(|(h, f, i, s)| Nsec3param(h, f, i, s)),
        (any::<u8>(), any::<u8>(), any::<u8>(), bytes(40))
            .prop_map(|(u, s, m, d)| Tlsa(u, s, m, d)),
        (any::<u8>(), any::<u8>(), bytes(32)).prop_map(|(a, t, f)| Sshfp(a, t, f)),
        (any::<bool>(), any::<u16>(), name(), svc_params())
            .prop_map(|(h, p, t, v)| Svcb(h, p, t, v)),
        (any::<u16>(), any::<u16>(), bytes(40)).prop_map(|(p, w, t)| Uri(p, w, t)),
        (
            loc_digit(),
            loc_digit(),
            loc_digit(),
            (1u32 << 31) - 90 * 3_600_000..=(1u32 << 31) + 90 * 3_600_000,
            (1u32 << 31) - 180 * 3_600_000..=(1u32 << 31) + 180 * 3_600_000,
            any::<u32>(),
        )
            .prop_map(|(s, h, v, la, lo, al)| Loc(s, h, v, la, lo, al)),
        (
            name(),
            0u64..1 << 48,
            any::<u16>(),
            bytes(32),
            any::<u16>(),
            any::<u16>(),
            bytes(8)
        )
            .prop_map(|(a, t, f, m, o, e, x)| Tsig(a, t, f, m, o, e, x)),
        // Private-use types: always opaque.
        (65280u16..=65534, bytes(40)).prop_map(|(t, d)| Unknown(t, d)),
    ]
}

fn record() -> impl Strategy<Value = RecordModel> {
    (name(), rdata(), any::<u32>()).prop_map(|(owner, data, ttl)| RecordModel {
        owner,
        class: 1,
        ttl,
        data,
    })
}

fn opt() -> impl Strategy<Value = OptModel> {
    (
        any::<u16>(),
        any::<u8>(),
        any::<u8>(),
        any::<bool>(),
        // Local/experimental option codes: opaque to the validator.
        proptest::collection::vec((65001u16..=65534, bytes(12)), 0..3),
    )
        .prop_map(
            |(udp, ext_rcode_hi, version, dnssec_ok, options)| OptModel {
                udp,
                ext_rcode_hi,
                version,
                dnssec_ok,
                options,
            },
        )
}

fn message() -> impl Strategy<Value = MessageModel> {
    (
        any::<u16>(),
        any::<u16>(),
        proptest::collection::vec((name(), any::<u16>(), any::<u16>()), 0..3),
        proptest::collection::vec(record(), 0..5),
        proptest::collection::vec(record(), 0..3),
        proptest::collection::vec(record(), 0..3),
        proptest::option::of(opt()),
        any::<u64>(),
    )
        .prop_map(
            |(id, flags, questions, an, ns, ar, opt, compress_seed)| MessageModel {
                id,
                flags,
                questions,
                sections: [an, ns, ar],
                opt,
                compress_seed,
            },
        )
        // Question types must not be OPT-like surprises for nothing: any u16 is
        // fine for the parser; records keep their own types.
        .prop_filter("fits in 16 KiB (pointers reach 0x3fff)", |m| {
            encode(m).0.len() < 0x3fff
        })
}

// ---------------------------------------------------------------------------
// Reading back.

fn labels_of(n: &Name<'_>) -> Labels {
    n.labels().map(<[u8]>::to_vec).collect()
}

fn check_rdata(model: &RdataModel, got: &Rdata<'_>) {
    use RdataModel as M;
    let n = labels_of;
    let strings = |c: &dns::CharStrings<'_>| c.iter().map(<[u8]>::to_vec).collect::<Vec<_>>();
    let tys = |t: &dns::TypeBitmap<'_>| t.iter().map(|r| r.0).collect::<Vec<_>>();
    match (model, got) {
        (M::A(a), Rdata::A(b)) => assert_eq!(a, b),
        (M::Aaaa(a), Rdata::Aaaa(b)) => assert_eq!(a, b),
        (M::Ns(a), Rdata::Ns(b))
        | (M::Cname(a), Rdata::Cname(b))
        | (M::Ptr(a), Rdata::Ptr(b))
        | (M::Dname(a), Rdata::Dname(b)) => assert_eq!(a, &n(b)),
        (
            M::Mx(p, a),
            Rdata::Mx {
                preference,
                exchange,
            },
        ) => {
            assert_eq!((p, a), (preference, &n(exchange)))
        }
        (M::Txt(a), Rdata::Txt(b)) | (M::Spf(a), Rdata::Spf(b)) => assert_eq!(a, &strings(b)),
        (
            M::Soa(m, r, v),
            Rdata::Soa {
                mname,
                rname,
                serial,
                refresh,
                retry,
                expire,
                minimum,
            },
        ) => {
            assert_eq!((m, r), (&n(mname), &n(rname)));
            assert_eq!(v, &[*serial, *refresh, *retry, *expire, *minimum]);
        }
        (
            M::Srv(p, w, port2, t),
            Rdata::Srv {
                priority,
                weight,
                port,
                target,
            },
        ) => {
            assert_eq!((p, w, port2, t), (priority, weight, port, &n(target)))
        }
        (M::Hinfo(c, o), Rdata::Hinfo { cpu, os }) => assert_eq!((&c[..], &o[..]), (*cpu, *os)),
        (M::Rp(m, t), Rdata::Rp { mbox, txt }) => assert_eq!((m, t), (&n(mbox), &n(txt))),
        (M::Afsdb(s, h), Rdata::Afsdb { subtype, hostname }) => {
            assert_eq!((s, h), (subtype, &n(hostname)))
        }
        (M::Caa(f, t, v), Rdata::Caa { flags, tag, value }) => {
            assert_eq!((f, &t[..], &v[..]), (flags, *tag, *value))
        }
        (
            M::Naptr(o, p, f, s, r, rep),
            Rdata::Naptr {
                order,
                preference,
                flags,
                services,
                regexp,
                replacement,
            },
        ) => {
            assert_eq!((o, p), (order, preference));
            assert_eq!((&f[..], &s[..], &r[..]), (*flags, *services, *regexp));
            assert_eq!(rep, &n(replacement));
        }
        (
            M::Ds(false, t, a, d, g),
            Rdata::Ds {
                key_tag,
                algorithm,
                digest_type,
                digest,
            },
        )
        | (
            M::Ds(true, t, a, d, g),
            Rdata::Cds {
                key_tag,
                algorithm,
                digest_type,
                digest,
            },
        ) => {
            assert_eq!(
                (t, a, d, &g[..]),
                (key_tag, algorithm, digest_type, *digest)
            )
        }
        (
            M::Dnskey(false, f, p, a, k),
            Rdata::Dnskey {
                flags,
                protocol,
                algorithm,
                public_key,
            },
        )
        | (
            M::Dnskey(true, f, p, a, k),
            Rdata::Cdnskey {
                flags,
                protocol,
                algorithm,
                public_key,
            },
        ) => {
            assert_eq!((f, p, a, &k[..]), (flags, protocol, algorithm, *public_key))
        }
        (
            M::Rrsig(tc, a, l, t, kt, s, sig),
            Rdata::Rrsig {
                type_covered,
                algorithm,
                labels,
                original_ttl,
                expiration,
                inception,
                key_tag,
                signer,
                signature,
            },
        ) => {
            assert_eq!((tc, a, l), (&type_covered.0, algorithm, labels));
            assert_eq!(t, &[*original_ttl, *expiration, *inception]);
            assert_eq!((kt, s, &sig[..]), (key_tag, &n(signer), *signature));
        }
        (M::Nsec(nx, t), Rdata::Nsec { next, types }) => {
            assert_eq!((nx, t), (&n(next), &tys(types)))
        }
        (
            M::Nsec3(h, f, i, s, nx, t),
            Rdata::Nsec3 {
                hash_algorithm,
                flags,
                iterations,
                salt,
                next_hashed,
                types,
            },
        ) => {
            assert_eq!((h, f, i), (hash_algorithm, flags, iterations));
            assert_eq!((&s[..], &nx[..]), (*salt, *next_hashed));
            assert_eq!(t, &tys(types));
        }
        (
            M::Nsec3param(h, f, i, s),
            Rdata::Nsec3param {
                hash_algorithm,
                flags,
                iterations,
                salt,
            },
        ) => {
            assert_eq!(
                (h, f, i, &s[..]),
                (hash_algorithm, flags, iterations, *salt)
            )
        }
        (
            M::Tlsa(u, s, m, d),
            Rdata::Tlsa {
                usage,
                selector,
                matching_type,
                data,
            },
        ) => {
            assert_eq!((u, s, m, &d[..]), (usage, selector, matching_type, *data))
        }
        (
            M::Sshfp(a, t, f),
            Rdata::Sshfp {
                algorithm,
                fp_type,
                fingerprint,
            },
        ) => {
            assert_eq!((a, t, &f[..]), (algorithm, fp_type, *fingerprint))
        }
        (
            M::Svcb(false, p, t, v),
            Rdata::Svcb {
                priority,
                target,
                params,
            },
        )
        | (
            M::Svcb(true, p, t, v),
            Rdata::Https {
                priority,
                target,
                params,
            },
        ) => {
            assert_eq!((p, t), (priority, &n(target)));
            let got: Vec<(u16, Vec<u8>)> =
                params.iter().map(|x| (x.key, x.value.to_vec())).collect();
            assert_eq!(v, &got);
        }
        (
            M::Uri(p, w, t),
            Rdata::Uri {
                priority,
                weight,
                target,
            },
        ) => {
            assert_eq!((p, w, &t[..]), (priority, weight, *target))
        }
        (
            M::Loc(s, h, v, la, lo, al),
            Rdata::Loc {
                version,
                size,
                horiz_pre,
                vert_pre,
                latitude,
                longitude,
                altitude,
            },
        ) => {
            assert_eq!(*version, 0);
            assert_eq!((s, h, v), (size, horiz_pre, vert_pre));
            assert_eq!((la, lo, al), (latitude, longitude, altitude));
        }
        (
            M::Tsig(a, t, f, m, o, e, x),
            Rdata::Tsig {
                algorithm,
                time_signed,
                fudge,
                mac,
                original_id,
                error,
                other,
            },
        ) => {
            assert_eq!((a, t, f), (&n(algorithm), time_signed, fudge));
            assert_eq!(
                (&m[..], o, e, &x[..]),
                (*mac, original_id, &error.0, *other)
            );
        }
        (M::Unknown(t, d), Rdata::Unknown { rtype, data }) => {
            assert_eq!((t, &d[..]), (&rtype.0, *data))
        }
        (m, g) => panic!("encoded {m:?}, read back {g:?}"),
    }
}

fn check_roundtrip(model: &MessageModel, wire: &[u8]) {
    let msg = Message::parse(wire).expect("header");
    let h = msg.header();
    assert_eq!((h.id, h.flags), (model.id, model.flags));
    let mut questions = Vec::new();
    let mut records: [Vec<dns::Record<'_>>; 3] = Default::default();
    let mut entries = msg.entries();
    for e in entries.by_ref() {
        match e.unwrap_or_else(|e| panic!("walk failed: {e}\n{model:?}")) {
            Entry::Question(q) => questions.push(q),
            Entry::Record(s, r) => records[s as usize - 1].push(r),
        }
    }
    assert!(entries.is_complete());
    assert_eq!(entries.trailing(), 0);
    assert_eq!(questions.len(), model.questions.len());
    for (q, (name, t, c)) in questions.iter().zip(&model.questions) {
        assert_eq!((&labels_of(&q.name), t, c), (name, &q.qtype.0, &q.qclass.0));
    }
    let mut additional = records[2].clone();
    if model.opt.is_some() {
        additional.pop();
    }
    for (got, want) in [&records[0], &records[1], &additional]
        .into_iter()
        .zip(&model.sections)
    {
        assert_eq!(got.len(), want.len());
        for (r, m) in got.iter().zip(want) {
            assert_eq!(labels_of(&r.name), m.owner);
            assert_eq!(
                (r.rtype, r.class.0, r.ttl),
                (m.data.rtype(), m.class, m.ttl)
            );
            let data = r
                .data()
                .unwrap_or_else(|e| panic!("RDATA of {m:?} did not parse: {e}"));
            check_rdata(&m.data, &data);
            // Display never panics and is printable ASCII.
            let s = data.to_string();
            assert!(s.bytes().all(|b| (0x20..0x7f).contains(&b)), "{s:?}");
        }
    }
    match (&model.opt, msg.opt()) {
        (None, None) => {}
        (Some(o), Some(Ok(got))) => {
            assert_eq!(
                (o.udp, o.ext_rcode_hi, o.version, o.dnssec_ok, got.z),
                (
                    got.udp_payload_size,
                    got.ext_rcode_hi,
                    got.version,
                    got.dnssec_ok,
                    0
                )
            );
            let opts: Vec<(u16, Vec<u8>)> = got
                .options()
                .map(|x| x.map(|x| (x.code, x.data.to_vec())))
                .collect::<Result<_, _>>()
                .expect("options");
            assert_eq!(opts, o.options);
            let rcode = u16::from(o.ext_rcode_hi) << 4 | (model.flags & 0x000f);
            assert_eq!(msg.rcode().0, rcode);
        }
        (want, got) => panic!("OPT: encoded {want:?}, read {got:?}"),
    }
}

proptest! {
    #![proptest_config(config(1500))]

    #[test]
    fn encoded_messages_read_back_exactly(model in message()) {
        let (wire, _pointers) = encode(&model);
        check_roundtrip(&model, &wire);
        // And every prefix of a valid message fails cleanly, inside it.
        for cut in [wire.len() / 3, wire.len() / 2, wire.len().saturating_sub(1)] {
            check_any(&wire[..cut]);
        }
    }

    /// Names alone: random labels, written after random earlier names with
    /// random compression; the parser returns the exact labels and end.
    #[test]
    fn compressed_names_read_back(
        earlier in proptest::collection::vec(name(), 0..6),
        target in name(),
        seed in any::<u64>(),
    ) {
        let mut e = Encoder { buf: vec![0; 12], suffixes: HashMap::new(), rng: seed | 1, pointers: 0 };
        for n in &earlier {
            e.name(n, true);
        }
        let start = e.buf.len();
        e.name(&target, true);
        let end = e.buf.len();
        e.bytes(&[0xde, 0xad]); // whatever follows is not part of the name
        let (name, next) = Name::parse(&e.buf, start).expect("valid name");
        prop_assert_eq!(labels_of(&name), target.clone());
        prop_assert_eq!(next, end);
        prop_assert_eq!(name.wire_len(), target.iter().map(|l| l.len() + 1).sum::<usize>() + 1);
    }
}

#[test]
fn the_encoder_does_compress() {
    // A guard on the generator itself: across a fixed sample of models, many
    // pointers are written (otherwise the round trip would prove little).
    let mut runner = proptest::test_runner::TestRunner::deterministic();
    let strat = message();
    let mut pointers = 0;
    for _ in 0..200 {
        let m = strat.new_tree(&mut runner).expect("tree").current();
        pointers += encode(&m).1;
    }
    assert!(pointers > 100, "only {pointers} pointers in 200 messages");
}

// ---------------------------------------------------------------------------
// Name bounds, each pushed one past.

/// A message whose names start at 12: `hops` pointers chained backwards
/// before a final root, built as: root at 12, then pointer k at 13 + 2(k-1)
/// pointing at the previous one.
fn pointer_chain(hops: usize) -> (Vec<u8>, usize) {
    let mut m = vec![0u8; 12];
    m.push(0); // 12: root
    let mut prev = 12usize;
    for _ in 0..hops {
        let at = m.len();
        m.extend_from_slice(&(0xc000 | prev as u16).to_be_bytes());
        prev = at;
    }
    (m, prev)
}

#[test]
fn issue_7_pointer_hops_limit_holds_at_126_and_fails_at_127() {
    let (m, start) = pointer_chain(dns::name::MAX_POINTER_HOPS);
    let (name, next) = Name::parse(&m, start).expect("126 hops are accepted");
    assert!(name.is_root());
    assert_eq!(next, start + 2);
    let (m, start) = pointer_chain(dns::name::MAX_POINTER_HOPS + 1);
    let e = Name::parse(&m, start).expect_err("127 hops are refused");
    assert_eq!(e.kind, dns::ErrorKind::TooManyPointers);
    assert!(usize::from(e.offset) < m.len());
}

#[test]
fn issue_7_name_of_255_octets_passes_256_fails() {
    // 255 = 4 labels of 63 (4 x 64 = 256)... so: 3 x 63-byte labels (192) +
    // one 61-byte label (62) + root (1) = 255.
    let build = |last: usize| {
        let mut m = vec![0u8; 12];
        for len in [63, 63, 63, last] {
            m.push(len as u8);
            m.extend(std::iter::repeat_n(b'a', len));
        }
        m.push(0);
        m
    };
    let ok = build(61);
    let (name, next) = Name::parse(&ok, 12).expect("255 octets");
    assert_eq!((name.wire_len(), next), (255, ok.len()));
    let long = build(62);
    let e = Name::parse(&long, 12).expect_err("256 octets");
    assert_eq!(e.kind, dns::ErrorKind::NameTooLong);
}

#[test]
fn issue_7_name_over_255_through_pointers_fails() {
    // Each hop adds a 63-byte label: the 4th crosses 255 although no single
    // segment is long; the loop of pointers itself is cut by "backwards".
    let mut m = vec![0u8; 12];
    m.push(0);
    let mut prev = 12;
    for _ in 0..4 {
        let at = m.len();
        m.push(63);
        m.extend(std::iter::repeat_n(b'x', 63));
        m.extend_from_slice(&(0xc000 | prev as u16).to_be_bytes());
        prev = at;
    }
    let e = Name::parse(&m, prev).expect_err("4 x 64 + 1 octets");
    assert_eq!(e.kind, dns::ErrorKind::NameTooLong);
}

#[test]
fn issue_7_pointer_loops_and_forward_pointers_fail() {
    // Self pointer at 12; forward pointer 12 -> 14; two-name loop.
    let mut m = vec![0u8; 12];
    m.extend_from_slice(&[0xc0, 12]);
    assert!(matches!(
        Name::parse(&m, 12).unwrap_err().kind,
        dns::ErrorKind::PointerNotBackward { .. }
    ));
    let mut m = vec![0u8; 12];
    m.extend_from_slice(&[0xc0, 14, 0]);
    assert!(matches!(
        Name::parse(&m, 12).unwrap_err().kind,
        dns::ErrorKind::PointerNotBackward { .. }
    ));
    // 12: "a" -> ptr 16 ; 16: "b" -> ptr 12: the second hop is forward of
    // nothing but not before its segment (16), so it fails there.
    let mut m = vec![0u8; 12];
    m.extend_from_slice(&[1, b'a', 0xc0, 16, 1, b'b', 0xc0, 12]);
    let e = Name::parse(&m, 16).unwrap_err();
    assert!(
        matches!(e.kind, dns::ErrorKind::PointerNotBackward { .. }),
        "{e}"
    );
}

#[test]
fn issue_7_counts_are_never_trusted() {
    // Header claims 65535 of everything, the message holds one question: the
    // walk yields that question and one CountBeyondData, with no allocation
    // proportional to the counts (the walk holds no collection at all).
    let mut m = vec![
        0, 1, 0x81, 0x80, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    ];
    m.extend_from_slice(&[1, b'a', 0, 0, 1, 0, 1]);
    let msg = Message::parse(&m).expect("header");
    let all: Vec<_> = msg.entries().collect();
    assert_eq!(all.len(), 2);
    assert!(all[0].is_ok());
    let e = all[1].expect_err("count beyond data");
    assert!(
        matches!(e.kind, dns::ErrorKind::CountBeyondData { count: 65535, .. }),
        "{e}"
    );
    assert!(usize::from(e.offset) <= m.len());
}

// ---------------------------------------------------------------------------
// hickory-proto as a second opinion: wherever it parses a message, we parse it
// and agree on the header, the questions and the records.

type HName = hickory_proto::rr::Name;

fn hickory_labels(n: &HName) -> Labels {
    n.iter().map(<[u8]>::to_vec).collect()
}

/// Returns whether hickory accepted `bytes` (and then checks that we agree).
fn hickory_agrees(bytes: &[u8]) -> bool {
    use hickory_proto::op::MessageType;
    let Ok(theirs) = hickory_proto::op::Message::from_vec(bytes) else {
        return false;
    };
    let ours = Message::parse(bytes)
        .unwrap_or_else(|e| panic!("hickory accepts, we refuse the header: {e}"));
    let h = ours.header();
    assert_eq!(h.id, theirs.id());
    assert_eq!(h.qr(), theirs.message_type() == MessageType::Response);
    assert_eq!(h.opcode().0, u8::from(theirs.op_code()));
    assert_eq!(
        (h.aa(), h.tc(), h.rd(), h.ra(), h.ad(), h.cd()),
        (
            theirs.authoritative(),
            theirs.truncated(),
            theirs.recursion_desired(),
            theirs.recursion_available(),
            theirs.authentic_data(),
            theirs.checking_disabled()
        )
    );
    let mut questions = Vec::new();
    let mut records: [Vec<dns::Record<'_>>; 3] = Default::default();
    for e in ours.entries() {
        match e.unwrap_or_else(|e| panic!("hickory accepts, our walk fails: {e}")) {
            Entry::Question(q) => questions.push(q),
            Entry::Record(s, r) => records[s as usize - 1].push(r),
        }
    }
    assert_eq!(questions.len(), theirs.queries().len());
    for (q, t) in questions.iter().zip(theirs.queries()) {
        assert_eq!(labels_of(&q.name), hickory_labels(t.name()));
        assert_eq!(q.qtype.0, u16::from(t.query_type()));
        assert_eq!(q.qclass.0, u16::from(t.query_class()));
    }
    // hickory takes OPT out into `extensions()` (SIG(0) and TSIG too, but only
    // with its DNSSEC features, which we leave off); compare the additional
    // section without it.
    let additional: Vec<_> = records[2]
        .iter()
        .copied()
        .filter(|r| r.rtype != Rtype::OPT)
        .collect();
    for (ours, theirs) in [
        (&records[0], theirs.answers()),
        (&records[1], theirs.name_servers()),
        (&additional, theirs.additionals()),
    ] {
        assert_eq!(ours.len(), theirs.len(), "record count in {bytes:02x?}");
        for (r, t) in ours.iter().zip(theirs) {
            assert_eq!(labels_of(&r.name), hickory_labels(t.name()));
            assert_eq!(r.rtype.0, u16::from(t.record_type()));
            assert_eq!(r.class.0, u16::from(t.dns_class()));
            assert_eq!(r.ttl, t.ttl());
            hickory_rdata_agrees(r, t);
        }
    }
    assert_eq!(
        records[2].iter().filter(|r| r.rtype == Rtype::OPT).count(),
        usize::from(theirs.extensions().is_some())
    );
    if theirs.extensions().is_some() {
        assert_eq!(ours.rcode().0, u16::from(theirs.response_code()));
    }
    true
}

/// The typed RDATA of the common types, where both sides decode it.
fn hickory_rdata_agrees(r: &dns::Record<'_>, t: &hickory_proto::rr::Record) {
    use hickory_proto::rr::RData as H;
    let Ok(ours) = r.data() else {
        return;
    };
    match (ours, t.data()) {
        (Rdata::A(a), H::A(b)) => assert_eq!(a, b.0),
        (Rdata::Aaaa(a), H::AAAA(b)) => assert_eq!(a, b.0),
        (Rdata::Ns(a), H::NS(b)) => assert_eq!(labels_of(&a), hickory_labels(&b.0)),
        (Rdata::Cname(a), H::CNAME(b)) => assert_eq!(labels_of(&a), hickory_labels(&b.0)),
        (Rdata::Ptr(a), H::PTR(b)) => assert_eq!(labels_of(&a), hickory_labels(&b.0)),
        (
            Rdata::Mx {
                preference,
                exchange,
            },
            H::MX(b),
        ) => {
            assert_eq!(preference, b.preference());
            assert_eq!(labels_of(&exchange), hickory_labels(b.exchange()));
        }
        (Rdata::Txt(a), H::TXT(b)) => {
            let ours: Vec<&[u8]> = a.iter().collect();
            let theirs: Vec<&[u8]> = b.iter().map(|s| &s[..]).collect();
            assert_eq!(ours, theirs);
        }
        (
            Rdata::Soa {
                mname,
                rname,
                serial,
                ..
            },
            H::SOA(b),
        ) => {
            assert_eq!(labels_of(&mname), hickory_labels(b.mname()));
            assert_eq!(labels_of(&rname), hickory_labels(b.rname()));
            assert_eq!(serial, b.serial());
        }
        (
            Rdata::Srv {
                priority,
                weight,
                port,
                target,
            },
            H::SRV(b),
        ) => {
            assert_eq!(
                (priority, weight, port),
                (b.priority(), b.weight(), b.port())
            );
            assert_eq!(labels_of(&target), hickory_labels(b.target()));
        }
        _ => {}
    }
}

/// Every DNS message in samples/ and the shared corpus.
fn real_messages() -> Vec<Vec<u8>> {
    let manifest = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut dirs = vec![manifest.join("samples")];
    match [
        manifest.join("../shared/corpus/public"),
        "/work/shared/corpus/public".into(),
    ]
    .into_iter()
    .find(|p| p.is_dir())
    {
        Some(c) => dirs.push(c),
        None => println!("SKIP: shared corpus not found; samples/ only"),
    }
    let mut out = std::collections::BTreeSet::new();
    for dir in dirs {
        let Ok(rd) = std::fs::read_dir(&dir) else {
            continue;
        };
        let mut paths: Vec<_> = rd.flatten().map(|e| e.path()).collect();
        paths.sort();
        for p in paths {
            let n = p.to_string_lossy();
            if !(n.ends_with(".pcap") || n.ends_with(".pcapng") || n.ends_with(".gz")) {
                continue;
            }
            if let Ok(a) = dnslens::app::analyze(&p, &dnslens::app::Settings::default()) {
                out.extend(a.messages.into_iter().map(|m| m.bytes));
            }
        }
    }
    out.into_iter().collect()
}

#[test]
fn hickory_agrees_on_real_messages() {
    let all = real_messages();
    let accepted = all.iter().filter(|m| hickory_agrees(m)).count();
    println!(
        "hickory-proto accepted {accepted} of {} distinct real messages; we agree on all",
        all.len()
    );
    assert!(
        accepted * 2 > all.len(),
        "hickory should accept most real messages"
    );
}

proptest! {
    #![proptest_config(config(1000))]

    #[test]
    fn hickory_agrees_on_encoded_messages(model in message()) {
        let (wire, _) = encode(&model);
        hickory_agrees(&wire);
    }

    #[test]
    fn hickory_agrees_on_mutated_messages(
        pick in any::<prop::sample::Index>(),
        edits in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..4),
    ) {
        let all = sample_messages();
        let mut m = pick.get(all).clone();
        for (at, b) in edits {
            let i = at.index(m.len());
            m[i] = b;
        }
        hickory_agrees(&m);
    }
}
