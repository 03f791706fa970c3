//! Row-level security in PostgreSQL from a [`DataFilter`].
//!
//! [`apply_row_security`] sets, for the current transaction only (`set_config(..., true)`,
//! the parameterised form of `SET LOCAL`), who is asking and which rows the
//! filter lets them reach:
//!
//! | setting | value |
//! |---|---|
//! | `app.current_user_id` | the principal's subject |
//! | `app.current_tenant_id` | the principal's tenant (or `''`) |
//! | `app.current_org_id` | the principal's organisation (or `''`) |
//! | `app.current_access` | comma list of `all`, `tenant`, `org`, `owner` (empty: none) |
//! | `app.tenant_granted_ids` | JSON array of ids granted to the principal in its tenant |
//! | `app.global_granted_ids` | JSON array of ids granted to the principal in every tenant |
//!
//! Policies on each table read them. For a table with text columns `id`,
//! `tenant_id`, `org_id` and `owner_id`:
//!
//! ```sql
//! ALTER TABLE predictions ENABLE ROW LEVEL SECURITY;
//! ALTER TABLE predictions FORCE ROW LEVEL SECURITY;
//! CREATE POLICY rampart_rows ON predictions USING (
//!     'all' = ANY (string_to_array(current_setting('app.current_access', true), ','))
//!  OR ('tenant' = ANY (string_to_array(current_setting('app.current_access', true), ','))
//!      AND tenant_id = current_setting('app.current_tenant_id', true))
//!  OR ('org' = ANY (string_to_array(current_setting('app.current_access', true), ','))
//!      AND tenant_id = current_setting('app.current_tenant_id', true)
//!      AND org_id = current_setting('app.current_org_id', true))
//!  OR ('owner' = ANY (string_to_array(current_setting('app.current_access', true), ','))
//!      AND tenant_id = current_setting('app.current_tenant_id', true)
//!      AND owner_id = current_setting('app.current_user_id', true))
//!  OR (tenant_id = current_setting('app.current_tenant_id', true)
//!      AND coalesce(nullif(current_setting('app.tenant_granted_ids', true), ''), '[]')::jsonb ? id)
//!  OR coalesce(nullif(current_setting('app.global_granted_ids', true), ''), '[]')::jsonb ? id
//! );
//! ```
//!
//! Every condition but `all` and the global grants names the tenant: ids are
//! often unique only inside a tenant, and a grant on `docs/7` of one tenant must
//! not open `docs/7` of another. (Earlier versions set a single
//! `app.granted_ids` matched without a tenant; it is no longer set, so a policy
//! still reading it shows no granted row instead of other tenants' rows.)
//!
//! Row-level security does not apply to superusers, roles with `BYPASSRLS`, or
//! (without `FORCE`) the table's owner: the application must connect as (or
//! `SET ROLE` to) an ordinary role. Because the settings are transaction-local,
//! a pooled connection carries nothing over to the next request.
//!
//! Custom scopes and rows of other tenants reached through tenant-bound roles
//! cannot be expressed by these settings; they are left out (which only hides
//! rows) and returned in [`RowSecurity::left_out`] for the application to handle.

use crate::{Constraint, DataFilter};
use rampart_core::Principal;
use tokio_postgres::Transaction;

/// Why row-level security could not be set.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RowSecurityError {
    /// The database refused the settings.
    #[error("setting row-level security parameters failed: {0}")]
    Database(#[from] tokio_postgres::Error),
    /// The filter has `deny` rules removing part of the allowed rows, which the
    /// settings cannot express; rather than show too much, nothing is set.
    #[error(
        "the data filter excludes rows through deny rules, which row-level security settings cannot express; apply the filter in the query instead"
    )]
    Unrepresentable,
}

/// What [`apply_row_security`] set.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct RowSecurity {
    /// The access levels set in `app.current_access`.
    pub access: Vec<&'static str>,
    /// The ids set in `app.tenant_granted_ids` (rows of the principal's tenant).
    pub tenant_granted_ids: Vec<String>,
    /// The ids set in `app.global_granted_ids` (rows of any tenant).
    pub global_granted_ids: Vec<String>,
    /// Constraints the settings cannot carry (custom scopes, other tenants).
    pub left_out: Vec<Constraint>,
}

/// The settings for `filter`, without touching a database.
pub fn row_security(
    principal: &Principal,
    filter: &DataFilter,
) -> Result<RowSecurity, RowSecurityError> {
    let mut out = RowSecurity {
        access: Vec::new(),
        tenant_granted_ids: Vec::new(),
        global_granted_ids: Vec::new(),
        left_out: Vec::new(),
    };
    let (any_of, none_of) = match filter {
        DataFilter::All => {
            out.access.push("all");
            return Ok(out);
        }
        DataFilter::Nothing => return Ok(out),
        DataFilter::Rows { any_of, none_of } => (any_of, none_of),
    };
    if !none_of.is_empty() {
        return Err(RowSecurityError::Unrepresentable);
    }
    let mut add = |level: &'static str| {
        if !out.access.contains(&level) {
            out.access.push(level);
        }
    };
    let tenant = principal.tenant();
    let org = principal.org();
    for c in any_of {
        let same_tenant = c.tenant.as_deref() == tenant && tenant.is_some();
        match c {
            Constraint {
                ids: Some(ids),
                tenant: None,
                org: None,
                owner: None,
                custom: None,
            } => {
                out.global_granted_ids.extend(ids.iter().cloned());
            }
            Constraint {
                ids: Some(ids),
                org: None,
                owner: None,
                custom: None,
                ..
            } if same_tenant => {
                out.tenant_granted_ids.extend(ids.iter().cloned());
            }
            Constraint {
                org: None,
                owner: None,
                ids: None,
                custom: None,
                ..
            } if same_tenant => {
                add("tenant");
            }
            Constraint {
                org: Some(o),
                owner: None,
                ids: None,
                custom: None,
                ..
            } if same_tenant && Some(o.as_str()) == org => {
                add("org");
            }
            Constraint {
                org: None,
                owner: Some(s),
                ids: None,
                custom: None,
                ..
            } if same_tenant && s == principal.subject() => {
                add("owner");
            }
            other => out.left_out.push(other.clone()),
        }
    }
    Ok(out)
}

/// Sets the row-level security parameters for `principal` and `filter` in
/// `transaction`; they vanish at its end.
///
/// ```no_run
/// # async fn run(client: &mut tokio_postgres::Client, authz: &rampart::rbac::Authorizer,
/// #              principal: &rampart::core::Principal) -> Result<(), Box<dyn std::error::Error>> {
/// let filter = authz.filter(principal, "read", "predictions");
/// let tx = client.transaction().await?;
/// rampart::rbac::postgres::apply_row_security(&tx, principal, &filter).await?;
/// let rows = tx.query("SELECT id FROM predictions", &[]).await?; // only the allowed rows
/// tx.commit().await?;
/// # let _ = rows; Ok(()) }
/// ```
pub async fn apply_row_security(
    transaction: &Transaction<'_>,
    principal: &Principal,
    filter: &DataFilter,
) -> Result<RowSecurity, RowSecurityError> {
    let settings = row_security(principal, filter)?;
    let access = settings.access.join(",");
    let in_tenant = serde_json::Value::from(settings.tenant_granted_ids.clone()).to_string();
    let global = serde_json::Value::from(settings.global_granted_ids.clone()).to_string();
    transaction
        .execute(
            "SELECT set_config('app.current_user_id', $1, true), \
                    set_config('app.current_tenant_id', $2, true), \
                    set_config('app.current_org_id', $3, true), \
                    set_config('app.current_access', $4, true), \
                    set_config('app.tenant_granted_ids', $5, true), \
                    set_config('app.global_granted_ids', $6, true)",
            &[
                &principal.subject(),
                &principal.tenant().unwrap_or(""),
                &principal.org().unwrap_or(""),
                &access,
                &in_tenant,
                &global,
            ],
        )
        .await?;
    tracing::debug!(
        target: crate::authorizer::TARGET,
        %access,
        tenant_granted = settings.tenant_granted_ids.len(),
        global_granted = settings.global_granted_ids.len(),
        "row-level security set"
    );
    Ok(settings)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rampart_core::AuthMethod;

    #[test]
    fn levels_follow_the_filter() {
        let p = Principal::new("u1", AuthMethod::Jwt)
            .with_tenant("A")
            .with_org("o1");
        let mut owner = Constraint::owner("u1");
        owner.tenant = Some("A".into());
        let filter = DataFilter::Rows {
            any_of: vec![
                Constraint::org("A", "o1"),
                owner,
                Constraint::tenant("B"),
                Constraint::ids(["p9"]),
                Constraint::ids_in_tenant("A", ["p7"]),
                Constraint::ids_in_tenant("B", ["p8"]),
            ],
            none_of: vec![],
        };
        let s = row_security(&p, &filter).unwrap();
        assert_eq!(s.access, ["org", "owner"]);
        assert_eq!(s.global_granted_ids, ["p9"]);
        // Another tenant's granted ids are never carried as the principal's.
        assert_eq!(s.tenant_granted_ids, ["p7"]);
        assert_eq!(
            s.left_out,
            [
                Constraint::tenant("B"),
                Constraint::ids_in_tenant("B", ["p8"])
            ]
        );
        assert_eq!(row_security(&p, &DataFilter::All).unwrap().access, ["all"]);
        assert!(
            row_security(&p, &DataFilter::Nothing)
                .unwrap()
                .access
                .is_empty()
        );
        let denied = DataFilter::Rows {
            any_of: vec![Constraint::tenant("A")],
            none_of: vec![Constraint::owner("u2")],
        };
        assert!(matches!(
            row_security(&p, &denied),
            Err(RowSecurityError::Unrepresentable)
        ));
    }
}
