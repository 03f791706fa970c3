//! `LoginThrottle` as a [`SecurityResponder`]: alerts block addresses from signing in.

use super::{LoginThrottle, nanos};
use ipnet::IpNet;
use rampart_core::{
    ResponseAction, ResponseError, ResponseFuture, ResponseOutcome, SecurityResponder,
};
use std::net::IpAddr;

/// Entries past which automated blocks are declined: every sign-in attempt
/// scans the list, so an attack from many addresses must not grow it
/// without bound. Blocks made by hand (`block_network`) are not limited.
const MAX_AUTOMATED_BLOCKS: usize = 10_000;

/// Takes [`ResponseAction::BlockClient`]: the address (IPv4) or its `/64`
/// (IPv6, the unit the throttle counts by) goes on the block-list until the
/// duration has passed, so its sign-in attempts are refused. Other actions
/// are [`ResponseOutcome::Unsupported`].
///
/// Declined, and said why: an allow-listed address (the allow-list wins),
/// a network already blocked for as long or longer (an automated block
/// never shortens a manual one), or a full list.
///
/// ```
/// # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
/// use rampart_core::{ResponseAction, ResponseOutcome, SecurityResponder};
/// use rampart_ratelimit::LoginThrottle;
/// use std::time::Duration;
///
/// let throttle = LoginThrottle::builder().build()?;
/// let ip = "203.0.113.9".parse()?;
/// let outcome = throttle
///     .respond(ResponseAction::BlockClient { ip, duration: Duration::from_secs(3600) })
///     .await?;
/// assert!(matches!(outcome, ResponseOutcome::Applied { .. }));
/// assert!(!throttle.check("alice", ip).await.is_allowed());
/// # Ok(()) }
/// ```
impl SecurityResponder for LoginThrottle {
    fn respond(&self, action: ResponseAction) -> ResponseFuture<'_> {
        Box::pin(std::future::ready(self.block_for_response(&action)))
    }

    fn name(&self) -> &str {
        "rampart::ratelimit::LoginThrottle"
    }
}

impl LoginThrottle {
    fn block_for_response(
        &self,
        action: &ResponseAction,
    ) -> Result<ResponseOutcome, ResponseError> {
        let ResponseAction::BlockClient { ip, duration } = action else {
            return Ok(ResponseOutcome::Unsupported);
        };
        let declined = |reason: &str| {
            Ok(ResponseOutcome::Declined {
                reason: reason.to_owned(),
            })
        };
        let ip = ip.to_canonical();
        let now = self.now();
        if self.inner.allow.contains(ip, now) {
            return declined("the address is allow-listed");
        }
        let prefix = if ip.is_ipv4() { 32 } else { 64 };
        let net = IpNet::new(ip, prefix)
            .map(|n| n.trunc())
            .map_err(|e| ResponseError(format!("cannot make a network of the address: {e}")))?;
        let until = now.saturating_add(nanos(*duration));
        match self.inner.block.expiry(net, now) {
            Some(None) => return declined("the network is already blocked for good"),
            Some(Some(current)) if current >= until => {
                return declined("the network is already blocked for as long or longer");
            }
            Some(Some(_)) => {}
            None if self.inner.block.len() >= MAX_AUTOMATED_BLOCKS => {
                return declined("the block-list is full");
            }
            None => {}
        }
        self.inner.block.add(net, Some(until), now);
        Ok(ResponseOutcome::Applied {
            detail: format!(
                "{} blocked from signing in for {} s",
                display(net, ip),
                duration.as_secs()
            ),
        })
    }
}

fn display(net: IpNet, ip: IpAddr) -> String {
    if ip.is_ipv4() {
        ip.to_string()
    } else {
        net.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::login::{LoginDecision, ThrottleReason};
    use rampart_core::ManualClock;
    use std::time::{Duration, SystemTime};

    fn block(ip: &str, secs: u64) -> ResponseAction {
        ResponseAction::BlockClient {
            ip: ip.parse().unwrap(),
            duration: Duration::from_secs(secs),
        }
    }

    #[tokio::test]
    async fn a_block_refuses_sign_ins_until_it_expires() {
        let clock = ManualClock::at_unix(1_700_000_000);
        let t = LoginThrottle::builder()
            .clock(clock.shared())
            .build()
            .unwrap();
        let ip: IpAddr = "203.0.113.9".parse().unwrap();
        let outcome = t.respond(block("203.0.113.9", 600)).await.unwrap();
        assert_eq!(
            outcome,
            ResponseOutcome::Applied {
                detail: "203.0.113.9 blocked from signing in for 600 s".into()
            }
        );
        assert!(matches!(
            t.check("alice", ip).await,
            LoginDecision::Throttled {
                reason: ThrottleReason::BlockListed,
                ..
            }
        ));
        assert!(
            t.check("alice", "203.0.113.10".parse().unwrap())
                .await
                .is_allowed()
        );
        clock.advance(Duration::from_secs(600));
        assert!(t.check("alice", ip).await.is_allowed(), "expired");
    }

    #[tokio::test]
    async fn ipv6_blocks_the_64_the_throttle_counts_by() {
        let t = LoginThrottle::builder().build().unwrap();
        let outcome = t.respond(block("2001:db8:1:2::1", 60)).await.unwrap();
        assert!(
            matches!(&outcome, ResponseOutcome::Applied { detail } if detail.starts_with("2001:db8:1:2::/64")),
            "{outcome:?}"
        );
        let neighbour = "2001:db8:1:2:ffff::7".parse().unwrap();
        assert!(!t.check("bob", neighbour).await.is_allowed());
        // An IPv4-mapped address is its IPv4 address.
        t.respond(block("::ffff:192.0.2.1", 60)).await.unwrap();
        assert!(
            !t.check("bob", "192.0.2.1".parse().unwrap())
                .await
                .is_allowed()
        );
    }

    #[tokio::test]
    async fn it_declines_what_would_weaken_a_decision_made_by_hand() {
        let t = LoginThrottle::builder().build().unwrap();
        t.allow_network("10.0.0.0/8", None).unwrap();
        assert_eq!(
            t.respond(block("10.1.2.3", 60)).await.unwrap(),
            ResponseOutcome::Declined {
                reason: "the address is allow-listed".into()
            }
        );
        t.block_network("198.51.100.7", None).unwrap();
        assert!(matches!(
            t.respond(block("198.51.100.7", 60)).await.unwrap(),
            ResponseOutcome::Declined { .. }
        ));
        let later = SystemTime::now() + Duration::from_secs(86_400);
        t.block_network("198.51.100.8", Some(later)).unwrap();
        assert!(matches!(
            t.respond(block("198.51.100.8", 60)).await.unwrap(),
            ResponseOutcome::Declined { .. }
        ));
        // A longer automated block extends a shorter one.
        t.respond(block("198.51.100.9", 60)).await.unwrap();
        assert!(matches!(
            t.respond(block("198.51.100.9", 3600)).await.unwrap(),
            ResponseOutcome::Applied { .. }
        ));
    }

    #[tokio::test]
    async fn other_actions_are_left_to_other_responders() {
        let t = LoginThrottle::builder().build().unwrap();
        let revoke = ResponseAction::RevokeTokens {
            subject: "alice".into(),
        };
        assert_eq!(t.respond(revoke).await, Ok(ResponseOutcome::Unsupported));
        assert_eq!(t.name(), "rampart::ratelimit::LoginThrottle");
    }

    #[tokio::test]
    async fn automated_blocks_stop_at_the_cap() {
        let t = LoginThrottle::builder().build().unwrap();
        for i in 0..MAX_AUTOMATED_BLOCKS as u32 {
            let ip = std::net::Ipv4Addr::from(0x0a00_0000 + i);
            let action = ResponseAction::BlockClient {
                ip: ip.into(),
                duration: Duration::from_secs(60),
            };
            t.respond(action).await.unwrap();
        }
        assert_eq!(
            t.respond(block("192.0.2.200", 60)).await.unwrap(),
            ResponseOutcome::Declined {
                reason: "the block-list is full".into()
            }
        );
    }
}
