//! TCP stream reassembly for DNS (RFC 1035 §4.2.2, RFC 7766): placeholder.

use std::net::IpAddr;

use super::{Ctx, Decoder, Diagnostic, Out, Stats, Ts};

pub(crate) struct Streams {}

impl Streams {
    pub(crate) fn new(
        _max_flows: usize,
        _max_buf: usize,
        _max_total: usize,
        _timeout: u32,
    ) -> Self {
        Self {}
    }
    pub(crate) fn expire(
        &mut self,
        _now: Ts,
        _stats: &mut Stats,
        _report: &mut dyn FnMut(Diagnostic),
    ) {
    }
    pub(crate) fn drain(&mut self, _stats: &mut Stats, _report: &mut dyn FnMut(Diagnostic)) {}
}

impl Decoder {
    pub(super) fn tcp_segment(
        &mut self,
        _ctx: &Ctx<'_>,
        _src: IpAddr,
        _dst: IpAddr,
        _b: &[u8],
        _out: &mut Out<'_>,
    ) {
    }
}
