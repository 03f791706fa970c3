//! `/api/*`: the demo resources, each route guarded by a permission.

use crate::extract::JsonBody;
use crate::items::{Item, NewItem};
use crate::state::AppState;
use axum::Json;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use http::StatusCode;
use rampart_core::Problem;
use serde_json::{Value, json};

/// `GET /api/items`.
pub async fn list_items(State(state): State<AppState>) -> Json<Vec<Item>> {
    Json(state.items.list())
}

/// `POST /api/items`.
pub async fn create_item(
    State(state): State<AppState>,
    JsonBody(new): JsonBody<NewItem>,
) -> Response {
    if let Err(reason) = new.validate() {
        return Problem::bad_request().with_detail(reason).into_response();
    }
    (StatusCode::CREATED, Json(state.items.create(new))).into_response()
}

/// `DELETE /api/items/{id}`.
pub async fn delete_item(State(state): State<AppState>, Path(id): Path<String>) -> Response {
    match id.parse::<u64>() {
        Ok(id) if state.items.delete(id) => StatusCode::NO_CONTENT.into_response(),
        _ => Problem::not_found()
            .with_detail("no item with this id")
            .into_response(),
    }
}

/// `GET /api/tenants/{tenant}/reports`: the permission layer already checked
/// that the caller may read this tenant's reports.
pub async fn tenant_reports(
    State(state): State<AppState>,
    Path(tenant): Path<String>,
) -> Json<Value> {
    Json(json!({
        "tenant": tenant,
        "items": state.items.list().len(),
    }))
}
