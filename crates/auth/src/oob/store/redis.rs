//! Live one-time codes in Redis, shared by every instance.

use super::{Checked, CodeHash, Issued, NewCode, OobStore};
use crate::StoreError;
use crate::revocation::StoreFuture;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rampart_core::redis::{RedisConnection, Script};
use redis::RedisError;
use std::sync::{Arc, LazyLock};

// Keys of one subject and purpose: `<prefix>:{<base64url(subject)>}:<base64url(purpose)>:code`
// (hash: h, exp, left) and `...:sent` (hash: n, end). The hash tag puts
// them in one cluster slot, so the issue script may touch both.

static ISSUE: LazyLock<Script> = LazyLock::new(|| Script::new(include_str!("issue.lua")));
static CHECK: LazyLock<Script> = LazyLock::new(|| Script::new(include_str!("check.lua")));
static VOID: LazyLock<Script> = LazyLock::new(|| Script::new(include_str!("void.lua")));

/// Live one-time codes in Redis, shared by every instance.
///
/// Sending, checking and voiding are each one Lua script over one subject's
/// keys, so they are atomic across instances: of two concurrent checks of
/// one code, one wins. A code's key expires with the code, the send
/// counter with its window.
///
/// ```no_run
/// # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
/// use rampart::auth::oob::RedisOobStore;
///
/// let store = RedisOobStore::connect("redis://127.0.0.1:6379", "myapp:oob").await?;
/// # let _ = store; Ok(()) }
/// ```
#[derive(Clone)]
pub struct RedisOobStore {
    conn: RedisConnection,
    prefix: Arc<str>,
}

impl std::fmt::Debug for RedisOobStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisOobStore")
            .field("prefix", &self.prefix)
            .finish_non_exhaustive()
    }
}

fn store_err(e: RedisError) -> StoreError {
    StoreError(format!("redis: {e}"))
}

impl RedisOobStore {
    /// Connects to `url`, one URL or several comma-separated Redis Cluster
    /// node URLs (a connection that reconnects by itself); every key starts
    /// with `prefix`. Round trips time out after 500 ms.
    ///
    /// # Errors
    /// A [`StoreError`] when the URL is invalid or Redis cannot be reached.
    pub async fn connect(url: &str, prefix: &str) -> Result<Self, StoreError> {
        let conn = RedisConnection::connect(url)
            .await
            .map_err(|e| StoreError(e.to_string()))?;
        Ok(Self::new(conn, prefix))
    }

    /// Uses an existing connection (a single node or a cluster).
    pub fn new(conn: RedisConnection, prefix: &str) -> Self {
        Self {
            conn,
            prefix: Arc::from(prefix),
        }
    }

    fn key(&self, subject: &str, purpose: &str, kind: &str) -> String {
        format!(
            "{}:{{{}}}:{}:{kind}",
            self.prefix,
            URL_SAFE_NO_PAD.encode(subject.as_bytes()),
            URL_SAFE_NO_PAD.encode(purpose.as_bytes()),
        )
    }
}

impl OobStore for RedisOobStore {
    fn issue<'a>(&'a self, code: NewCode<'a>) -> StoreFuture<'a, Issued> {
        Box::pin(async move {
            let mut conn = self.conn.clone();
            let ttl = code.expires_at.saturating_sub(code.now).saturating_add(1);
            let (stored, until): (i64, u64) = ISSUE
                .key(self.key(code.subject, code.purpose, "code"))
                .key(self.key(code.subject, code.purpose, "sent"))
                .arg(&code.hash[..])
                .arg(code.now)
                .arg(code.expires_at)
                .arg(code.max_attempts)
                .arg(code.max_sends)
                .arg(code.resend_window_secs)
                .arg(ttl)
                .invoke_async(&mut conn)
                .await
                .map_err(store_err)?;
            Ok(if stored == 1 {
                Issued::Stored
            } else {
                Issued::Throttled { until }
            })
        })
    }

    fn check<'a>(
        &'a self,
        subject: &'a str,
        purpose: &'a str,
        hash: &'a CodeHash,
        now: u64,
    ) -> StoreFuture<'a, Checked> {
        Box::pin(async move {
            let mut conn = self.conn.clone();
            let answer: Vec<i64> = CHECK
                .key(self.key(subject, purpose, "code"))
                .arg(&hash[..])
                .arg(now)
                .invoke_async(&mut conn)
                .await
                .map_err(store_err)?;
            Ok(match answer.as_slice() {
                [1] => Checked::Expired,
                [2] => Checked::Verified,
                [3] => Checked::Exhausted,
                [4, left] => Checked::Wrong {
                    attempts_left: u32::try_from(*left).unwrap_or(0),
                },
                _ => Checked::NoCode,
            })
        })
    }

    fn void<'a>(
        &'a self,
        subject: &'a str,
        purpose: &'a str,
        hash: &'a CodeHash,
    ) -> StoreFuture<'a, ()> {
        Box::pin(async move {
            let mut conn = self.conn.clone();
            VOID.key(self.key(subject, purpose, "code"))
                .arg(&hash[..])
                .invoke_async::<i64>(&mut conn)
                .await
                .map(drop)
                .map_err(store_err)
        })
    }
}
