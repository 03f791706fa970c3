//! The SQL guard over arbitrary statements: never panics or overflows the
//! stack; whatever it accepts parses as exactly one statement and calls no
//! function on the deny-list. The calls are found by an oracle of its own:
//! sqlparser's tokenizer, a denied name followed by `(` (a name that merely
//! contains `pg_sleep`, such as a column `current_pg_sleep_for`, is no call).
#![no_main]

use libfuzzer_sys::fuzz_target;
use rampart_sanitize::validate::{DEFAULT_DENIED_FUNCTIONS, SqlGuard, TenantPredicate};
use sqlparser::dialect::PostgreSqlDialect;
use sqlparser::parser::Parser;
use sqlparser::tokenizer::{Token, Tokenizer};

/// The first denied function `sql` calls, if any.
fn denied_call(sql: &str) -> Option<String> {
    let tokens = Tokenizer::new(&PostgreSqlDialect {}, sql).tokenize().ok()?;
    let mut significant = tokens.iter().filter(|t| !matches!(t, Token::Whitespace(_)));
    let mut previous: Option<&Token> = None;
    for token in &mut significant {
        if let (Some(Token::Word(word)), Token::LParen) = (previous, token) {
            // Unquoted names fold to lower case; quoted ones are taken as written.
            let name = match word.quote_style {
                None => word.value.to_lowercase(),
                Some(_) => word.value.clone(),
            };
            if DEFAULT_DENIED_FUNCTIONS.contains(&name.as_str()) {
                return Some(name);
            }
        }
        previous = Some(token);
    }
    None
}

fuzz_target!(|data: &[u8]| {
    let Ok(sql) = std::str::from_utf8(data) else {
        return;
    };
    let guard = SqlGuard::new()
        .allow_tables(["items", "orders"])
        .tenant(TenantPredicate::placeholder("tenant_id", "$1"));
    if guard.check(sql).is_ok() {
        let statements = Parser::parse_sql(&PostgreSqlDialect {}, sql);
        assert_eq!(statements.map(|s| s.len()).ok(), Some(1), "accepted {sql:?}");
        assert_eq!(denied_call(sql), None, "accepted {sql:?}");
    }
});
