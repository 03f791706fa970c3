//! Row-level security against a real PostgreSQL (`DATABASE_URL`).
#![cfg(feature = "postgres")]
#![allow(clippy::unwrap_used, clippy::expect_used)]

use rampart_core::{AuthMethod, Principal};
use rampart_rbac::postgres::apply_row_security;
use rampart_rbac::{Authorizer, DataFilter, Grant, GrantStore, MemoryGrantStore, Policy};
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};
use tokio_postgres::{Client, NoTls};

async fn connect() -> Option<Client> {
    let url = rampart_test_support::service_url("DATABASE_URL", "postgres row-level security")?;
    let (client, connection) = tokio_postgres::connect(&url, NoTls)
        .await
        .expect("connect to DATABASE_URL");
    tokio::spawn(connection);
    Some(client)
}

const POLICY_SQL: &str = "
    ALTER TABLE {t} ENABLE ROW LEVEL SECURITY;
    ALTER TABLE {t} FORCE ROW LEVEL SECURITY;
    CREATE POLICY rampart_rows ON {t} USING (
        'all' = ANY (string_to_array(current_setting('app.current_access', true), ','))
     OR ('tenant' = ANY (string_to_array(current_setting('app.current_access', true), ','))
         AND tenant_id = current_setting('app.current_tenant_id', true))
     OR ('org' = ANY (string_to_array(current_setting('app.current_access', true), ','))
         AND tenant_id = current_setting('app.current_tenant_id', true)
         AND org_id = current_setting('app.current_org_id', true))
     OR ('owner' = ANY (string_to_array(current_setting('app.current_access', true), ','))
         AND tenant_id = current_setting('app.current_tenant_id', true)
         AND owner_id = current_setting('app.current_user_id', true))
     OR (tenant_id = current_setting('app.current_tenant_id', true)
         AND coalesce(nullif(current_setting('app.tenant_granted_ids', true), ''), '[]')::jsonb ? id)
     OR coalesce(nullif(current_setting('app.global_granted_ids', true), ''), '[]')::jsonb ? id
    );";

async fn visible(
    client: &mut Client,
    table: &str,
    role: &str,
    who: &Principal,
    filter: &DataFilter,
) -> Vec<String> {
    let tx = client.transaction().await.unwrap();
    tx.batch_execute(&format!("SET LOCAL ROLE {role}"))
        .await
        .unwrap();
    apply_row_security(&tx, who, filter).await.unwrap();
    let rows = tx
        .query(&format!("SELECT id FROM {table} ORDER BY id"), &[])
        .await
        .unwrap();
    tx.commit().await.unwrap();
    rows.iter().map(|r| r.get::<_, String>(0)).collect()
}

fn unique() -> String {
    format!(
        "{}_{}",
        std::process::id(),
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_nanos()
    )
}

#[tokio::test]
async fn row_level_security_follows_the_data_filter() {
    let Some(mut client) = connect().await else {
        return;
    };
    let unique = unique();
    let table = format!("rampart_rls_{unique}");
    let role = format!("rampart_rls_role_{unique}");
    client
        .batch_execute(&format!(
            "CREATE TABLE {table} (id text PRIMARY KEY, tenant_id text NOT NULL, org_id text NOT NULL, owner_id text NOT NULL);
             INSERT INTO {table} VALUES
                ('p1','A','o1','u1'), ('p2','A','o1','u2'), ('p3','A','o2','u1'),
                ('p4','A','o2','u3'), ('p5','B','o1','u1');
             CREATE ROLE {role} NOLOGIN;
             GRANT SELECT ON {table} TO {role};
             {}",
            POLICY_SQL.replace("{t}", &table)
        ))
        .await
        .unwrap();

    let authz = Authorizer::new(
        Policy::from_toml(
            r#"
            [roles.super_admin]
            permissions = ["prediction:*"]
            [roles.tenant_admin]
            permissions = ["prediction:*:own_tenant"]
            [roles.member]
            permissions = ["prediction:read:own_org", "prediction:read:own"]
            [roles.nobody]
        "#,
        )
        .unwrap(),
    )
    .unwrap();
    let who = |r: &str| {
        Principal::new("u1", AuthMethod::Jwt)
            .with_tenant("A")
            .with_org("o1")
            .with_roles([r])
    };
    let seen = |r: &'static str| {
        let p = who(r);
        let filter = authz.filter(&p, "read", "prediction");
        (p, filter)
    };
    let cases = [
        ("super_admin", vec!["p1", "p2", "p3", "p4", "p5"]),
        ("tenant_admin", vec!["p1", "p2", "p3", "p4"]),
        ("member", vec!["p1", "p2", "p3"]),
        ("nobody", vec![]),
    ];
    for (r, expected) in cases {
        let (p, filter) = seen(r);
        assert_eq!(
            visible(&mut client, &table, &role, &p, &filter).await,
            expected,
            "{r}"
        );
    }
    // Globally granted ids reach rows outside every scope, even in another tenant.
    let (p, _) = seen("nobody");
    let granted = DataFilter::Rows {
        any_of: vec![rampart_rbac::Constraint::ids(["p5"])],
        none_of: vec![],
    };
    assert_eq!(
        visible(&mut client, &table, &role, &p, &granted).await,
        ["p5"]
    );

    // The settings were local to each transaction: a new one starts with none.
    let tx = client.transaction().await.unwrap();
    tx.batch_execute(&format!("SET LOCAL ROLE {role}"))
        .await
        .unwrap();
    let rows = tx
        .query(&format!("SELECT id FROM {table}"), &[])
        .await
        .unwrap();
    assert!(rows.is_empty());
    tx.rollback().await.unwrap();

    client
        .batch_execute(&format!("DROP TABLE {table}; DROP ROLE {role};"))
        .await
        .unwrap();
}

#[tokio::test]
async fn a_granted_id_shows_only_its_tenants_row() {
    let Some(mut client) = connect().await else {
        return;
    };
    let unique = unique();
    let table = format!("rampart_rls_grants_{unique}");
    let role = format!("rampart_rls_grants_role_{unique}");
    // Ids are unique per tenant only: `7` exists in acme and in globex.
    client
        .batch_execute(&format!(
            "CREATE TABLE {table} (id text NOT NULL, tenant_id text NOT NULL, org_id text NOT NULL,
                                   owner_id text NOT NULL, PRIMARY KEY (tenant_id, id));
             INSERT INTO {table} VALUES
                ('7','acme','o1','x'), ('7','globex','o1','x'), ('8','acme','o1','x'),
                ('9','acme','o1','x'), ('9','globex','o1','x');
             CREATE ROLE {role} NOLOGIN NOSUPERUSER NOBYPASSRLS;
             GRANT SELECT ON {table} TO {role};
             {}",
            POLICY_SQL.replace("{t}", &table)
        ))
        .await
        .unwrap();
    // The role really is subject to row-level security.
    let row = client
        .query_one(
            "SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = $1",
            &[&role],
        )
        .await
        .unwrap();
    assert!(!row.get::<_, bool>(0) && !row.get::<_, bool>(1));

    let grants = Arc::new(MemoryGrantStore::new());
    let authz = Authorizer::builder()
        .policy(Policy::from_toml("[roles.member]").unwrap())
        .grant_store(grants.clone())
        .build()
        .unwrap();
    grants
        .grant(Grant::in_tenant("acme", "bob", "docs", "7", ["read"]))
        .await
        .unwrap();
    let rows_of = |tenant: &str| {
        let p = Principal::new("bob", AuthMethod::Jwt)
            .with_tenant(tenant)
            .with_roles(["member"]);
        let authz = authz.clone();
        async move {
            let filter = authz.filter_with_stores(&p, "read", "docs").await;
            (p, filter)
        }
    };
    let (bob, filter) = rows_of("acme").await;
    let seen = visible_with_tenant(&mut client, &table, &role, &bob, &filter).await;
    assert_eq!(seen, ["acme/7"], "globex's row 7 must stay hidden");
    // The same subject acting in globex sees nothing through acme's grant.
    let (bob_globex, filter) = rows_of("globex").await;
    assert!(
        visible_with_tenant(&mut client, &table, &role, &bob_globex, &filter)
            .await
            .is_empty()
    );
    // A global grant (an operator's) reaches the id in every tenant.
    grants
        .grant(Grant::global("bob", "docs", "9", ["read"]))
        .await
        .unwrap();
    let (bob, filter) = rows_of("acme").await;
    assert_eq!(
        visible_with_tenant(&mut client, &table, &role, &bob, &filter).await,
        ["acme/7", "acme/9", "globex/9"]
    );

    client
        .batch_execute(&format!("DROP TABLE {table}; DROP ROLE {role};"))
        .await
        .unwrap();
}

async fn visible_with_tenant(
    client: &mut Client,
    table: &str,
    role: &str,
    who: &Principal,
    filter: &DataFilter,
) -> Vec<String> {
    let tx = client.transaction().await.unwrap();
    tx.batch_execute(&format!("SET LOCAL ROLE {role}"))
        .await
        .unwrap();
    apply_row_security(&tx, who, filter).await.unwrap();
    let rows = tx
        .query(
            &format!("SELECT tenant_id || '/' || id FROM {table} ORDER BY 1"),
            &[],
        )
        .await
        .unwrap();
    tx.commit().await.unwrap();
    rows.iter().map(|r| r.get::<_, String>(0)).collect()
}
