//! What one walk owns: usernames, client addresses and an audit table no
//! earlier run used, since Redis and PostgreSQL outlive a run. The app's
//! Redis keys are named after users and addresses, so fresh ones isolate it.

use std::net::{IpAddr, Ipv4Addr};
use std::sync::atomic::{AtomicU8, Ordering};

/// The demo users of the contract, and the extra ones the walk needs
/// (name, roles, tenant). Each is configured as `{name}-{run}` with the
/// password `{name}-S3cure-demo!`.
pub const USERS: [(&str, &[&str], Option<&str>); 10] = [
    ("alice", &["admin"], None),
    ("bob", &["editor"], Some("acme")),
    ("carol", &["viewer"], Some("globex")),
    ("mallory", &[], None),
    // A second tenant's editor and administrator, for tenant isolation.
    ("dave", &["editor"], Some("globex")),
    ("gina", &["admin"], Some("globex")),
    // One user per flow that changes an account for good: MFA, lockout,
    // the per-user quota, the hashing bound.
    ("erin", &["viewer"], Some("acme")),
    ("frank", &["viewer"], Some("acme")),
    ("ivan", &["viewer"], Some("acme")),
    ("judy", &["viewer"], Some("acme")),
];

/// Quotas small enough for the walk to reach, large enough for every other
/// step: each step speaks from its own address, and no user but `ivan`
/// comes near the per-user quota.
pub const IP_PER_MINUTE: u32 = 100;
/// See [`IP_PER_MINUTE`].
pub const USER_PER_MINUTE: u32 = 60;
/// Wrong passwords before a username is locked.
pub const LOGIN_MAX_FAILURES: u32 = 3;

/// One walk's unique names.
pub struct Run {
    /// Suffix of every username and of the audit table.
    pub id: String,
    /// The two middle bytes of every client address of this run.
    net: [u8; 2],
    next_host: AtomicU8,
}

impl Run {
    /// A run named after the clock and the process.
    pub fn new() -> Self {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos();
        let mixed = (nanos as u64) ^ (u64::from(std::process::id()) << 40);
        Self {
            id: format!("{:012x}", mixed & 0xffff_ffff_ffff),
            net: [(mixed >> 16) as u8, (mixed >> 8) as u8],
            next_host: AtomicU8::new(2),
        }
    }

    /// The configured name of the demo user `name`.
    pub fn user(&self, name: &str) -> String {
        format!("{name}-{}", self.id)
    }

    /// A loopback address no other client of this run speaks from, so each
    /// step starts with the whole per-address quota.
    pub fn address(&self) -> IpAddr {
        let host = self.next_host.fetch_add(1, Ordering::Relaxed);
        assert!(host < 255, "out of client addresses");
        IpAddr::V4(Ipv4Addr::new(127, self.net[0], self.net[1], host))
    }

    /// The PostgreSQL table of this run's audit trail.
    pub fn table(&self) -> String {
        format!("secure_api_e2e_{}", self.id)
    }

    /// The config file: the walk's quotas, a hashing bound of one check at
    /// once, and the users. Roles and everything else are the shipped defaults.
    pub fn config(&self, table: Option<&str>) -> String {
        let mut text = format!(
            "[ratelimit]\nip_per_minute = {IP_PER_MINUTE}\nuser_per_minute = {USER_PER_MINUTE}\n\
             login_max_failures = {LOGIN_MAX_FAILURES}\nlogin_window_secs = 900\nlogin_lockout_secs = 1800\n\n\
             [passwords]\nmax_concurrent = 1\nmax_queued = 1\nretry_after_secs = 1\n\n\
             [audit]\ncheckpoint_every = 20\n"
        );
        if let Some(table) = table {
            text.push_str(&format!("table = \"{table}\"\n"));
        }
        for (name, roles, tenant) in USERS {
            let roles: Vec<String> = roles.iter().map(|r| format!("\"{r}\"")).collect();
            text.push_str(&format!(
                "\n[[users]]\nusername = \"{}\"\npassword = \"{name}-S3cure-demo!\"\nroles = [{}]\n",
                self.user(name),
                roles.join(", ")
            ));
            if let Some(tenant) = tenant {
                text.push_str(&format!("tenant = \"{tenant}\"\n"));
            }
        }
        text
    }
}
