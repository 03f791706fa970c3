//! Allow- and block-lists of networks, each entry with an optional expiry.

use crate::error::ConfigError;
use ipnet::IpNet;
use std::net::IpAddr;
use std::sync::{PoisonError, RwLock};

#[derive(Debug, Clone)]
struct Entry {
    net: IpNet,
    until: Option<u64>,
}

/// A list of networks (read on every login attempt, written rarely).
#[derive(Debug, Default)]
pub(crate) struct NetList {
    entries: RwLock<Vec<Entry>>,
}

pub(crate) fn parse_net(text: &str) -> Result<IpNet, ConfigError> {
    let t = text.trim();
    t.parse::<IpNet>()
        .or_else(|_| t.parse::<IpAddr>().map(|ip| IpNet::from(ip.to_canonical())))
        .map(|n| n.trunc())
        .map_err(|_| ConfigError::InvalidCidr(t.to_owned()))
}

impl NetList {
    /// Adds `net` until `until` (nanoseconds since the epoch; `None`: for good),
    /// dropping entries that have expired by `now`.
    pub(crate) fn add(&self, net: IpNet, until: Option<u64>, now: u64) {
        let mut entries = self.entries.write().unwrap_or_else(PoisonError::into_inner);
        entries.retain(|e| e.until.is_none_or(|u| u > now) && e.net != net);
        entries.push(Entry { net, until });
    }

    /// Removes `net`; whether it was listed.
    pub(crate) fn remove(&self, net: IpNet) -> bool {
        let mut entries = self.entries.write().unwrap_or_else(PoisonError::into_inner);
        let before = entries.len();
        entries.retain(|e| e.net != net);
        entries.len() != before
    }

    /// The expiry of the live entry for exactly `net` (`Some(None)`: for
    /// good), or `None` when there is none.
    pub(crate) fn expiry(&self, net: IpNet, now: u64) -> Option<Option<u64>> {
        self.entries
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .iter()
            .find(|e| e.net == net && e.until.is_none_or(|u| u > now))
            .map(|e| e.until)
    }

    /// Entries listed, expired ones included until the next `add`.
    pub(crate) fn len(&self) -> usize {
        self.entries
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .len()
    }

    /// Whether `ip` is in an entry that has not expired at `now`.
    pub(crate) fn contains(&self, ip: IpAddr, now: u64) -> bool {
        let ip = ip.to_canonical();
        self.entries
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .iter()
            .any(|e| e.until.is_none_or(|u| u > now) && e.net.contains(&ip))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_match_their_network_until_they_expire() {
        let list = NetList::default();
        list.add(parse_net("203.0.113.0/24").unwrap(), Some(100), 0);
        list.add(parse_net("2001:db8::1").unwrap(), None, 0);
        assert!(list.contains("203.0.113.77".parse().unwrap(), 99));
        assert!(list.contains("::ffff:203.0.113.77".parse().unwrap(), 99));
        assert!(!list.contains("203.0.113.77".parse().unwrap(), 100));
        assert!(!list.contains("198.51.100.1".parse().unwrap(), 0));
        assert!(list.contains("2001:db8::1".parse().unwrap(), u64::MAX));
        assert!(list.remove(parse_net("2001:db8::1/128").unwrap()));
        assert!(!list.contains("2001:db8::1".parse().unwrap(), 0));
        assert!(parse_net("10.0.0.0/33").is_err());
        assert!(parse_net("nope").is_err());
    }
}
