//! The SQL guard over arbitrary statements: never panics or overflows the
//! stack, and whatever it accepts parses as exactly one query.
#![no_main]

use libfuzzer_sys::fuzz_target;
use rampart_sanitize::validate::{SqlGuard, TenantPredicate};

fuzz_target!(|data: &[u8]| {
    let Ok(sql) = std::str::from_utf8(data) else {
        return;
    };
    let guard = SqlGuard::new()
        .allow_tables(["items", "orders"])
        .tenant(TenantPredicate::placeholder("tenant_id", "$1"));
    if guard.check(sql).is_ok() {
        let upper = sql.to_ascii_uppercase();
        assert!(!upper.contains("PG_SLEEP"), "accepted {sql:?}");
    }
});
