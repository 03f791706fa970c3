//! The policy a generated SQL statement must meet.

use std::collections::HashSet;
use std::fmt;
use std::ops::ControlFlow;

use sqlparser::ast::{Statement, Visit};
use sqlparser::dialect::{
    AnsiDialect, Dialect, GenericDialect, MsSqlDialect, MySqlDialect, PostgreSqlDialect,
    SQLiteDialect,
};
use sqlparser::parser::{Parser, ParserError};
use sqlparser::tokenizer::Token;

use super::SqlRefusal;
use super::walk::Walker;

/// Functions refused by default: they sleep, read or write server files,
/// reach other servers, run queries from strings, change settings, signal
/// backends, take locks or advance sequences.
pub const DEFAULT_DENIED_FUNCTIONS: &[&str] = &[
    // PostgreSQL: time, files, large objects, remote servers
    "pg_sleep",
    "pg_sleep_for",
    "pg_sleep_until",
    "pg_read_file",
    "pg_read_binary_file",
    "pg_ls_dir",
    "pg_stat_file",
    "pg_ls_logdir",
    "pg_ls_waldir",
    "lo_import",
    "lo_export",
    "lo_get",
    "lo_put",
    "lo_open",
    "lo_create",
    "lo_unlink",
    "lo_from_bytea",
    "dblink",
    "dblink_exec",
    "dblink_connect",
    "dblink_send_query",
    "dblink_open",
    // PostgreSQL: queries from strings, settings, server control
    "query_to_xml",
    "query_to_xml_and_xmlschema",
    "query_to_xmlschema",
    "cursor_to_xml",
    "table_to_xml",
    "schema_to_xml",
    "database_to_xml",
    "set_config",
    "current_setting",
    "pg_reload_conf",
    "pg_rotate_logfile",
    "pg_terminate_backend",
    "pg_cancel_backend",
    "pg_promote",
    "pg_notify",
    "pg_logical_emit_message",
    "pg_advisory_lock",
    "pg_advisory_xact_lock",
    "pg_advisory_lock_shared",
    "pg_try_advisory_lock",
    "pg_try_advisory_xact_lock",
    "nextval",
    "setval",
    "txid_current",
    "pg_current_xact_id",
    // MySQL / SQLite / SQL Server
    "sleep",
    "benchmark",
    "load_file",
    "get_lock",
    "load_extension",
    "xp_cmdshell",
    "openrowset",
    "opendatasource",
    "openquery",
];

/// The SQL dialect statements are parsed in.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum SqlDialect {
    /// PostgreSQL (the default).
    #[default]
    PostgreSql,
    /// MySQL and MariaDB.
    MySql,
    /// SQLite.
    Sqlite,
    /// Microsoft SQL Server.
    MsSql,
    /// ANSI SQL.
    Ansi,
    /// sqlparser's permissive generic dialect.
    Generic,
}

impl SqlDialect {
    fn parser_dialect(self) -> Box<dyn Dialect> {
        match self {
            Self::PostgreSql => Box::new(PostgreSqlDialect {}),
            Self::MySql => Box::new(MySqlDialect {}),
            Self::Sqlite => Box::new(SQLiteDialect {}),
            Self::MsSql => Box::new(MsSqlDialect {}),
            Self::Ansi => Box::new(AnsiDialect {}),
            Self::Generic => Box::new(GenericDialect {}),
        }
    }
}

/// The value the tenant column must equal.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum TenantValue {
    /// A bind parameter, written exactly (`$1`, `?`, `:tenant`): the
    /// application binds the caller's tenant to it.
    Placeholder(String),
    /// A literal, string (`'acme'`) or number (`42`).
    Literal(String),
}

/// `column = value`, required at the top level of the WHERE clause of every
/// SELECT reading a tenant-scoped table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TenantPredicate {
    pub(super) column: String,
    pub(super) value: TenantValue,
}

impl TenantPredicate {
    /// `column = <placeholder>`, e.g. `("tenant_id", "$1")`.
    pub fn placeholder(column: &str, placeholder: &str) -> Self {
        Self {
            column: column.to_ascii_lowercase(),
            value: TenantValue::Placeholder(placeholder.to_owned()),
        }
    }

    /// `column = <literal>`, e.g. `("tenant_id", "acme")` for
    /// `tenant_id = 'acme'`.
    pub fn literal(column: &str, value: &str) -> Self {
        Self {
            column: column.to_ascii_lowercase(),
            value: TenantValue::Literal(value.to_owned()),
        }
    }
}

impl fmt::Display for TenantPredicate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.value {
            TenantValue::Placeholder(p) => write!(f, "{} = {p}", self.column),
            TenantValue::Literal(v) => write!(f, "{} = '{v}'", self.column),
        }
    }
}

/// A gate for SQL statements an application or an LLM agent generates,
/// before they run.
///
/// It parses the statement (it does not pattern-match text) and allows
/// exactly one read-only query (or, with [`SqlGuard::allow_writes`], one
/// tenant-scoped INSERT, UPDATE or DELETE): no other DML, no DDL, no data-modifying WITH, no
/// `SELECT INTO`, no locking clause, no denied function; every table
/// reference (in joins, subqueries, CTEs and set operations) on the
/// allow-list; and, when a tenant predicate is set, every SELECT that reads a
/// tenant-scoped table has that predicate ANDed at the top level of its
/// WHERE clause, qualified by the table's alias when it joins others.
///
/// Table names match exactly after folding unquoted identifiers to lower
/// case: allowing `items` does not allow `public.items`. Predicates in JOIN
/// ON clauses do not count.
///
/// ```
/// use rampart_sanitize::validate::{SqlGuard, SqlRefusal, TenantPredicate};
///
/// let guard = SqlGuard::new()
///     .allow_tables(["items", "orders"])
///     .tenant(TenantPredicate::placeholder("tenant_id", "$1"));
/// assert!(guard.check("SELECT name FROM items WHERE tenant_id = $1 AND price > 10").is_ok());
/// assert_eq!(guard.check("SELECT * FROM items").unwrap_err().code(), "missing_tenant_predicate");
/// assert_eq!(guard.check("SELECT * FROM users WHERE tenant_id = $1").unwrap_err(),
///            SqlRefusal::TableNotAllowed("users".into()));
/// assert_eq!(guard.check("DELETE FROM items").unwrap_err().code(), "not_read_only");
/// ```
#[derive(Debug, Clone)]
#[must_use]
pub struct SqlGuard {
    dialect: SqlDialect,
    pub(super) tables: HashSet<String>,
    pub(super) unscoped: HashSet<String>,
    pub(super) tenant: Option<TenantPredicate>,
    pub(super) denied_functions: HashSet<String>,
    max_len: usize,
    writes: bool,
}

impl Default for SqlGuard {
    fn default() -> Self {
        Self::new()
    }
}

impl SqlGuard {
    /// PostgreSQL, no table allowed, no tenant predicate, the
    /// [`DEFAULT_DENIED_FUNCTIONS`], statements up to 16 KiB.
    pub fn new() -> Self {
        Self {
            dialect: SqlDialect::default(),
            tables: HashSet::new(),
            unscoped: HashSet::new(),
            tenant: None,
            denied_functions: DEFAULT_DENIED_FUNCTIONS
                .iter()
                .map(|f| (*f).to_owned())
                .collect(),
            max_len: 16 * 1024,
            writes: false,
        }
    }

    /// The dialect to parse (default PostgreSQL).
    pub fn dialect(mut self, dialect: SqlDialect) -> Self {
        self.dialect = dialect;
        self
    }

    /// Tables a query may read (default: none). With a tenant predicate set,
    /// each needs it. Write `schema.table` to allow a qualified name.
    pub fn allow_tables<I, S>(mut self, tables: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        self.tables
            .extend(tables.into_iter().map(|t| t.as_ref().to_ascii_lowercase()));
        self
    }

    /// Tables a query may read without the tenant predicate: shared
    /// reference data such as `countries` (default: none).
    pub fn allow_unscoped_tables<I, S>(mut self, tables: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        for table in tables {
            let table = table.as_ref().to_ascii_lowercase();
            self.tables.insert(table.clone());
            self.unscoped.insert(table);
        }
        self
    }

    /// The predicate every SELECT reading a scoped table must carry
    /// (default: none, no tenant check).
    pub fn tenant(mut self, predicate: TenantPredicate) -> Self {
        self.tenant = Some(predicate);
        self
    }

    /// Adds functions to the deny-list (matched on the unqualified name,
    /// case-insensitively).
    pub fn deny_functions<I, S>(mut self, functions: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        self.denied_functions.extend(
            functions
                .into_iter()
                .map(|f| f.as_ref().to_ascii_lowercase()),
        );
        self
    }

    /// Also accepts INSERT, UPDATE and DELETE on allowed tables (default:
    /// read-only). With a tenant predicate, on a scoped table: UPDATE and
    /// DELETE need the predicate at the top level of their WHERE and may not
    /// assign the tenant column; INSERT must list the tenant column with the
    /// tenant value in every VALUES row; `INSERT ... SELECT` and upserts
    /// (`ON CONFLICT`, `ON DUPLICATE KEY`) are refused. Data-modifying WITH
    /// stays refused.
    pub fn allow_writes(mut self) -> Self {
        self.writes = true;
        self
    }

    /// The longest statement accepted, in bytes (default 16 KiB).
    pub fn max_length(mut self, max: usize) -> Self {
        self.max_len = max;
        self
    }

    /// Checks one statement.
    ///
    /// # Errors
    /// The first rule the statement breaks.
    pub fn check(&self, sql: &str) -> Result<(), SqlRefusal> {
        if sql.len() > self.max_len {
            return Err(SqlRefusal::TooLong {
                len: sql.len(),
                max: self.max_len,
            });
        }
        let dialect = self.dialect.parser_dialect();
        let parse_error = |e: ParserError| SqlRefusal::Parse(e.to_string());
        let mut parser = Parser::new(&*dialect)
            .try_with_sql(sql)
            .map_err(parse_error)?;
        let statements = parser.parse_statements().map_err(parse_error)?;
        // sqlparser stops at an `END` keyword straight after a statement (the
        // end of a `BEGIN ... END` block) and leaves the rest unread, while
        // PostgreSQL reads `SELECT 1 END` as a column named `end` and runs
        // whatever follows: `SELECT 1 END; DELETE FROM items`. Nothing may
        // be left unread.
        let rest = parser.peek_token();
        if rest.token != Token::EOF {
            return Err(SqlRefusal::Parse(format!(
                "unexpected `{}` after the statement",
                rest.token
            )));
        }
        let statement = match statements.as_slice() {
            [] => return Err(SqlRefusal::Empty),
            [one] => one,
            many => return Err(SqlRefusal::MultipleStatements(many.len())),
        };
        let is_write = matches!(
            statement,
            Statement::Insert(_) | Statement::Update(_) | Statement::Delete(_)
        );
        let allowed = matches!(statement, Statement::Query(_)) || (self.writes && is_write);
        if !allowed {
            return Err(SqlRefusal::NotReadOnly(statement_kind(statement)));
        }
        let mut walker = Walker::new(self);
        if is_write && let ControlFlow::Break(refusal) = walker.check_write(statement) {
            return Err(refusal);
        }
        match statement.visit(&mut walker) {
            ControlFlow::Break(refusal) => Err(refusal),
            ControlFlow::Continue(()) => Ok(()),
        }
    }

    pub(super) fn is_allowed(&self, table: &str) -> bool {
        self.tables.contains(table)
    }

    pub(super) fn is_scoped(&self, table: &str) -> bool {
        self.tenant.is_some() && self.tables.contains(table) && !self.unscoped.contains(table)
    }
}

/// The statement's leading keywords, for the refusal message.
pub(super) fn statement_kind(statement: &Statement) -> String {
    let text = statement.to_string();
    let words: Vec<&str> = text.split_whitespace().take(2).collect();
    match words.as_slice() {
        [first, second]
            if matches!(
                first.to_ascii_uppercase().as_str(),
                "CREATE" | "DROP" | "ALTER"
            ) =>
        {
            format!(
                "{} {}",
                first.to_ascii_uppercase(),
                second.to_ascii_uppercase()
            )
        }
        [first, ..] => first.to_ascii_uppercase(),
        [] => "unknown".to_owned(),
    }
}
