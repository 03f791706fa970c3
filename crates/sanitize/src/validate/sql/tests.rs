use super::*;

fn guard() -> SqlGuard {
    SqlGuard::new()
        .allow_tables(["items", "orders"])
        .allow_unscoped_tables(["countries"])
        .tenant(TenantPredicate::placeholder("tenant_id", "$1"))
}

fn code(sql: &str) -> &'static str {
    match guard().check(sql) {
        Ok(()) => "ok",
        Err(e) => e.code(),
    }
}

#[test]
fn scoped_reads_with_the_predicate_pass() {
    for sql in [
        "SELECT name FROM items WHERE tenant_id = $1",
        "select name from ITEMS where TENANT_ID = $1 and price > 3",
        "SELECT name FROM items WHERE $1 = tenant_id",
        "SELECT name FROM items WHERE (price > 3 AND (tenant_id = $1))",
        "SELECT i.name FROM items i WHERE i.tenant_id = $1",
        "SELECT i.name, o.id FROM items AS i JOIN orders o ON o.item_id = i.id \
         WHERE i.tenant_id = $1 AND o.tenant_id = $1",
        "SELECT i.name FROM items i JOIN countries c ON c.code = i.country WHERE i.tenant_id = $1",
        "SELECT code FROM countries",
        "SELECT name FROM items WHERE tenant_id = $1 AND id IN \
         (SELECT item_id FROM orders WHERE tenant_id = $1 AND total > 10)",
        "SELECT name FROM items WHERE tenant_id = $1 UNION SELECT name FROM orders WHERE tenant_id = $1",
        "WITH mine AS (SELECT * FROM items WHERE tenant_id = $1) SELECT name FROM mine",
        "WITH a AS (SELECT id FROM items WHERE tenant_id = $1), b AS (SELECT id FROM a) SELECT * FROM b",
        "WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r WHERE n < 5) SELECT n FROM r",
        "SELECT count(*), lower(name) FROM items WHERE tenant_id = $1 GROUP BY 2 ORDER BY 1 LIMIT 5",
        "SELECT 1",
    ] {
        assert_eq!(code(sql), "ok", "{sql}");
    }
}

#[test]
fn scoped_reads_without_the_predicate_are_refused() {
    for sql in [
        "SELECT name FROM items",
        "SELECT name FROM items WHERE price > 3",
        "SELECT name FROM items WHERE tenant_id = $1 OR 1 = 1",
        "SELECT name FROM items WHERE NOT tenant_id <> $1",
        "SELECT name FROM items WHERE tenant_id = $2",
        "SELECT name FROM items WHERE tenant_id = 'acme'",
        "SELECT name FROM items WHERE tenant_id IN ($1, 'other')",
        "SELECT name FROM items WHERE owner_id = $1",
        // Joined: each scoped table needs its own, qualified predicate.
        "SELECT i.name FROM items i JOIN orders o ON o.tenant_id = $1 WHERE i.tenant_id = $1",
        "SELECT i.name FROM items i, orders o WHERE tenant_id = $1",
        "SELECT i.name FROM items i, orders o WHERE i.tenant_id = $1 AND x.tenant_id = $1",
        // Every SELECT is checked: subqueries, set operations, CTE bodies.
        "SELECT name FROM items WHERE tenant_id = $1 AND id IN (SELECT item_id FROM orders)",
        "SELECT (SELECT max(total) FROM orders) FROM items WHERE tenant_id = $1",
        "SELECT * FROM (SELECT * FROM items) t WHERE t.tenant_id = $1",
        "SELECT name FROM items WHERE tenant_id = $1 UNION SELECT name FROM orders",
        "SELECT name FROM items WHERE tenant_id = $1 AND EXISTS (SELECT 1 FROM orders o WHERE o.id = 1)",
        "WITH all_items AS (SELECT * FROM items) SELECT * FROM all_items",
    ] {
        assert_eq!(code(sql), "missing_tenant_predicate", "{sql}");
    }
    let err = guard().check("SELECT * FROM items AS i").unwrap_err();
    assert_eq!(
        err.to_string(),
        "SELECT reads `i` without `tenant_id = $1` ANDed at the top level of its WHERE clause"
    );
}

#[test]
fn only_allowed_tables_are_read() {
    for (sql, table) in [
        ("SELECT * FROM users WHERE tenant_id = $1", "users"),
        (
            "SELECT * FROM public.items WHERE tenant_id = $1",
            "public.items",
        ),
        ("SELECT * FROM \"Items\" WHERE tenant_id = $1", "Items"),
        (
            "SELECT usename FROM pg_catalog.pg_user",
            "pg_catalog.pg_user",
        ),
        (
            "SELECT * FROM information_schema.tables",
            "information_schema.tables",
        ),
        (
            "SELECT name FROM items i JOIN secrets s ON s.id = i.id WHERE i.tenant_id = $1",
            "secrets",
        ),
        (
            "SELECT name FROM items WHERE tenant_id = $1 AND id IN (SELECT id FROM secrets)",
            "secrets",
        ),
        ("SELECT 1 UNION SELECT password FROM users", "users"),
        ("SELECT * FROM generate_series(1, 3)", "generate_series"),
        // A WITH name is not visible in its own (non-recursive) body...
        (
            "WITH secrets AS (SELECT * FROM secrets) SELECT * FROM secrets",
            "secrets",
        ),
        // ...nor outside the query that declares it.
        (
            "SELECT * FROM (WITH s AS (SELECT 1) SELECT * FROM s) x, s",
            "s",
        ),
        (
            "WITH a AS (SELECT * FROM b), b AS (SELECT 1) SELECT * FROM a",
            "b",
        ),
    ] {
        assert_eq!(
            guard().check(sql),
            Err(SqlRefusal::TableNotAllowed(table.into())),
            "{sql}"
        );
    }
    // `TABLE name` (only after a set operator in sqlparser) has no WHERE.
    assert_eq!(
        code("SELECT name FROM countries UNION TABLE items"),
        "table_command"
    );
    assert_eq!(
        code("SELECT code FROM countries UNION TABLE countries"),
        "ok"
    );
    assert_eq!(
        code("SELECT code FROM countries UNION TABLE users"),
        "table_not_allowed"
    );
    assert_eq!(
        code("WITH items AS (SELECT * FROM items) SELECT * FROM items"),
        "cte_shadows_table"
    );
    let qualified = SqlGuard::new().allow_tables(["public.items"]);
    assert!(qualified.check("SELECT * FROM public.items").is_ok());
    assert!(qualified.check("SELECT * FROM items").is_err());
}

#[test]
fn only_one_read_only_statement() {
    assert_eq!(
        guard().check("SELECT 1; SELECT 2"),
        Err(SqlRefusal::MultipleStatements(2))
    );
    assert_eq!(
        code("SELECT name FROM items WHERE tenant_id = $1; DROP TABLE items"),
        "multiple_statements"
    );
    assert_eq!(guard().check(""), Err(SqlRefusal::Empty));
    assert_eq!(guard().check(" ; "), Err(SqlRefusal::Empty));
    assert_eq!(code("SELEC name FROM items"), "parse_error");
    for (sql, kind) in [
        ("INSERT INTO items (name) VALUES ('x')", "INSERT"),
        ("UPDATE items SET name = 'x' WHERE tenant_id = $1", "UPDATE"),
        ("DELETE FROM items WHERE tenant_id = $1", "DELETE"),
        ("DROP TABLE items", "DROP TABLE"),
        ("TRUNCATE items", "TRUNCATE"),
        ("CREATE TABLE t (id int)", "CREATE TABLE"),
        ("GRANT ALL ON items TO public", "GRANT"),
        ("COPY items TO '/tmp/x'", "COPY"),
        ("SET search_path = evil", "SET"),
    ] {
        assert_eq!(
            guard().check(sql),
            Err(SqlRefusal::NotReadOnly(kind.into())),
            "{sql}"
        );
    }
    assert_eq!(
        code("WITH d AS (DELETE FROM items WHERE tenant_id = $1 RETURNING *) SELECT * FROM d"),
        "data_modifying_substatement"
    );
    assert_eq!(
        code("SELECT * INTO stolen FROM items WHERE tenant_id = $1"),
        "select_into"
    );
    for lock in [
        "FOR UPDATE",
        "FOR SHARE",
        "FOR UPDATE NOWAIT",
        "FOR UPDATE SKIP LOCKED",
    ] {
        assert_eq!(
            code(&format!("SELECT * FROM items WHERE tenant_id = $1 {lock}")),
            "locking_clause",
            "{lock}"
        );
    }
}

#[test]
fn denied_functions_anywhere_are_refused() {
    for (sql, function) in [
        ("SELECT pg_sleep(10)", "pg_sleep"),
        ("SELECT PG_CATALOG.PG_SLEEP(10)", "pg_sleep"),
        (
            "SELECT name FROM items WHERE tenant_id = $1 AND (SELECT pg_read_file('/etc/passwd')) IS NULL",
            "pg_read_file",
        ),
        ("SELECT lo_import('/etc/passwd')", "lo_import"),
        ("SELECT * FROM pg_read_file('/etc/passwd')", "pg_read_file"),
        (
            "SELECT * FROM dblink('host=evil', 'select 1') AS t(a int)",
            "dblink",
        ),
        (
            "SELECT query_to_xml('select * from secrets', true, true, '')",
            "query_to_xml",
        ),
        ("SELECT set_config('role', 'admin', false)", "set_config"),
        ("SELECT nextval('items_id_seq')", "nextval"),
        ("SELECT 1 ORDER BY pg_sleep(1)", "pg_sleep"),
    ] {
        assert_eq!(
            guard().check(sql),
            Err(SqlRefusal::DeniedFunction(function.into())),
            "{sql}"
        );
    }
    let custom = guard().deny_functions(["Audit_Bypass"]);
    assert_eq!(
        custom.check("SELECT audit_bypass()"),
        Err(SqlRefusal::DeniedFunction("audit_bypass".into()))
    );
}

#[test]
fn literal_tenant_values_and_other_dialects() {
    let acme = SqlGuard::new()
        .allow_tables(["items"])
        .tenant(TenantPredicate::literal("tenant_id", "acme"));
    assert!(
        acme.check("SELECT * FROM items WHERE tenant_id = 'acme'")
            .is_ok()
    );
    assert!(
        acme.check("SELECT * FROM items WHERE tenant_id = 'globex'")
            .is_err()
    );
    assert!(
        acme.check("SELECT * FROM items WHERE tenant_id = $1")
            .is_err()
    );
    let numeric = SqlGuard::new()
        .allow_tables(["items"])
        .tenant(TenantPredicate::literal("org", "42"));
    assert!(numeric.check("SELECT * FROM items WHERE org = 42").is_ok());
    assert!(numeric.check("SELECT * FROM items WHERE org = 43").is_err());

    let mysql = SqlGuard::new()
        .dialect(SqlDialect::MySql)
        .allow_tables(["items"])
        .tenant(TenantPredicate::placeholder("tenant_id", "?"));
    assert!(
        mysql
            .check("SELECT `name` FROM items WHERE tenant_id = ?")
            .is_ok()
    );
    assert_eq!(
        mysql.check("SELECT sleep(5) FROM items WHERE tenant_id = ?"),
        Err(SqlRefusal::DeniedFunction("sleep".into()))
    );
    // Without a tenant predicate configured, allowed tables are enough.
    let open = SqlGuard::new()
        .dialect(SqlDialect::Sqlite)
        .allow_tables(["items"]);
    assert!(open.check("SELECT * FROM items").is_ok());
    for dialect in [SqlDialect::MsSql, SqlDialect::Ansi, SqlDialect::Generic] {
        let g = SqlGuard::new().dialect(dialect).allow_tables(["items"]);
        assert!(g.check("SELECT name FROM items").is_ok(), "{dialect:?}");
        assert!(g.check("DELETE FROM items").is_err(), "{dialect:?}");
    }
}

#[test]
fn hostile_shapes_are_refused_without_panicking() {
    let deep = format!("SELECT {}1{}", "(".repeat(5000), ")".repeat(5000));
    assert_eq!(
        SqlGuard::new()
            .max_length(1 << 20)
            .check(&deep)
            .unwrap_err()
            .code(),
        "parse_error"
    );
    let long_chain = format!(
        "SELECT name FROM items WHERE {} tenant_id = $1",
        "price > 1 AND ".repeat(1000)
    );
    assert_eq!(code(&long_chain), "ok");
    let too_long = "SELECT 1 ".repeat(3000);
    assert!(matches!(
        guard().check(&too_long),
        Err(SqlRefusal::TooLong { .. })
    ));
    for junk in ["\0", "SELECT '", "SELECT \"", "/*", "--", "SELECT $", "é"] {
        let _ = guard().check(junk);
    }
}

fn writer() -> SqlGuard {
    guard().allow_writes()
}

fn write_code(sql: &str) -> &'static str {
    match writer().check(sql) {
        Ok(()) => "ok",
        Err(e) => e.code(),
    }
}

#[test]
fn writes_only_when_allowed_and_scoped_to_the_tenant() {
    for sql in [
        "INSERT INTO items (name, tenant_id) VALUES ('a', $1), ('b', $1)",
        "INSERT INTO countries (code) VALUES ('fr')",
        "UPDATE items SET name = 'x' WHERE tenant_id = $1 AND id = 3",
        "UPDATE items i SET name = 'x' WHERE i.tenant_id = $1",
        "DELETE FROM items WHERE id = 3 AND tenant_id = $1",
        "DELETE FROM countries",
        "INSERT INTO items (name, tenant_id) VALUES ('a', $1) RETURNING id",
    ] {
        assert_eq!(write_code(sql), "ok", "{sql}");
        assert_eq!(code(sql), "not_read_only", "{sql}");
    }
    for (sql, expected) in [
        ("UPDATE items SET name = 'x'", "missing_tenant_predicate"),
        (
            "UPDATE items SET name = 'x' WHERE tenant_id = $1 OR id = 3",
            "missing_tenant_predicate",
        ),
        ("DELETE FROM items", "missing_tenant_predicate"),
        (
            "DELETE FROM items WHERE tenant_id = $2",
            "missing_tenant_predicate",
        ),
        (
            "UPDATE items SET tenant_id = 'other' WHERE tenant_id = $1",
            "tenant_write",
        ),
        ("INSERT INTO items (name) VALUES ('a')", "tenant_write"),
        (
            "INSERT INTO items (name, tenant_id) VALUES ('a', $1), ('b', 'evil')",
            "tenant_write",
        ),
        (
            "INSERT INTO items (name, tenant_id) SELECT name, tenant_id FROM orders WHERE tenant_id = $1",
            "tenant_write",
        ),
        (
            "INSERT INTO items (id, tenant_id) VALUES (1, $1) ON CONFLICT (id) DO UPDATE SET name = 'x'",
            "tenant_write",
        ),
        ("INSERT INTO users (name) VALUES ('a')", "table_not_allowed"),
        (
            "UPDATE users SET admin = true WHERE tenant_id = $1",
            "table_not_allowed",
        ),
        (
            "DELETE FROM items WHERE tenant_id = $1 AND id IN (SELECT id FROM secrets)",
            "table_not_allowed",
        ),
        (
            "UPDATE items SET name = pg_sleep(1) WHERE tenant_id = $1",
            "denied_function",
        ),
        ("DROP TABLE items", "not_read_only"),
        (
            "WITH d AS (DELETE FROM items WHERE tenant_id = $1 RETURNING *) SELECT * FROM d",
            "data_modifying_substatement",
        ),
    ] {
        assert_eq!(write_code(sql), expected, "{sql}");
    }
}

#[test]
fn nothing_after_the_statement_is_left_unread() {
    // Found by the `sql_guard` fuzz target: sqlparser stops at `END` after a
    // statement and ignores the rest, which PostgreSQL runs (`SELECT 1 END`
    // selects a column named `end`).
    for sql in [
        "SELECT 1 END; DELETE FROM orders",
        "SELECT name FROM items WHERE tenant_id = $1 END; SELECT pg_sleep(10)",
        "SELECT 1 END",
        "SELECT 1 end garbage",
    ] {
        assert_eq!(code(sql), "parse_error", "{sql}");
    }
    // `END` where it belongs still parses.
    assert_eq!(code("SELECT CASE WHEN 1 = 1 THEN 2 END"), "ok");
    assert_eq!(code("SELECT 1 AS \"end\""), "ok");
}
