//! Grants in Redis, shared by every instance of the service.

use super::{Grant, GrantStore};
use crate::error::StoreError;
use crate::store::StoreFuture;
use rampart_core::redis::{RedisConnection, Script};
use std::collections::HashMap;
use std::sync::LazyLock;

const STORE: &str = "redis grants";

/// Deletes field `ARGV[1]` of hash `KEYS[1]` only if it still holds `ARGV[2]`.
static REMOVE_EXACT: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
if redis.call('HGET', KEYS[1], ARGV[1]) == ARGV[2] then
  return redis.call('HDEL', KEYS[1], ARGV[1])
end
return 0
",
    )
});

/// Grants in Redis: one hash per (subject, resource type), one field per
/// (tenant, resource id) holding the grant as JSON. The field is
/// `t:<tenant>:<id>` for a tenant grant and `g:<id>` for a global one (the
/// tenant escaped so that it holds no `:`), so `docs/7` of two tenants are two
/// fields and a check reads its tenant's grant and the global one with a
/// single `HMGET`.
///
/// Each operation is a single command on a single key, so it is atomic and
/// cluster-safe without hash tags. Expiry is stored in the grant and compared
/// with the authorizer's clock rather than left to Redis TTLs, so every store
/// agrees with the clock tests move; [`RedisGrantStore::purge_expired`] frees
/// lapsed fields.
#[derive(Clone)]
pub struct RedisGrantStore {
    conn: RedisConnection,
    prefix: String,
}

impl std::fmt::Debug for RedisGrantStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisGrantStore")
            .field("prefix", &self.prefix)
            .finish_non_exhaustive()
    }
}

impl RedisGrantStore {
    /// A store on `conn` whose keys start with `prefix` (e.g. `myapp:rbac`).
    pub fn new(conn: RedisConnection, prefix: impl Into<String>) -> Self {
        Self {
            conn,
            prefix: prefix.into(),
        }
    }

    /// Connects to `url`: one URL (`redis://127.0.0.1:6379`) or several
    /// comma-separated Redis Cluster node URLs. Round trips time out after
    /// 500 ms; the connection reconnects by itself.
    ///
    /// # Errors
    /// [`StoreError::Backend`] when the URL is invalid or Redis cannot be reached.
    pub async fn connect(url: &str, prefix: impl Into<String>) -> Result<Self, StoreError> {
        let conn = crate::store::connect_redis(url, STORE).await?;
        Ok(Self::new(conn, prefix))
    }

    // Subject and type are escaped so that `a:b` + `c` and `a` + `b:c` never share a key.
    fn key(&self, subject: &str, kind: &str) -> String {
        format!(
            "{}:grants:{}:{}",
            self.prefix,
            escape(subject),
            escape(kind)
        )
    }

    /// Deletes the lapsed grants of `subject` on `resource_type`; how many.
    /// Silent: [`crate::Authorizer::purge_expired_grants`] reports each lapse.
    pub async fn purge_expired(
        &self,
        subject: &str,
        resource_type: &str,
        now: std::time::SystemTime,
    ) -> Result<usize, StoreError> {
        let lapsed: Vec<String> = self
            .list(subject, resource_type)
            .await?
            .into_iter()
            .filter(|g| g.is_expired(now))
            .map(|g| field(g.tenant.as_deref(), &g.resource_id))
            .collect();
        if lapsed.is_empty() {
            return Ok(0);
        }
        let mut conn = self.conn.clone();
        let removed: usize = redis::cmd("HDEL")
            .arg(self.key(subject, resource_type))
            .arg(&lapsed)
            .query_async(&mut conn)
            .await
            .map_err(backend)?;
        Ok(removed)
    }
}

fn escape(part: &str) -> String {
    part.replace('%', "%25").replace(':', "%3A")
}

/// The hash field of the grant on `id` in `tenant` (`None`: global).
fn field(tenant: Option<&str>, id: &str) -> String {
    match tenant {
        Some(t) => format!("t:{}:{id}", escape(t)),
        None => format!("g:{id}"),
    }
}

fn backend(e: redis::RedisError) -> StoreError {
    StoreError::Backend {
        store: STORE,
        message: e.to_string(),
    }
}

fn encode(grant: &Grant) -> Result<String, StoreError> {
    serde_json::to_string(grant).map_err(|e| StoreError::Corrupt {
        store: STORE,
        key: grant.resource_id.clone(),
        message: e.to_string(),
    })
}

fn decode(key: &str, field: &str, json: &str) -> Result<Grant, StoreError> {
    serde_json::from_str(json).map_err(|e| StoreError::Corrupt {
        store: STORE,
        key: format!("{key}#{field}"),
        message: e.to_string(),
    })
}

impl GrantStore for RedisGrantStore {
    fn grant(&self, grant: Grant) -> StoreFuture<'_, ()> {
        Box::pin(async move {
            grant.validate()?;
            let json = encode(&grant)?;
            let mut conn = self.conn.clone();
            let _: i64 = redis::cmd("HSET")
                .arg(self.key(&grant.subject, &grant.resource_type))
                .arg(field(grant.tenant.as_deref(), &grant.resource_id))
                .arg(json)
                .query_async(&mut conn)
                .await
                .map_err(backend)?;
            Ok(())
        })
    }

    fn revoke<'a>(
        &'a self,
        tenant: Option<&'a str>,
        subject: &'a str,
        kind: &'a str,
        id: &'a str,
    ) -> StoreFuture<'a, bool> {
        Box::pin(async move {
            let mut conn = self.conn.clone();
            let removed: i64 = redis::cmd("HDEL")
                .arg(self.key(subject, kind))
                .arg(field(tenant, id))
                .query_async(&mut conn)
                .await
                .map_err(backend)?;
            Ok(removed > 0)
        })
    }

    fn get<'a>(
        &'a self,
        tenant: Option<&'a str>,
        subject: &'a str,
        kind: &'a str,
        id: &'a str,
    ) -> StoreFuture<'a, Option<Grant>> {
        Box::pin(async move {
            let key = self.key(subject, kind);
            let field = field(tenant, id);
            let mut conn = self.conn.clone();
            let json: Option<String> = redis::cmd("HGET")
                .arg(&key)
                .arg(&field)
                .query_async(&mut conn)
                .await
                .map_err(backend)?;
            json.map(|j| decode(&key, &field, &j)).transpose()
        })
    }

    fn lookup<'a>(
        &'a self,
        tenant: Option<&'a str>,
        subject: &'a str,
        kind: &'a str,
        id: &'a str,
    ) -> StoreFuture<'a, Vec<Grant>> {
        Box::pin(async move {
            let key = self.key(subject, kind);
            let mut fields = Vec::with_capacity(2);
            if tenant.is_some() {
                fields.push(field(tenant, id));
            }
            fields.push(field(None, id));
            let mut conn = self.conn.clone();
            let found: Vec<Option<String>> = redis::cmd("HMGET")
                .arg(&key)
                .arg(&fields)
                .query_async(&mut conn)
                .await
                .map_err(backend)?;
            fields
                .iter()
                .zip(found)
                .filter_map(|(f, json)| json.map(|j| decode(&key, f, &j)))
                .collect()
        })
    }

    fn remove_exact<'a>(&'a self, grant: &'a Grant) -> StoreFuture<'a, bool> {
        Box::pin(async move {
            grant.validate()?;
            // `grant` sets what it writes the same way every time, so a grant
            // read back and encoded again matches the stored JSON byte for byte.
            let json = encode(grant)?;
            let mut conn = self.conn.clone();
            let removed: i64 = REMOVE_EXACT
                .key(self.key(&grant.subject, &grant.resource_type))
                .arg(field(grant.tenant.as_deref(), &grant.resource_id))
                .arg(json)
                .invoke_async(&mut conn)
                .await
                .map_err(backend)?;
            Ok(removed > 0)
        })
    }

    fn list<'a>(&'a self, subject: &'a str, kind: &'a str) -> StoreFuture<'a, Vec<Grant>> {
        Box::pin(async move {
            let key = self.key(subject, kind);
            let mut conn = self.conn.clone();
            let all: HashMap<String, String> = redis::cmd("HGETALL")
                .arg(&key)
                .query_async(&mut conn)
                .await
                .map_err(backend)?;
            let mut grants = all
                .iter()
                .map(|(f, json)| decode(&key, f, json))
                .collect::<Result<Vec<_>, _>>()?;
            grants.sort_by(|a, b| (&a.tenant, &a.resource_id).cmp(&(&b.tenant, &b.resource_id)));
            Ok(grants)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_keep_tenants_and_global_apart() {
        assert_eq!(field(Some("acme"), "7"), "t:acme:7");
        assert_eq!(field(None, "7"), "g:7");
        // A tenant holding `:` cannot forge another tenant's field.
        assert_ne!(field(Some("a:b"), "c"), field(Some("a"), "b:c"));
        assert_ne!(field(Some("g"), "7"), field(None, "7"));
    }
}
