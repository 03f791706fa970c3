//! What a session knows about the client: device summary and network prefix.

use http::header::USER_AGENT;
use rampart_core::ClientIp;
use std::net::IpAddr;

/// The client facts a session is created with and checked against.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ClientInfo {
    /// The `User-Agent` header, if any.
    pub user_agent: Option<String>,
    /// The caller's address, as [`ClientIp`] resolved it.
    pub ip: Option<IpAddr>,
    /// The request id, for events.
    pub request_id: Option<String>,
}

impl ClientInfo {
    /// Reads the `User-Agent` header and the [`ClientIp`] and request id
    /// extensions (put there by `ClientIpLayer` and `RequestIdLayer`).
    pub fn from_request(headers: &http::HeaderMap, extensions: &http::Extensions) -> Self {
        Self {
            user_agent: headers
                .get(USER_AGENT)
                .and_then(|v| v.to_str().ok())
                .map(|s| s.chars().take(512).collect()),
            ip: extensions.get::<ClientIp>().map(ClientIp::ip),
            request_id: rampart_core::request_id(extensions).map(str::to_owned),
        }
    }
}

/// The network a session is bound to: the /24 of an IPv4 address, the /64 of
/// an IPv6 one (an IPv4-mapped IPv6 address counts as IPv4).
pub fn ip_prefix(ip: IpAddr) -> String {
    match ip {
        IpAddr::V4(v4) => {
            let [a, b, c, _] = v4.octets();
            format!("{a}.{b}.{c}.0/24")
        }
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => ip_prefix(IpAddr::V4(v4)),
            None => {
                let s = v6.segments();
                format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
            }
        },
    }
}

/// A short, human summary of a `User-Agent` for a "your devices" page:
/// `Firefox on Linux`. Unknown agents are shown truncated.
pub fn device_summary(user_agent: &str) -> String {
    let browser = [
        ("Edg/", "Edge"),
        ("OPR/", "Opera"),
        ("Firefox/", "Firefox"),
        ("Chromium/", "Chromium"),
        ("Chrome/", "Chrome"),
        ("Safari/", "Safari"),
        ("curl/", "curl"),
    ]
    .iter()
    .find(|(needle, _)| user_agent.contains(needle))
    .map(|(_, name)| *name);
    let os = [
        ("Android", "Android"),
        ("iPhone", "iOS"),
        ("iPad", "iPadOS"),
        ("Windows", "Windows"),
        ("Mac OS X", "macOS"),
        ("CrOS", "ChromeOS"),
        ("Linux", "Linux"),
    ]
    .iter()
    .find(|(needle, _)| user_agent.contains(needle))
    .map(|(_, name)| *name);
    match (browser, os) {
        (Some(b), Some(o)) => format!("{b} on {o}"),
        (Some(b), None) => b.to_owned(),
        (None, Some(o)) => format!("browser on {o}"),
        (None, None) => user_agent
            .chars()
            .filter(|c| !c.is_control())
            .take(40)
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes() {
        assert_eq!(
            ip_prefix("203.0.113.77".parse().unwrap_or(IpAddr::from([0; 4]))),
            "203.0.113.0/24"
        );
        assert_eq!(
            ip_prefix(
                "2001:db8:1:2:3:4:5:6"
                    .parse()
                    .unwrap_or(IpAddr::from([0; 4]))
            ),
            "2001:db8:1:2::/64"
        );
        assert_eq!(
            ip_prefix(
                "::ffff:198.51.100.9"
                    .parse()
                    .unwrap_or(IpAddr::from([0; 4]))
            ),
            "198.51.100.0/24"
        );
    }

    #[test]
    fn summaries() {
        let ff = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0";
        assert_eq!(device_summary(ff), "Firefox on Linux");
        let chrome = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36";
        assert_eq!(device_summary(chrome), "Chrome on Windows");
        assert_eq!(device_summary("curl/8.5.0"), "curl");
        assert_eq!(device_summary("x\ny"), "xy");
    }
}
