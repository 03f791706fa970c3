//! Registered credentials in Redis, shared by every instance.

use super::{AddOutcome, CredentialUse, UseOutcome, WebAuthnCredentialStore};
use crate::StoreError;
use crate::revocation::StoreFuture;
use crate::webauthn::StoredCredential;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rampart_core::redis::{RedisConnection, Script};
use redis::RedisError;
use std::sync::{Arc, LazyLock};
use uuid::Uuid;

// Keys of one user: `<prefix>:{<base64url(user)>}:wa` (hash: credential id →
// JSON of the StoredCredential), `:wac` (hash: credential id → counter) and
// `:handle` (the user handle). The hash tag keeps them in one cluster slot.
// Each credential id is also claimed in `<prefix>:{cred:<id>}` (value: its
// user), in its own slot: claimed before it is added, released after it is
// removed, so an id belongs to one user at most.

static HANDLE: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
local v = redis.call('GET', KEYS[1])
if v then return v end
redis.call('SET', KEYS[1], ARGV[1])
return ARGV[1]
",
    )
});

static ADD: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 1 then return 0 end
if redis.call('HLEN', KEYS[1]) >= tonumber(ARGV[4]) then return 2 end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
redis.call('HSET', KEYS[2], ARGV[1], ARGV[3])
return 1
",
    )
});

static USE: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
local s = redis.call('HGET', KEYS[2], ARGV[1])
if not s or redis.call('HEXISTS', KEYS[1], ARGV[1]) == 0 then return {0, 0} end
local stored = tonumber(s)
local new = tonumber(ARGV[2])
if not (new > stored or (new == 0 and stored == 0)) then return {1, stored} end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[3])
redis.call('HSET', KEYS[2], ARGV[1], ARGV[2])
return {2, new}
",
    )
});

static REMOVE: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
redis.call('HDEL', KEYS[2], ARGV[1])
return redis.call('HDEL', KEYS[1], ARGV[1])
",
    )
});

static RELEASE: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
",
    )
});

/// Registered credentials in Redis, shared by every instance.
///
/// Adding checks the per-user limit and recording a use moves the counter
/// forward by check-and-set, each in one Lua script over the user's keys
/// (`<prefix>:{<user>}:...`, the user id base64url-encoded as a hash tag,
/// cluster-safe). A credential id is claimed with `SET NX` in a key of its
/// own before it is added, so no two users can register one credential.
/// Nothing expires.
///
/// Ceremonies in progress are not kept here (see the [module
/// docs](crate::webauthn#several-instances)).
///
/// ```no_run
/// # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
/// use rampart::auth::webauthn::{RedisWebAuthnStore, WebAuthnMfa};
/// use std::sync::Arc;
///
/// let store = RedisWebAuthnStore::connect("redis://127.0.0.1:6379", "myapp:webauthn").await?;
/// let mfa = WebAuthnMfa::builder("example.com", "https://example.com", "Example")
///     .store(Arc::new(store))
///     .build()?;
/// # let _ = mfa; Ok(()) }
/// ```
#[derive(Clone)]
pub struct RedisWebAuthnStore {
    conn: RedisConnection,
    prefix: Arc<str>,
}

impl std::fmt::Debug for RedisWebAuthnStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisWebAuthnStore")
            .field("prefix", &self.prefix)
            .finish_non_exhaustive()
    }
}

fn store_err(e: RedisError) -> StoreError {
    StoreError(format!("redis: {e}"))
}

fn unreadable(what: &str) -> StoreError {
    StoreError(format!("redis: unreadable WebAuthn {what}"))
}

impl RedisWebAuthnStore {
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

    fn key(&self, user: &str, kind: &str) -> String {
        format!(
            "{}:{{{}}}:{kind}",
            self.prefix,
            URL_SAFE_NO_PAD.encode(user.as_bytes())
        )
    }

    fn claim(&self, id: &str) -> String {
        // Ids are base64url (rampart writes them), but a caller may pass
        // anything to `remove`: encode again so no id can forge another key.
        format!(
            "{}:{{cred:{}}}",
            self.prefix,
            URL_SAFE_NO_PAD.encode(id.as_bytes())
        )
    }

    async fn release(&self, user: &str, id: &str) -> Result<(), StoreError> {
        let mut conn = self.conn.clone();
        let _: i64 = RELEASE
            .key(self.claim(id))
            .arg(user)
            .invoke_async(&mut conn)
            .await
            .map_err(store_err)?;
        Ok(())
    }
}

impl WebAuthnCredentialStore for RedisWebAuthnStore {
    fn user_handle<'a>(&'a self, user: &'a str, candidate: Uuid) -> StoreFuture<'a, Uuid> {
        Box::pin(async move {
            let mut conn = self.conn.clone();
            let handle: String = HANDLE
                .key(self.key(user, "handle"))
                .arg(candidate.to_string())
                .invoke_async(&mut conn)
                .await
                .map_err(store_err)?;
            Uuid::parse_str(&handle).map_err(|_| unreadable("user handle"))
        })
    }

    fn list<'a>(&'a self, user: &'a str) -> StoreFuture<'a, Vec<StoredCredential>> {
        Box::pin(async move {
            let mut conn = self.conn.clone();
            let all: Vec<(String, String)> = redis::cmd("HGETALL")
                .arg(self.key(user, "wa"))
                .query_async(&mut conn)
                .await
                .map_err(store_err)?;
            let mut list = all
                .iter()
                .map(|(_, json)| serde_json::from_str(json).map_err(|_| unreadable("credential")))
                .collect::<Result<Vec<StoredCredential>, _>>()?;
            list.sort_by(|a, b| (a.created, &a.id).cmp(&(b.created, &b.id)));
            Ok(list)
        })
    }

    fn add<'a>(
        &'a self,
        user: &'a str,
        credential: &'a StoredCredential,
        max: usize,
    ) -> StoreFuture<'a, AddOutcome> {
        Box::pin(async move {
            let json = serde_json::to_string(credential).map_err(|_| unreadable("credential"))?;
            let mut conn = self.conn.clone();
            let claimed: bool = redis::cmd("SET")
                .arg(self.claim(&credential.id))
                .arg(user)
                .arg("NX")
                .query_async::<Option<String>>(&mut conn)
                .await
                .map_err(store_err)?
                .is_some();
            if !claimed {
                return Ok(AddOutcome::Duplicate);
            }
            let added: i64 = ADD
                .key(self.key(user, "wa"))
                .key(self.key(user, "wac"))
                .arg(&credential.id)
                .arg(json)
                .arg(credential.counter)
                .arg(max)
                .invoke_async(&mut conn)
                .await
                .map_err(store_err)?;
            match added {
                1 => Ok(AddOutcome::Added),
                0 => Ok(AddOutcome::Duplicate),
                _ => {
                    self.release(user, &credential.id).await?;
                    Ok(AddOutcome::LimitReached)
                }
            }
        })
    }

    fn record_use<'a>(
        &'a self,
        user: &'a str,
        id: &'a str,
        used: &'a CredentialUse,
    ) -> StoreFuture<'a, UseOutcome> {
        Box::pin(async move {
            let mut conn = self.conn.clone();
            let json: Option<String> = redis::cmd("HGET")
                .arg(self.key(user, "wa"))
                .arg(id)
                .query_async(&mut conn)
                .await
                .map_err(store_err)?;
            let Some(json) = json else {
                return Ok(UseOutcome::NotFound);
            };
            let mut credential: StoredCredential =
                serde_json::from_str(&json).map_err(|_| unreadable("credential"))?;
            credential.counter = used.counter;
            credential.key = used.key.clone();
            credential.last_used = Some(used.at);
            let json = serde_json::to_string(&credential).map_err(|_| unreadable("credential"))?;
            // The write happens only if the counter still advances on what
            // the store holds now: a concurrent use with the same counter
            // loses here.
            let (status, stored): (i64, u32) = USE
                .key(self.key(user, "wa"))
                .key(self.key(user, "wac"))
                .arg(id)
                .arg(used.counter)
                .arg(json)
                .invoke_async(&mut conn)
                .await
                .map_err(store_err)?;
            Ok(match status {
                2 => UseOutcome::Recorded,
                1 => UseOutcome::CounterNotAdvanced { stored },
                _ => UseOutcome::NotFound,
            })
        })
    }

    fn remove<'a>(&'a self, user: &'a str, id: &'a str) -> StoreFuture<'a, bool> {
        Box::pin(async move {
            let mut conn = self.conn.clone();
            let removed: i64 = REMOVE
                .key(self.key(user, "wa"))
                .key(self.key(user, "wac"))
                .arg(id)
                .invoke_async(&mut conn)
                .await
                .map_err(store_err)?;
            if removed == 0 {
                return Ok(false);
            }
            self.release(user, id).await?;
            Ok(true)
        })
    }
}
