//! Which addresses an outbound request must never reach.
//!
//! The table follows the IANA special-purpose registries (RFC 6890 and its
//! updates). IPv6 addresses that carry an IPv4 address (IPv4-mapped,
//! IPv4-compatible, NAT64, 6to4, Teredo) are judged by the address they
//! carry as well, since a dual-stack host or a translator delivers them to
//! it: `::ffff:127.0.0.1` is loopback.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use ipnet::{Ipv4Net, Ipv6Net};

/// Why an address is not a public destination.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum BlockedRange {
    /// `0.0.0.0`, `::`: "this host", which connects to the local machine.
    Unspecified,
    /// `0.0.0.0/8`: "this network".
    ThisNetwork,
    /// `127.0.0.0/8`, `::1`.
    Loopback,
    /// RFC 1918 private networks, and the deprecated IPv6 site-local `fec0::/10`.
    Private,
    /// IPv6 unique local addresses `fc00::/7` (the EC2 metadata service
    /// listens on `fd00:ec2::254`).
    UniqueLocal,
    /// `169.254.0.0/16` and `fe80::/10`; cloud metadata services live here
    /// (`169.254.169.254`).
    LinkLocal,
    /// `100.64.0.0/10`, carrier-grade NAT (Alibaba Cloud's metadata service
    /// is `100.100.100.200`).
    SharedAddressSpace,
    /// `224.0.0.0/4`, `ff00::/8`.
    Multicast,
    /// `255.255.255.255`.
    Broadcast,
    /// Documentation ranges: TEST-NET-1/2/3, `2001:db8::/32`, `3fff::/20`.
    Documentation,
    /// `198.18.0.0/15`, network benchmarking.
    Benchmarking,
    /// `192.0.0.0/24` and `2001::/23`: IETF protocol assignments (Oracle
    /// Cloud's metadata service is `192.0.0.192`).
    ProtocolAssignments,
    /// `240.0.0.0/4`, the 6to4 relay anycast `192.88.99.0/24`, the IPv6
    /// discard prefix, local-use NAT64 and everything outside global unicast
    /// `2000::/3`.
    Reserved,
}

impl BlockedRange {
    /// A stable snake_case name, for problem details and audit events.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Unspecified => "unspecified",
            Self::ThisNetwork => "this_network",
            Self::Loopback => "loopback",
            Self::Private => "private",
            Self::UniqueLocal => "unique_local",
            Self::LinkLocal => "link_local",
            Self::SharedAddressSpace => "shared_address_space",
            Self::Multicast => "multicast",
            Self::Broadcast => "broadcast",
            Self::Documentation => "documentation",
            Self::Benchmarking => "benchmarking",
            Self::ProtocolAssignments => "protocol_assignments",
            Self::Reserved => "reserved",
        }
    }
}

impl fmt::Display for BlockedRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

const fn v4(a: u8, b: u8, c: u8, d: u8, len: u8) -> Ipv4Net {
    Ipv4Net::new_assert(Ipv4Addr::new(a, b, c, d), len)
}

const fn v6(segments: [u16; 8], len: u8) -> Ipv6Net {
    let [a, b, c, d, e, f, g, h] = segments;
    Ipv6Net::new_assert(Ipv6Addr::new(a, b, c, d, e, f, g, h), len)
}

/// IPv4 ranges, most specific first (`192.0.0.0/24` before nothing broader).
const IPV4: &[(Ipv4Net, BlockedRange)] = &[
    (v4(0, 0, 0, 0, 32), BlockedRange::Unspecified),
    (v4(0, 0, 0, 0, 8), BlockedRange::ThisNetwork),
    (v4(10, 0, 0, 0, 8), BlockedRange::Private),
    (v4(100, 64, 0, 0, 10), BlockedRange::SharedAddressSpace),
    (v4(127, 0, 0, 0, 8), BlockedRange::Loopback),
    (v4(169, 254, 0, 0, 16), BlockedRange::LinkLocal),
    (v4(172, 16, 0, 0, 12), BlockedRange::Private),
    (v4(192, 0, 0, 0, 24), BlockedRange::ProtocolAssignments),
    (v4(192, 0, 2, 0, 24), BlockedRange::Documentation),
    (v4(192, 88, 99, 0, 24), BlockedRange::Reserved),
    (v4(192, 168, 0, 0, 16), BlockedRange::Private),
    (v4(198, 18, 0, 0, 15), BlockedRange::Benchmarking),
    (v4(198, 51, 100, 0, 24), BlockedRange::Documentation),
    (v4(203, 0, 113, 0, 24), BlockedRange::Documentation),
    (v4(224, 0, 0, 0, 4), BlockedRange::Multicast),
    (v4(255, 255, 255, 255, 32), BlockedRange::Broadcast),
    (v4(240, 0, 0, 0, 4), BlockedRange::Reserved),
];

/// IPv6 ranges inside or beside global unicast that are not public.
const IPV6: &[(Ipv6Net, BlockedRange)] = &[
    (v6([0, 0, 0, 0, 0, 0, 0, 0], 128), BlockedRange::Unspecified),
    (v6([0, 0, 0, 0, 0, 0, 0, 1], 128), BlockedRange::Loopback),
    (
        v6([0x64, 0xff9b, 1, 0, 0, 0, 0, 0], 48),
        BlockedRange::Reserved,
    ),
    (v6([0x100, 0, 0, 0, 0, 0, 0, 0], 64), BlockedRange::Reserved),
    (
        v6([0x2001, 0xdb8, 0, 0, 0, 0, 0, 0], 32),
        BlockedRange::Documentation,
    ),
    (
        v6([0x3fff, 0, 0, 0, 0, 0, 0, 0], 20),
        BlockedRange::Documentation,
    ),
    (
        v6([0x2001, 0, 0, 0, 0, 0, 0, 0], 23),
        BlockedRange::ProtocolAssignments,
    ),
    (
        v6([0x5f00, 0, 0, 0, 0, 0, 0, 0], 16),
        BlockedRange::Reserved,
    ),
    (
        v6([0xfc00, 0, 0, 0, 0, 0, 0, 0], 7),
        BlockedRange::UniqueLocal,
    ),
    (
        v6([0xfe80, 0, 0, 0, 0, 0, 0, 0], 10),
        BlockedRange::LinkLocal,
    ),
    (v6([0xfec0, 0, 0, 0, 0, 0, 0, 0], 10), BlockedRange::Private),
    (
        v6([0xff00, 0, 0, 0, 0, 0, 0, 0], 8),
        BlockedRange::Multicast,
    ),
];

const GLOBAL_UNICAST: Ipv6Net = v6([0x2000, 0, 0, 0, 0, 0, 0, 0], 3);
const NAT64: Ipv6Net = v6([0x64, 0xff9b, 0, 0, 0, 0, 0, 0], 96);
const SIX_TO_FOUR: Ipv6Net = v6([0x2002, 0, 0, 0, 0, 0, 0, 0], 16);
const TEREDO: Ipv6Net = v6([0x2001, 0, 0, 0, 0, 0, 0, 0], 32);

/// The range that makes `ip` unfit as an outbound destination, or `None` when
/// it is a public unicast address.
///
/// ```
/// use rampart_sanitize::validate::{BlockedRange, blocked_range};
///
/// assert_eq!(blocked_range("169.254.169.254".parse().unwrap()), Some(BlockedRange::LinkLocal));
/// assert_eq!(blocked_range("::ffff:127.0.0.1".parse().unwrap()), Some(BlockedRange::Loopback));
/// assert_eq!(blocked_range("93.184.215.14".parse().unwrap()), None);
/// ```
pub fn blocked_range(ip: IpAddr) -> Option<BlockedRange> {
    match ip {
        IpAddr::V4(ip) => blocked_v4(ip),
        IpAddr::V6(ip) => blocked_v6(ip),
    }
}

fn blocked_v4(ip: Ipv4Addr) -> Option<BlockedRange> {
    IPV4.iter()
        .find(|(net, _)| net.contains(&ip))
        .map(|&(_, range)| range)
}

fn blocked_v6(ip: Ipv6Addr) -> Option<BlockedRange> {
    if let Some(embedded) = embedded_v4(ip) {
        // The carrier prefix itself is fine (NAT64 and 6to4 are routable);
        // what matters is where the packet ends up.
        return blocked_v4(embedded);
    }
    if let Some(&(_, range)) = IPV6.iter().find(|(net, _)| net.contains(&ip)) {
        return Some(range);
    }
    if GLOBAL_UNICAST.contains(&ip) {
        None
    } else {
        Some(BlockedRange::Reserved)
    }
}

/// The IPv4 address an IPv6 address delivers to, where it has one.
fn embedded_v4(ip: Ipv6Addr) -> Option<Ipv4Addr> {
    let octets = ip.octets();
    let tail = Ipv4Addr::new(octets[12], octets[13], octets[14], octets[15]);
    if let Some(mapped) = ip.to_ipv4_mapped() {
        return Some(mapped);
    }
    // IPv4-compatible `::a.b.c.d` (deprecated, still honoured by some
    // stacks); `::` and `::1` are themselves, not 0.0.0.0 and 0.0.0.1.
    if octets[..12].iter().all(|&b| b == 0) && u32::from(tail) > 1 {
        return Some(tail);
    }
    if NAT64.contains(&ip) {
        return Some(tail);
    }
    if SIX_TO_FOUR.contains(&ip) {
        return Some(Ipv4Addr::new(octets[2], octets[3], octets[4], octets[5]));
    }
    if TEREDO.contains(&ip) {
        // RFC 4380: the client's public address, obfuscated by inversion.
        return Some(Ipv4Addr::from(!u32::from(tail)));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn range(text: &str) -> Option<BlockedRange> {
        blocked_range(text.parse().unwrap())
    }

    #[test]
    fn ipv4_special_ranges() {
        use BlockedRange::*;
        for (ip, expected) in [
            ("0.0.0.0", Unspecified),
            ("0.1.2.3", ThisNetwork),
            ("10.1.2.3", Private),
            ("100.64.0.1", SharedAddressSpace),
            ("100.100.100.200", SharedAddressSpace),
            ("100.127.255.255", SharedAddressSpace),
            ("127.0.0.1", Loopback),
            ("127.255.255.254", Loopback),
            ("169.254.169.254", LinkLocal),
            ("172.16.0.1", Private),
            ("172.31.255.255", Private),
            ("192.0.0.192", ProtocolAssignments),
            ("192.0.2.1", Documentation),
            ("192.88.99.1", Reserved),
            ("192.168.1.1", Private),
            ("198.18.0.1", Benchmarking),
            ("198.19.255.255", Benchmarking),
            ("198.51.100.7", Documentation),
            ("203.0.113.9", Documentation),
            ("224.0.0.1", Multicast),
            ("239.255.255.250", Multicast),
            ("240.0.0.1", Reserved),
            ("255.255.255.254", Reserved),
            ("255.255.255.255", Broadcast),
        ] {
            assert_eq!(range(ip), Some(expected), "{ip}");
        }
    }

    #[test]
    fn public_addresses_pass_including_range_edges() {
        for ip in [
            "1.1.1.1",
            "8.8.8.8",
            "9.255.255.255",
            "11.0.0.0",
            "100.63.255.255",
            "100.128.0.0",
            "126.255.255.255",
            "128.0.0.0",
            "169.253.255.255",
            "169.255.0.0",
            "172.15.255.255",
            "172.32.0.0",
            "192.0.1.0",
            "192.0.3.0",
            "192.167.255.255",
            "192.169.0.0",
            "198.17.255.255",
            "198.20.0.0",
            "223.255.255.255",
            "2606:4700:4700::1111",
            "2001:4860:4860::8888",
            "2a00:1450::1",
            "64:ff9b::8.8.8.8",
            "2002:0808:0808::1",
        ] {
            assert_eq!(range(ip), None, "{ip}");
        }
    }

    #[test]
    fn ipv6_special_ranges() {
        use BlockedRange::*;
        for (ip, expected) in [
            ("::", Unspecified),
            ("::1", Loopback),
            ("0000::1", Loopback),
            ("fe80::1", LinkLocal),
            ("febf::1", LinkLocal),
            ("fec0::1", Private),
            ("fc00::1", UniqueLocal),
            ("fd00:ec2::254", UniqueLocal),
            ("ff02::1", Multicast),
            ("2001:db8::1", Documentation),
            ("3fff::1", Documentation),
            ("100::1", Reserved),
            ("64:ff9b:1::1", Reserved),
            ("2001:10::1", ProtocolAssignments),
            ("5f00::1", Reserved),
            ("4000::1", Reserved),
            ("::a00:1", Private),
        ] {
            assert_eq!(range(ip), Some(expected), "{ip}");
        }
    }

    #[test]
    fn embedded_ipv4_is_judged_by_where_it_delivers() {
        use BlockedRange::*;
        for (ip, expected) in [
            ("::ffff:127.0.0.1", Loopback),
            ("0:0:0:0:0:ffff:127.0.0.1", Loopback),
            ("::ffff:a9fe:a9fe", LinkLocal),
            ("::ffff:0.0.0.0", Unspecified),
            ("::127.0.0.1", Loopback),
            ("::10.0.0.1", Private),
            ("64:ff9b::127.0.0.1", Loopback),
            ("64:ff9b::a9fe:a9fe", LinkLocal),
            ("2002:7f00:0001::1", Loopback),
            ("2002:c0a8:0101::", Private),
            // Teredo client 127.0.0.1, stored inverted as 0x80fffffe.
            ("2001:0:4136:e378:8000:63bf:80ff:fffe", Loopback),
        ] {
            assert_eq!(range(ip), Some(expected), "{ip}");
        }
    }

    #[test]
    fn names_are_stable() {
        assert_eq!(BlockedRange::LinkLocal.to_string(), "link_local");
        assert_eq!(
            BlockedRange::SharedAddressSpace.as_str(),
            "shared_address_space"
        );
    }

    proptest::proptest! {
        #[test]
        fn carried_ipv4_is_judged_as_itself(v in proptest::prelude::any::<u32>()) {
            let v4 = Ipv4Addr::from(v);
            let expected = blocked_range(IpAddr::V4(v4));
            proptest::prop_assert_eq!(blocked_range(IpAddr::V6(v4.to_ipv6_mapped())), expected);
            let [a, b, c, d] = v4.octets();
            let nat64 = Ipv6Addr::new(0x64, 0xff9b, 0, 0, 0, 0, u16::from_be_bytes([a, b]), u16::from_be_bytes([c, d]));
            proptest::prop_assert_eq!(blocked_range(IpAddr::V6(nat64)), expected);
            let six_to_four = Ipv6Addr::new(0x2002, u16::from_be_bytes([a, b]), u16::from_be_bytes([c, d]), 0, 0, 0, 0, 1);
            proptest::prop_assert_eq!(blocked_range(IpAddr::V6(six_to_four)), expected);
        }

        #[test]
        fn std_non_global_ipv4_is_always_blocked(v in proptest::prelude::any::<u32>()) {
            let ip = Ipv4Addr::from(v);
            if ip.is_private() || ip.is_loopback() || ip.is_link_local() || ip.is_multicast()
                || ip.is_broadcast() || ip.is_documentation() || ip.is_unspecified()
            {
                proptest::prop_assert!(blocked_range(IpAddr::V4(ip)).is_some());
            }
        }
    }
}
