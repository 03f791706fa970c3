//! The walk over a parsed statement: every table reference, function call,
//! nested statement and SELECT, with WITH names scoped as PostgreSQL scopes
//! them.

use std::ops::ControlFlow;

use sqlparser::ast::{
    BinaryOperator, Expr, Ident, ObjectName, ObjectNamePart, Query, Select, SetExpr, Statement,
    Table, TableFactor, TableWithJoins, Value, Visitor,
};

use super::guard::statement_kind;
use super::{SqlGuard, SqlRefusal, TenantValue};

/// The WITH names of one query, and how many of them are visible where the
/// walk is: a non-recursive CTE body sees only the CTEs before it, the
/// query's body sees all of them, a recursive WITH sees all everywhere.
struct Scope {
    owner: *const Query,
    names: Vec<String>,
    bodies: Vec<*const Query>,
    recursive: bool,
    visible: usize,
}

pub(super) struct Walker<'g> {
    guard: &'g SqlGuard,
    scopes: Vec<Scope>,
    /// Whether the top statement has been visited: any later statement is
    /// nested in a query.
    top_seen: bool,
}

/// An identifier as the database sees it: unquoted ones fold to lower case.
pub(super) fn ident(ident: &Ident) -> String {
    match ident.quote_style {
        None => ident.value.to_ascii_lowercase(),
        Some(_) => ident.value.clone(),
    }
}

/// A dotted name; a part computed by a function never matches a table.
pub(super) fn object_name(name: &ObjectName) -> String {
    name.0
        .iter()
        .map(|part| match part {
            ObjectNamePart::Identifier(i) => ident(i),
            ObjectNamePart::Function(_) => "<function>".to_owned(),
        })
        .collect::<Vec<_>>()
        .join(".")
}

pub(super) fn last_part(name: &ObjectName) -> String {
    match name.0.last() {
        Some(ObjectNamePart::Identifier(i)) => ident(i),
        _ => String::new(),
    }
}

impl<'g> Walker<'g> {
    pub(super) fn new(guard: &'g SqlGuard) -> Self {
        Self {
            guard,
            scopes: Vec::new(),
            top_seen: false,
        }
    }

    pub(super) fn guard(&self) -> &SqlGuard {
        self.guard
    }

    fn is_cte(&self, name: &str) -> bool {
        self.scopes
            .iter()
            .any(|s| s.names[..s.visible].iter().any(|n| n == name))
    }

    /// The tables a SELECT reads directly (not through subqueries, which
    /// are SELECTs of their own): `(name, qualifier)`, plus how many
    /// relations of any kind its FROM holds.
    fn direct_tables(&self, from: &[TableWithJoins]) -> (Vec<(String, String)>, usize) {
        let mut tables = Vec::new();
        let mut count = 0;
        let mut pending: Vec<&TableFactor> = Vec::new();
        for twj in from {
            pending.push(&twj.relation);
            pending.extend(twj.joins.iter().map(|j| &j.relation));
        }
        while let Some(factor) = pending.pop() {
            match factor {
                TableFactor::NestedJoin {
                    table_with_joins, ..
                } => {
                    pending.push(&table_with_joins.relation);
                    pending.extend(table_with_joins.joins.iter().map(|j| &j.relation));
                }
                TableFactor::Table { name, alias, .. } => {
                    count += 1;
                    let full = object_name(name);
                    if name.0.len() == 1 && self.is_cte(&full) {
                        continue;
                    }
                    let qualifier = alias
                        .as_ref()
                        .map_or_else(|| last_part(name), |a| ident(&a.name));
                    tables.push((full, qualifier));
                }
                _ => count += 1,
            }
        }
        (tables, count)
    }

    fn check_tenant(&self, select: &Select) -> ControlFlow<SqlRefusal> {
        self.check_filtered(&select.from, select.selection.as_ref())
    }

    /// Every scoped table read directly from `from` has the tenant
    /// predicate among the top-level conjuncts of `selection`.
    pub(super) fn check_filtered(
        &self,
        from: &[TableWithJoins],
        selection: Option<&Expr>,
    ) -> ControlFlow<SqlRefusal> {
        let Some(tenant) = &self.guard.tenant else {
            return ControlFlow::Continue(());
        };
        let (tables, count) = self.direct_tables(from);
        let conjuncts = selection.map(top_level_conjuncts);
        for (table, qualifier) in tables {
            if !self.guard.is_scoped(&table) {
                continue;
            }
            let found = conjuncts.as_ref().is_some_and(|conjuncts| {
                conjuncts.iter().any(|c| {
                    is_tenant_predicate(c, &tenant.column, &tenant.value, &qualifier, count == 1)
                })
            });
            if !found {
                return ControlFlow::Break(SqlRefusal::MissingTenantPredicate {
                    table: qualifier,
                    expected: tenant.to_string(),
                });
            }
        }
        ControlFlow::Continue(())
    }
}

/// The expressions ANDed at the top of `expr`, looking through parentheses.
/// Iterative: a long `a AND b AND ...` chain is as deep as it is long.
pub(super) fn top_level_conjuncts(expr: &Expr) -> Vec<&Expr> {
    let mut out = Vec::new();
    let mut pending = vec![expr];
    while let Some(e) = pending.pop() {
        match e {
            Expr::BinaryOp {
                left,
                op: BinaryOperator::And,
                right,
            } => {
                pending.push(right);
                pending.push(left);
            }
            Expr::Nested(inner) => pending.push(inner),
            other => out.push(other),
        }
    }
    out
}

pub(super) fn is_tenant_predicate(
    expr: &Expr,
    column: &str,
    value: &TenantValue,
    qualifier: &str,
    unqualified_ok: bool,
) -> bool {
    let Expr::BinaryOp {
        left,
        op: BinaryOperator::Eq,
        right,
    } = expr
    else {
        return false;
    };
    let is_column = |e: &Expr| match e {
        Expr::Identifier(i) => unqualified_ok && ident(i) == column,
        Expr::CompoundIdentifier(parts) => match parts.as_slice() {
            [q, c] => ident(q) == qualifier && ident(c) == column,
            _ => false,
        },
        _ => false,
    };
    let is_value = |e: &Expr| match (e, value) {
        (Expr::Value(v), TenantValue::Placeholder(want)) => {
            matches!(&v.value, Value::Placeholder(p) if p == want)
        }
        (Expr::Value(v), TenantValue::Literal(want)) => match &v.value {
            Value::SingleQuotedString(s) => s == want,
            Value::Number(n, _) => n == want,
            _ => false,
        },
        _ => false,
    };
    (is_column(left) && is_value(right)) || (is_column(right) && is_value(left))
}

impl Visitor for Walker<'_> {
    type Break = SqlRefusal;

    fn pre_visit_query(&mut self, query: &Query) -> ControlFlow<SqlRefusal> {
        let ptr: *const Query = query;
        if let Some(top) = self.scopes.last_mut()
            && let Some(i) = top.bodies.iter().position(|b| std::ptr::eq(*b, ptr))
        {
            top.visible = if top.recursive { top.names.len() } else { i };
        }
        if let Some(with) = &query.with {
            let names: Vec<String> = with
                .cte_tables
                .iter()
                .map(|c| ident(&c.alias.name))
                .collect();
            if let Some(shadow) = names.iter().find(|n| self.guard.is_allowed(n)) {
                return ControlFlow::Break(SqlRefusal::CteShadowsTable(shadow.clone()));
            }
            self.scopes.push(Scope {
                owner: ptr,
                bodies: with
                    .cte_tables
                    .iter()
                    .map(|c| &*c.query as *const Query)
                    .collect(),
                recursive: with.recursive,
                visible: if with.recursive { names.len() } else { 0 },
                names,
            });
        }
        if !query.locks.is_empty() {
            return ControlFlow::Break(SqlRefusal::LockingClause);
        }
        // `TABLE name` is not a relation to the visitor; find it in the
        // body and its set operations (nested queries are visited apart).
        let mut pending = vec![&*query.body];
        while let Some(body) = pending.pop() {
            match body {
                SetExpr::SetOperation { left, right, .. } => {
                    pending.push(left);
                    pending.push(right);
                }
                SetExpr::Table(table) => self.check_table_command(table)?,
                _ => {}
            }
        }
        ControlFlow::Continue(())
    }

    fn post_visit_query(&mut self, query: &Query) -> ControlFlow<SqlRefusal> {
        let ptr: *const Query = query;
        if self
            .scopes
            .last()
            .is_some_and(|top| std::ptr::eq(top.owner, ptr))
        {
            self.scopes.pop();
        }
        if let Some(top) = self.scopes.last_mut()
            && top.bodies.iter().any(|b| std::ptr::eq(*b, ptr))
        {
            top.visible = top.names.len();
        }
        ControlFlow::Continue(())
    }

    fn pre_visit_select(&mut self, select: &Select) -> ControlFlow<SqlRefusal> {
        if select.into.is_some() {
            return ControlFlow::Break(SqlRefusal::SelectInto);
        }
        self.check_tenant(select)
    }

    fn pre_visit_relation(&mut self, relation: &ObjectName) -> ControlFlow<SqlRefusal> {
        let name = object_name(relation);
        if relation.0.len() == 1 && self.is_cte(&name) {
            return ControlFlow::Continue(());
        }
        if self.guard.is_allowed(&name) {
            ControlFlow::Continue(())
        } else {
            ControlFlow::Break(SqlRefusal::TableNotAllowed(name))
        }
    }

    fn pre_visit_table_factor(&mut self, factor: &TableFactor) -> ControlFlow<SqlRefusal> {
        match factor {
            TableFactor::Function { name, .. }
            | TableFactor::Table {
                name,
                args: Some(_),
                ..
            } => self.check_function(name),
            _ => ControlFlow::Continue(()),
        }
    }

    fn pre_visit_expr(&mut self, expr: &Expr) -> ControlFlow<SqlRefusal> {
        if let Expr::Function(function) = expr {
            return self.check_function(&function.name);
        }
        ControlFlow::Continue(())
    }

    fn pre_visit_statement(&mut self, statement: &Statement) -> ControlFlow<SqlRefusal> {
        let top = !self.top_seen;
        self.top_seen = true;
        if top || matches!(statement, Statement::Query(_)) {
            ControlFlow::Continue(())
        } else {
            ControlFlow::Break(SqlRefusal::DataModifyingSubstatement(statement_kind(
                statement,
            )))
        }
    }
}

impl Walker<'_> {
    fn check_table_command(&self, table: &Table) -> ControlFlow<SqlRefusal> {
        let Some(name) = &table.table_name else {
            return ControlFlow::Continue(());
        };
        let name = match &table.schema_name {
            Some(schema) => format!("{}.{}", ident(schema), ident(name)),
            None => ident(name),
        };
        if self.is_cte(&name) {
            ControlFlow::Continue(())
        } else if !self.guard.is_allowed(&name) {
            ControlFlow::Break(SqlRefusal::TableNotAllowed(name))
        } else if self.guard.is_scoped(&name) {
            ControlFlow::Break(SqlRefusal::TableCommand(name))
        } else {
            ControlFlow::Continue(())
        }
    }

    fn check_function(&self, name: &ObjectName) -> ControlFlow<SqlRefusal> {
        let function = last_part(name);
        if self.guard.denied_functions.contains(&function) {
            ControlFlow::Break(SqlRefusal::DeniedFunction(function))
        } else {
            ControlFlow::Continue(())
        }
    }
}
