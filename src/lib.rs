//! dnslens: reads packet captures offline and shows every DNS exchange in them.
//!
//! The pipeline has one module per layer, and dependencies only point downwards:
//! `capture` (pcap/pcapng records) → `net` (link, IP, UDP/TCP) → `dns` (wire
//! format) → `txn` (query/response pairing) → `render` (tables, JSON).
//! `meta` is the small type that carries a message's context between them;
//! `app` wires the layers for each subcommand; `cli` holds the argument model.
//! `pipeline` is the reading half of a run (capture, `net`, the DNS walk), which
//! `app` runs on a thread of its own and hands batches of messages to the other
//! half (pairing, aggregation, output) on the calling thread.
#![forbid(unsafe_code)]

pub mod app;
pub mod capture;
pub mod check;
pub mod cli;
pub mod cmd;
pub mod dns;
pub mod error;
pub mod hash;
pub mod meta;
pub mod net;
pub mod pipeline;
pub mod progress;
pub mod render;
pub mod stats;
pub mod txn;
