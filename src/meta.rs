//! Where a DNS message came from: file, frame, time and addresses.
//!
//! This is the glue type between the network layer (which finds DNS payloads in
//! frames) and the layers above it (pairing, rendering), which must not depend on
//! capture or link details.

use std::net::IpAddr;

use crate::capture::Timestamp;
use crate::net::{PortKind, Transport};

/// The context of one DNS message in a capture.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MessageMeta {
    /// Index of the file in the run's file list.
    pub file: u32,
    /// 1-based frame number, as Wireshark counts it (for TCP: where the last byte arrived).
    pub frame: u64,
    pub ts: Timestamp,
    pub src: IpAddr,
    pub dst: IpAddr,
    pub sport: u16,
    pub dport: u16,
    pub transport: Transport,
    pub port_kind: PortKind,
    /// The capture's snaplen cut this message: bytes are missing at the end.
    pub cut: bool,
}

impl MessageMeta {
    /// IANA protocol number, as RFC 8427's `ipProtocol`.
    pub fn ip_protocol(&self) -> u8 {
        match self.transport {
            Transport::Udp => 17,
            Transport::Tcp => 6,
        }
    }
}

/// A message kept past the frame it came in, for pairing: its context and an owned
/// copy of its bytes (the capture buffer is reused for the next frame).
#[derive(Clone, Debug)]
pub struct StoredMessage {
    pub meta: MessageMeta,
    pub bytes: Vec<u8>,
}
