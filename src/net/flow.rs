//! Flow keys: the addresses and ports of one direction of a conversation.

use std::fmt;
use std::net::IpAddr;

use super::Transport;

/// One direction of a transport conversation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct FlowKey {
    pub src: IpAddr,
    pub dst: IpAddr,
    pub sport: u16,
    pub dport: u16,
    pub transport: Transport,
}

impl FlowKey {
    pub fn new(src: IpAddr, sport: u16, dst: IpAddr, dport: u16, transport: Transport) -> Self {
        Self {
            src,
            dst,
            sport,
            dport,
            transport,
        }
    }

    /// The opposite direction.
    pub fn reversed(&self) -> Self {
        Self {
            src: self.dst,
            dst: self.src,
            sport: self.dport,
            dport: self.sport,
            transport: self.transport,
        }
    }

    /// The same conversation with a canonical direction: the server side
    /// (the lower port, then the lower address) as `dst`. Both directions
    /// of a conversation normalise to the same key.
    pub fn normalized(&self) -> Self {
        if (self.dport, self.dst) <= (self.sport, self.src) {
            *self
        } else {
            self.reversed()
        }
    }
}

impl fmt::Display for FlowKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let t = match self.transport {
            Transport::Udp => "UDP",
            Transport::Tcp => "TCP",
        };
        let ep = |f: &mut fmt::Formatter<'_>, a: IpAddr, p: u16| match a {
            IpAddr::V4(a) => write!(f, "{a}:{p}"),
            IpAddr::V6(a) => write!(f, "[{a}]:{p}"),
        };
        write!(f, "{t} ")?;
        ep(f, self.src, self.sport)?;
        write!(f, " -> ")?;
        ep(f, self.dst, self.dport)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::{Ipv4Addr, Ipv6Addr};

    #[test]
    fn both_directions_normalise_to_the_server_side() {
        let c = IpAddr::V4(Ipv4Addr::new(10, 0, 0, 2));
        let s = IpAddr::V4(Ipv4Addr::new(10, 0, 0, 1));
        let q = FlowKey::new(c, 40000, s, 53, Transport::Tcp);
        let r = q.reversed();
        assert_eq!(q.normalized(), q);
        assert_eq!(r.normalized(), q);
        assert_eq!(q.to_string(), "TCP 10.0.0.2:40000 -> 10.0.0.1:53");
    }

    #[test]
    fn ipv6_display_brackets_the_address() {
        let a = IpAddr::V6(Ipv6Addr::LOCALHOST);
        let k = FlowKey::new(a, 1, a, 53, Transport::Udp);
        assert_eq!(k.to_string(), "UDP [::1]:1 -> [::1]:53");
    }
}
