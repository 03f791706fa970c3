//! `/api/*`: the demo resources, each route guarded by a permission and each
//! item read or written within the caller's tenant.

use crate::extract::{JsonBody, PathParams};
use crate::items::{Item, ItemScope, NewItem};
use crate::state::AppState;
use axum::Json;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};
use http::StatusCode;
use rampart_auth::axum::Authenticated;
use rampart_core::{Principal, Problem};
use rampart_rbac::Resource;
use serde::Deserialize;
use serde_json::{Value, json};

/// The items a caller may see and delete.
///
/// A caller with a tenant sees that tenant's items, whatever its roles: a
/// tenant's administrator is still inside the tenant. A caller without a
/// tenant sees every tenant's items when the policy grants it `admin:items`
/// (the demo's `admin` role does, through `admin:*`), and otherwise only the
/// items created without a tenant.
///
/// `admin:items` may come from a role bound at run time
/// (`/admin/users/{subject}/roles/{role}`), so the role store is asked too.
pub async fn item_scope(state: &AppState, principal: &Principal) -> ItemScope {
    if let Some(tenant) = principal.tenant() {
        return ItemScope::Tenant(tenant.to_owned());
    }
    // A fixed, well-formed string: `check` cannot refuse it as malformed.
    let admin = state
        .authz
        .check_with_stores(principal, "admin:items", &Resource::new("admin"))
        .await
        .is_ok_and(|d| d.is_allowed());
    if admin {
        ItemScope::All
    } else {
        ItemScope::Untenanted
    }
}

/// `GET /api/items`: the caller's tenant's items.
pub async fn list_items(
    State(state): State<AppState>,
    Authenticated(principal): Authenticated,
) -> Json<Vec<Item>> {
    Json(state.items.list(&item_scope(&state, &principal).await))
}

/// The query of `GET /api/search`.
#[derive(Debug, Deserialize)]
pub struct SearchQuery {
    /// Text looked for in names and descriptions (case-insensitive).
    #[serde(default)]
    pub q: String,
}

/// `GET /api/search?q=`: the caller's tenant's items whose name or
/// description contains `q`. The input guard in front of it has already
/// refused an injected `q`.
pub async fn search_items(
    State(state): State<AppState>,
    Authenticated(principal): Authenticated,
    Query(query): Query<SearchQuery>,
) -> Json<Vec<Item>> {
    let needle = query.q.to_lowercase();
    let items = state
        .items
        .list(&item_scope(&state, &principal).await)
        .into_iter()
        .filter(|item| {
            item.name.to_lowercase().contains(&needle)
                || item.description.to_lowercase().contains(&needle)
        })
        .collect();
    Json(items)
}

/// `POST /api/items`: stored in the caller's tenant.
pub async fn create_item(
    State(state): State<AppState>,
    Authenticated(principal): Authenticated,
    JsonBody(new): JsonBody<NewItem>,
) -> Response {
    if let Err(reason) = new.validate() {
        return Problem::bad_request().with_detail(reason).into_response();
    }
    let item = state
        .items
        .create(new, principal.tenant().map(str::to_owned));
    (StatusCode::CREATED, Json(item)).into_response()
}

/// `DELETE /api/items/{id}`: another tenant's item is `404`, like a missing
/// one, so that ids cannot be probed across tenants.
pub async fn delete_item(
    State(state): State<AppState>,
    Authenticated(principal): Authenticated,
    PathParams(id): PathParams<String>,
) -> Response {
    let scope = item_scope(&state, &principal).await;
    match id.parse::<u64>() {
        Ok(id) if state.items.delete(id, &scope) => StatusCode::NO_CONTENT.into_response(),
        _ => Problem::not_found()
            .with_detail("no item with this id")
            .into_response(),
    }
}

/// `GET /api/tenants/{tenant}/reports`: the permission layer already checked
/// that the caller may read this tenant's reports; they count this tenant's
/// items only.
pub async fn tenant_reports(
    State(state): State<AppState>,
    PathParams(tenant): PathParams<String>,
) -> Json<Value> {
    let items = state.items.count(&ItemScope::Tenant(tenant.clone()));
    Json(json!({
        "tenant": tenant,
        "items": items,
    }))
}
