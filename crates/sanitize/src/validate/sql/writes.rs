//! INSERT, UPDATE and DELETE under a tenant predicate, when the guard
//! allows writes.

use std::ops::ControlFlow;

use sqlparser::ast::{
    AssignmentTarget, Delete, Expr, FromTable, Insert, SetExpr, Statement, TableObject, Update,
    UpdateTableFromKind, Value,
};

use super::walk::{Walker, last_part, object_name};
use super::{SqlRefusal, TenantValue};

impl Walker<'_> {
    /// The tenant rules of a top-level write (tables themselves are checked
    /// by the walk that follows).
    pub(super) fn check_write(&self, statement: &Statement) -> ControlFlow<SqlRefusal> {
        match statement {
            Statement::Insert(insert) => self.check_insert(insert),
            Statement::Update(update) => self.check_update(update),
            Statement::Delete(delete) => self.check_delete(delete),
            _ => ControlFlow::Continue(()),
        }
    }

    fn check_update(&self, update: &Update) -> ControlFlow<SqlRefusal> {
        let mut tables = vec![update.table.clone()];
        if let Some(UpdateTableFromKind::BeforeSet(from) | UpdateTableFromKind::AfterSet(from)) =
            &update.from
        {
            tables.extend(from.iter().cloned());
        }
        if let Some(tenant) = &self.guard().tenant {
            let assigns_tenant = update.assignments.iter().any(|a| match &a.target {
                AssignmentTarget::ColumnName(name) => last_part(name) == tenant.column,
                AssignmentTarget::Tuple(names) => {
                    names.iter().any(|n| last_part(n) == tenant.column)
                }
            });
            if assigns_tenant {
                return ControlFlow::Break(SqlRefusal::TenantWrite {
                    table: table_of(&update.table.relation),
                    reason: "it assigns the tenant column",
                });
            }
        }
        self.check_filtered(&tables, update.selection.as_ref())
    }

    fn check_delete(&self, delete: &Delete) -> ControlFlow<SqlRefusal> {
        let (FromTable::WithFromKeyword(from) | FromTable::WithoutKeyword(from)) = &delete.from;
        let mut tables = from.clone();
        if let Some(using) = &delete.using {
            tables.extend(using.iter().cloned());
        }
        self.check_filtered(&tables, delete.selection.as_ref())
    }

    fn check_insert(&self, insert: &Insert) -> ControlFlow<SqlRefusal> {
        let TableObject::TableName(name) = &insert.table else {
            return ControlFlow::Break(SqlRefusal::TableNotAllowed("<table function>".into()));
        };
        let table = object_name(name);
        let Some(tenant) = &self.guard().tenant else {
            return ControlFlow::Continue(());
        };
        if !self.guard().is_scoped(&table) {
            return ControlFlow::Continue(());
        }
        let refuse = |reason| {
            ControlFlow::Break(SqlRefusal::TenantWrite {
                table: table.clone(),
                reason,
            })
        };
        if insert.on.is_some() {
            return refuse("upserts may update another tenant's row");
        }
        let Some(index) = insert
            .columns
            .iter()
            .position(|c| last_part(c) == tenant.column)
        else {
            return refuse("the column list lacks the tenant column");
        };
        let Some(source) = &insert.source else {
            return refuse("it inserts default values without the tenant");
        };
        let SetExpr::Values(values) = &*source.body else {
            return refuse("INSERT ... SELECT cannot be checked for the tenant value");
        };
        let all_rows_scoped = values
            .rows
            .iter()
            .all(|row| row.get(index).is_some_and(|e| is_value(e, &tenant.value)));
        if all_rows_scoped {
            ControlFlow::Continue(())
        } else {
            refuse("a VALUES row does not carry the tenant value")
        }
    }
}

fn is_value(expr: &Expr, value: &TenantValue) -> bool {
    let Expr::Value(v) = expr else {
        return false;
    };
    match (&v.value, value) {
        (Value::Placeholder(p), TenantValue::Placeholder(want)) => p == want,
        (Value::SingleQuotedString(s), TenantValue::Literal(want)) => s == want,
        (Value::Number(n, _), TenantValue::Literal(want)) => n == want,
        _ => false,
    }
}

fn table_of(factor: &sqlparser::ast::TableFactor) -> String {
    match factor {
        sqlparser::ast::TableFactor::Table { name, .. } => object_name(name),
        _ => "<derived>".to_owned(),
    }
}
