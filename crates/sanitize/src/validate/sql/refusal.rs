//! Why a generated SQL statement was refused.

/// A statement the [`SqlGuard`](super::SqlGuard) will not let run.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SqlRefusal {
    /// Longer than the guard's limit.
    #[error("statement is {len} bytes long, more than the allowed {max}")]
    TooLong {
        /// The length of the input.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// Not valid SQL in the configured dialect (or nested deeper than the
    /// parser allows).
    #[error("statement does not parse: {0}")]
    Parse(String),
    /// No statement at all.
    #[error("no statement")]
    Empty,
    /// More than one statement (`SELECT 1; DROP TABLE t`).
    #[error("{0} statements where exactly one is allowed")]
    MultipleStatements(usize),
    /// Not a query (or, with writes allowed, not INSERT, UPDATE or DELETE).
    #[error("{0} statements are not allowed")]
    NotReadOnly(String),
    /// A data-modifying statement inside a query (`WITH d AS (DELETE ...)`).
    #[error("data-modifying statement inside a query ({0})")]
    DataModifyingSubstatement(String),
    /// `SELECT ... INTO`, which creates a table.
    #[error("SELECT INTO creates a table and is not allowed")]
    SelectInto,
    /// `FOR UPDATE`, `FOR SHARE` and other locking clauses.
    #[error("locking clauses (FOR UPDATE / FOR SHARE) are not allowed")]
    LockingClause,
    /// A call to a function on the deny-list (`pg_sleep`, `pg_read_file`...).
    #[error("function `{0}` is not allowed")]
    DeniedFunction(String),
    /// A table (or view, or table function) not on the allow-list.
    #[error("table `{0}` is not on the allow-list")]
    TableNotAllowed(String),
    /// A common table expression named like an allowed table, which would
    /// hide which one a reference reads.
    #[error("WITH name `{0}` shadows an allowed table")]
    CteShadowsTable(String),
    /// A `TABLE name` query on a tenant-scoped table: it has no WHERE clause.
    #[error("`TABLE {0}` reads a tenant-scoped table without a tenant predicate")]
    TableCommand(String),
    /// A write on a tenant-scoped table that could reach another tenant's
    /// rows: an INSERT without the tenant value, an UPDATE assigning the
    /// tenant column, an upsert, or `INSERT ... SELECT`.
    #[error("write to `{table}` refused: {reason}")]
    TenantWrite {
        /// The table.
        table: String,
        /// What makes it unsafe.
        reason: &'static str,
    },
    /// A SELECT reads a tenant-scoped table without the tenant predicate
    /// ANDed at the top level of its WHERE clause.
    #[error(
        "SELECT reads `{table}` without `{expected}` ANDed at the top level of its WHERE clause"
    )]
    MissingTenantPredicate {
        /// The table, as referenced (alias or name).
        table: String,
        /// The predicate expected, e.g. `tenant_id = $1`.
        expected: String,
    },
}

impl SqlRefusal {
    /// A stable snake_case code for problem details and audit events.
    pub fn code(&self) -> &'static str {
        match self {
            Self::TooLong { .. } => "too_long",
            Self::Parse(_) => "parse_error",
            Self::Empty => "empty",
            Self::MultipleStatements(_) => "multiple_statements",
            Self::NotReadOnly(_) => "not_read_only",
            Self::DataModifyingSubstatement(_) => "data_modifying_substatement",
            Self::SelectInto => "select_into",
            Self::LockingClause => "locking_clause",
            Self::DeniedFunction(_) => "denied_function",
            Self::TableNotAllowed(_) => "table_not_allowed",
            Self::CteShadowsTable(_) => "cte_shadows_table",
            Self::TableCommand(_) => "table_command",
            Self::TenantWrite { .. } => "tenant_write",
            Self::MissingTenantPredicate { .. } => "missing_tenant_predicate",
        }
    }
}
