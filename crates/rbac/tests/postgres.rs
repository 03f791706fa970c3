//! Row-level security against a real PostgreSQL (`DATABASE_URL`).
#![cfg(feature = "postgres")]
#![allow(clippy::unwrap_used, clippy::expect_used)]

use rampart_core::{AuthMethod, Principal};
use rampart_rbac::postgres::apply_row_security;
use rampart_rbac::{Authorizer, DataFilter, Policy};
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
     OR coalesce(nullif(current_setting('app.granted_ids', true), ''), '[]')::jsonb ? id
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

#[tokio::test]
async fn row_level_security_follows_the_data_filter() {
    let Some(mut client) = connect().await else {
        return;
    };
    let unique = format!(
        "{}_{}",
        std::process::id(),
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_nanos()
    );
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
    // Granted ids reach rows outside every scope, even in another tenant.
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
