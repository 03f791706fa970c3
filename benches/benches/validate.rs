//! Validators beside the crates they build on, in the same run: URL policy
//! vs `url::Url::parse`, HTML cleaning presets vs `ammonia::clean`, the SQL
//! guard vs `sqlparser` parsing alone, JSON limits + parse vs `serde_json`.

use criterion::{Criterion, criterion_group, criterion_main};
use rampart_sanitize::clean::HtmlCleaner;
use rampart_sanitize::validate::{JsonLimits, SqlGuard, TenantPredicate, UrlPolicy};
use sqlparser::dialect::PostgreSqlDialect;
use sqlparser::parser::Parser;
use std::hint::black_box;

const URLS: &[&str] = &[
    "https://api.example.com/v1/hooks?id=42",
    "http://0x7f.1/admin",
    "http://[::ffff:169.254.169.254]/latest/meta-data/",
    "https://user:pw@example.com/",
    "https://bücher.example/katalog",
];

const HTML: &str = r#"<h2>Release notes</h2><p>We fixed <b>three</b> bugs and <a href="https://example.com/changelog" onclick="steal()">documented</a> them.</p><ul><li>one</li><li>two <img src=x onerror=alert(1)></li></ul><script>alert(document.cookie)</script><p style="color:red">done</p>"#;

const SQL: &str = "SELECT i.name, o.total FROM items i JOIN orders o ON o.item_id = i.id \
                   WHERE i.tenant_id = $1 AND o.tenant_id = $1 AND o.total > 10 \
                   AND i.id IN (SELECT item_id FROM orders WHERE tenant_id = $1) ORDER BY o.total LIMIT 20";

fn json_body() -> Vec<u8> {
    let items: Vec<String> = (0..50)
        .map(|i| format!(r#"{{"id":{i},"name":"item {i}","tags":["a","b"],"price":{i}.5}}"#))
        .collect();
    format!(
        r#"{{"items":[{}],"page":{{"next":null}}}}"#,
        items.join(",")
    )
    .into_bytes()
}

fn urls(c: &mut Criterion) {
    let policy = UrlPolicy::new().allow_schemes(["http", "https"]);
    let mut group = c.benchmark_group("url");
    group.bench_function("url::Url::parse", |b| {
        b.iter(|| {
            for u in URLS {
                let _ = black_box(url::Url::parse(black_box(u)));
            }
        })
    });
    group.bench_function("rampart UrlPolicy::check", |b| {
        b.iter(|| {
            for u in URLS {
                let _ = black_box(policy.check(black_box(u)));
            }
        })
    });
    group.finish();
}

fn html(c: &mut Criterion) {
    let basic = HtmlCleaner::basic();
    let rich = HtmlCleaner::rich();
    let mut group = c.benchmark_group("html_clean");
    group.bench_function("ammonia::clean (default)", |b| {
        b.iter(|| black_box(ammonia::clean(black_box(HTML))))
    });
    group.bench_function("rampart HtmlCleaner::rich", |b| {
        b.iter(|| black_box(rich.clean(black_box(HTML))))
    });
    group.bench_function("rampart HtmlCleaner::basic", |b| {
        b.iter(|| black_box(basic.clean(black_box(HTML))))
    });
    group.finish();
}

fn sql(c: &mut Criterion) {
    let guard = SqlGuard::new()
        .allow_tables(["items", "orders"])
        .tenant(TenantPredicate::placeholder("tenant_id", "$1"));
    assert!(guard.check(SQL).is_ok());
    let mut group = c.benchmark_group("sql");
    group.bench_function("sqlparser parse_sql", |b| {
        b.iter(|| black_box(Parser::parse_sql(&PostgreSqlDialect {}, black_box(SQL))))
    });
    group.bench_function("rampart SqlGuard::check", |b| {
        b.iter(|| black_box(guard.check(black_box(SQL))))
    });
    group.finish();
}

fn json(c: &mut Criterion) {
    let body = json_body();
    let limits = JsonLimits::new();
    let mut group = c.benchmark_group("json");
    group.bench_function("serde_json::from_slice", |b| {
        b.iter(|| {
            black_box(serde_json::from_slice::<serde_json::Value>(black_box(
                &body,
            )))
        })
    });
    group.bench_function("rampart JsonLimits::parse", |b| {
        b.iter(|| black_box(limits.parse::<serde_json::Value>(black_box(&body))))
    });
    group.finish();
}

criterion_group!(benches, urls, html, sql, json);
criterion_main!(benches);
