//! Role bindings in Redis, shared by every instance of the service.

use super::{RoleBinding, RoleStore};
use crate::error::StoreError;
use crate::store::StoreFuture;
use rampart_core::redis::RedisConnection;

const STORE: &str = "redis roles";

/// Role bindings in Redis: one set per subject, one member per binding (its
/// JSON, `{"role":..,"tenant":..,"org":..}` with absent limits left out).
///
/// Binding and unbinding through one instance is seen by the next check of every
/// other instance: nothing is cached. Each operation is a single command
/// (`SADD`, `SREM`, `SMEMBERS`, `DEL`) on a single key, so it is atomic and
/// cluster-safe without hash tags.
///
/// When Redis cannot be reached the store answers an error; the
/// [`crate::Authorizer`] then follows its [`crate::FailMode`] (closed by default:
/// deny, 503 from the layer) and emits a `StoreFailure` event. Checks that the
/// token's roles allow and that no `deny` rule could change are decided without
/// the store, so an outage only refuses what needed it.
///
/// ```no_run
/// # async fn run() -> Result<(), rampart::rbac::StoreError> {
/// use rampart::rbac::{RedisRoleStore, RoleBinding};
///
/// let roles = RedisRoleStore::connect("redis://127.0.0.1:6379", "myapp:rbac").await?;
/// roles.bind("alice", &RoleBinding::in_tenant("admin", "acme")).await?;
/// // ... every instance's authorizer built with this prefix now sees it.
/// roles.unbind("alice", &RoleBinding::in_tenant("admin", "acme")).await?;
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct RedisRoleStore {
    conn: RedisConnection,
    prefix: String,
}

impl std::fmt::Debug for RedisRoleStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisRoleStore")
            .field("prefix", &self.prefix)
            .finish_non_exhaustive()
    }
}

impl RedisRoleStore {
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

    // The subject is escaped so that no subject's key is another's prefix-mate.
    fn key(&self, subject: &str) -> String {
        format!("{}:roles:{}", self.prefix, escape(subject))
    }

    /// Gives `subject` `binding`; whether it was new. Silent: to have the
    /// change reported, make it through [`crate::Authorizer::bind_role_by`].
    pub async fn bind(&self, subject: &str, binding: &RoleBinding) -> Result<bool, StoreError> {
        let member = encode(subject, binding)?;
        let mut conn = self.conn.clone();
        let added: i64 = redis::cmd("SADD")
            .arg(self.key(subject))
            .arg(member)
            .query_async(&mut conn)
            .await
            .map_err(backend)?;
        Ok(added > 0)
    }

    /// Takes `binding` from `subject`; whether it was there. Silent: to have
    /// the change reported, make it through [`crate::Authorizer::unbind_role_by`].
    pub async fn unbind(&self, subject: &str, binding: &RoleBinding) -> Result<bool, StoreError> {
        let member = encode(subject, binding)?;
        let mut conn = self.conn.clone();
        let removed: i64 = redis::cmd("SREM")
            .arg(self.key(subject))
            .arg(member)
            .query_async(&mut conn)
            .await
            .map_err(backend)?;
        Ok(removed > 0)
    }

    /// Takes every binding from `subject` (off-boarding); whether it had any.
    /// Silent, and atomic: [`crate::Authorizer::unbind_all_roles_by`] reports
    /// each binding it removes instead.
    pub async fn unbind_all(&self, subject: &str) -> Result<bool, StoreError> {
        non_empty(subject)?;
        let mut conn = self.conn.clone();
        let removed: i64 = redis::cmd("DEL")
            .arg(self.key(subject))
            .query_async(&mut conn)
            .await
            .map_err(backend)?;
        Ok(removed > 0)
    }
}

fn escape(part: &str) -> String {
    part.replace('%', "%25").replace(':', "%3A")
}

fn non_empty(subject: &str) -> Result<(), StoreError> {
    if subject.is_empty() {
        return Err(StoreError::Invalid("role store: subject is empty"));
    }
    Ok(())
}

fn encode(subject: &str, binding: &RoleBinding) -> Result<String, StoreError> {
    non_empty(subject)?;
    binding.validate()?;
    // Serialising a struct writes its fields in declaration order, so one binding
    // has one encoding and `SREM` finds what `SADD` stored.
    serde_json::to_string(binding).map_err(|e| StoreError::Corrupt {
        store: STORE,
        key: subject.to_owned(),
        message: e.to_string(),
    })
}

fn backend(e: redis::RedisError) -> StoreError {
    StoreError::Backend {
        store: STORE,
        message: e.to_string(),
    }
}

impl RoleStore for RedisRoleStore {
    fn bindings<'a>(&'a self, subject: &'a str) -> StoreFuture<'a, Vec<RoleBinding>> {
        Box::pin(async move {
            non_empty(subject)?;
            let key = self.key(subject);
            let mut conn = self.conn.clone();
            let members: Vec<String> = redis::cmd("SMEMBERS")
                .arg(&key)
                .query_async(&mut conn)
                .await
                .map_err(backend)?;
            let mut bindings = members
                .iter()
                .map(|m| {
                    // A member this version cannot read fails the whole answer
                    // (and so the check, closed by default) rather than being
                    // skipped: it might have been the binding carrying a deny.
                    serde_json::from_str::<RoleBinding>(m)
                        .map_err(|e| StoreError::Corrupt {
                            store: STORE,
                            key: key.clone(),
                            message: e.to_string(),
                        })
                        .and_then(|b| b.validate().map(|()| b))
                })
                .collect::<Result<Vec<_>, _>>()?;
            bindings
                .sort_by(|a, b| (&a.role, &a.tenant, &a.org).cmp(&(&b.role, &b.tenant, &b.org)));
            Ok(bindings)
        })
    }

    fn add_binding<'a>(
        &'a self,
        subject: &'a str,
        binding: &'a RoleBinding,
    ) -> StoreFuture<'a, bool> {
        Box::pin(self.bind(subject, binding))
    }

    fn remove_binding<'a>(
        &'a self,
        subject: &'a str,
        binding: &'a RoleBinding,
    ) -> StoreFuture<'a, bool> {
        Box::pin(self.unbind(subject, binding))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_binding_has_one_encoding_and_invalid_ones_are_refused() {
        assert_eq!(
            encode("alice", &RoleBinding::in_tenant("admin", "acme")).unwrap(),
            r#"{"role":"admin","tenant":"acme"}"#
        );
        assert_eq!(
            encode("alice", &RoleBinding::global("admin")).unwrap(),
            r#"{"role":"admin"}"#
        );
        assert!(encode("", &RoleBinding::global("admin")).is_err());
        assert!(encode("alice", &RoleBinding::global("not a role")).is_err());
        assert!(encode("alice", &RoleBinding::in_tenant("admin", "")).is_err());
        assert!(encode("alice", &RoleBinding::in_org("admin", "")).is_err());
    }
}
