//! dnslens: reads packet captures offline and shows every DNS exchange in them.
//!
//! The pipeline has one module per layer, and dependencies only point downwards:
//! `capture` (pcap/pcapng records) → `net` (link, IP, UDP/TCP) → `dns` (wire
//! format) → `txn` (query/response pairing) → `render` (tables, JSON).
//! `app` wires the layers for each subcommand; `cli` holds the argument model.
#![forbid(unsafe_code)]

pub mod capture;
pub mod check;
pub mod dns;
pub mod net;
