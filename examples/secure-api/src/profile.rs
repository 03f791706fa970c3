//! `PUT /api/profile` and `GET /api/profile`: personal data kept encrypted
//! field by field with rampart-crypto, and masked when read.
//!
//! Each field is AES-256-GCM encrypted bound to its tenant, its owner and its
//! name, so a value copied to another user's row or another field no longer
//! decrypts. The key comes from `RAMPART_FIELD_KEY` (base64, 32 bytes); without
//! it one is generated at start-up and stored profiles end with the process.
//!
//! Reading masks SSN, phone and card number (`***-**-6789`, last 4 digits);
//! the owner sees their own email unmasked, since it is where their mail
//! goes. `?reveal=true` shows everything and needs `admin:*` (any `admin:`
//! permission; the demo's `admin` role), else `403`.

use crate::config::{AppConfig, ConfigError};
use crate::extract::JsonBody;
use crate::state::AppState;
use axum::Json;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};
use rampart_auth::axum::Authenticated;
use rampart_core::{Principal, Problem};
use rampart_crypto::{
    Context, FieldCipher, FieldKey, FieldRule, Keyring, Mask, MaskingPolicy, decrypt_fields,
    encrypt_fields, mask,
};
use rampart_rbac::Resource;
use serde::Deserialize;
use serde_json::{Map, Value};
use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};

/// The encrypted fields of a profile.
pub const FIELDS: [&str; 4] = ["ssn", "email", "phone", "card_number"];

/// Profiles by owner, each field encrypted.
pub struct ProfileStore {
    cipher: FieldCipher,
    policy: MaskingPolicy,
    rows: Mutex<HashMap<String, Map<String, Value>>>,
}

impl std::fmt::Debug for ProfileStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProfileStore").finish_non_exhaustive()
    }
}

/// Builds the store and says, for the start-up lines, where its key came from.
///
/// # Errors
/// A [`ConfigError`] when `RAMPART_FIELD_KEY` is not base64 of 32 bytes.
pub fn build(
    config: &AppConfig,
    sink: rampart_core::SharedSink,
) -> Result<(ProfileStore, String), ConfigError> {
    let invalid = |e: String| ConfigError::Invalid(e);
    let (key, source) = match &config.field_key {
        Some(text) => (
            FieldKey::from_base64(text).map_err(|e| {
                invalid(format!(
                    "RAMPART_FIELD_KEY: {e} (`openssl rand -base64 32`)"
                ))
            })?,
            "key from RAMPART_FIELD_KEY",
        ),
        None => (
            FieldKey::generate().map_err(|e| invalid(e.to_string()))?,
            "generated key: stored profiles end with the process (set RAMPART_FIELD_KEY)",
        ),
    };
    let keyring = Keyring::new(1, key).map_err(|e| invalid(e.to_string()))?;
    let cipher = FieldCipher::builder(keyring)
        .event_sink(sink)
        .build()
        .map_err(|e| invalid(e.to_string()))?;
    let policy = MaskingPolicy::new()
        .rule(FieldRule::new("ssn", Mask::Ssn))
        .rule(FieldRule::new("email", Mask::Email).reveal_to_owner())
        .rule(FieldRule::new("phone", Mask::Phone))
        .rule(FieldRule::new("card_number", Mask::Card));
    let store = ProfileStore {
        cipher,
        policy,
        rows: Mutex::new(HashMap::new()),
    };
    Ok((store, format!("AES-256-GCM per field, in memory, {source}")))
}

/// `PUT /api/profile` body: every field optional, nothing else accepted.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProfileUpdate {
    ssn: Option<String>,
    email: Option<String>,
    phone: Option<String>,
    card_number: Option<String>,
}

impl ProfileUpdate {
    /// Light validation: the shape of each field, so that garbage is a `400`
    /// before it is encrypted and stored.
    fn validate(&self) -> Result<(), &'static str> {
        if let Some(ssn) = &self.ssn
            && mask::ssn(ssn) == "***-**-****"
        {
            return Err("ssn must be 123-45-6789 or 9 digits");
        }
        if let Some(email) = &self.email {
            let ok = email.len() <= 254
                && matches!(email.split_once('@'), Some((l, d)) if !l.is_empty() && d.contains('.') && !d.contains('@'))
                && !email.chars().any(|c| c.is_whitespace() || c.is_control());
            if !ok {
                return Err("email must be an address such as name@example.com");
            }
        }
        if let Some(phone) = &self.phone {
            let digits = phone.chars().filter(char::is_ascii_digit).count();
            let ok = (7..=15).contains(&digits)
                && phone
                    .chars()
                    .all(|c| c.is_ascii_digit() || " +-().".contains(c));
            if !ok {
                return Err("phone must have 7 to 15 digits (spaces, +, -, ( ) allowed)");
            }
        }
        if let Some(card) = &self.card_number
            && mask::card(card).chars().all(|c| c == '*')
        {
            return Err("card_number must be 12 to 19 digits passing the Luhn check");
        }
        Ok(())
    }
}

/// The context every field of `owner`'s profile is bound to.
fn record(principal: &Principal) -> Context<'_> {
    let ctx = Context::new("profile", "", principal.subject());
    match principal.tenant() {
        Some(t) => ctx.tenant(t),
        None => ctx,
    }
}

fn storage_failure() -> Response {
    tracing::error!(target: "secure_api", "profile field could not be encrypted or decrypted");
    Problem::internal()
        .with_detail("the profile could not be read or stored")
        .into_response()
}

/// `PUT /api/profile`: validates, encrypts each field bound to the caller and
/// its name, and stores it (fields not sent keep their stored value). Answers the profile as `GET` would.
pub async fn put(
    State(state): State<AppState>,
    Authenticated(principal): Authenticated,
    JsonBody(update): JsonBody<ProfileUpdate>,
) -> Response {
    if let Err(reason) = update.validate() {
        return Problem::bad_request().with_detail(reason).into_response();
    }
    let store = &state.profiles;
    let mut changes = Map::new();
    for (name, value) in [
        ("ssn", update.ssn),
        ("email", update.email),
        ("phone", update.phone),
        ("card_number", update.card_number),
    ] {
        if let Some(v) = value {
            changes.insert(name.to_owned(), Value::String(v));
        }
    }
    if encrypt_fields(&store.cipher, &mut changes, &FIELDS, &record(&principal)).is_err() {
        return storage_failure();
    }
    {
        let mut rows = store.rows.lock().unwrap_or_else(PoisonError::into_inner);
        rows.entry(principal.subject().to_owned())
            .or_default()
            .extend(changes);
    }
    view(&state, &principal, false)
}

/// `GET /api/profile` query.
#[derive(Debug, Deserialize)]
pub struct ProfileQuery {
    #[serde(default)]
    reveal: bool,
}

/// `GET /api/profile`: the caller's profile, masked unless `?reveal=true` by
/// a caller holding an `admin:` permission.
pub async fn get(
    State(state): State<AppState>,
    Authenticated(principal): Authenticated,
    Query(query): Query<ProfileQuery>,
) -> Response {
    if query.reveal
        && !state
            .authz
            .check_with_stores(&principal, "admin:profiles", &Resource::new("admin"))
            .await
            .is_ok_and(|d| d.is_allowed())
    {
        return Problem::forbidden()
            .with_detail("revealing unmasked personal data needs the admin:* permission")
            .into_response();
    }
    view(&state, &principal, query.reveal)
}

fn view(state: &AppState, principal: &Principal, reveal: bool) -> Response {
    let stored = state
        .profiles
        .rows
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .get(principal.subject())
        .cloned();
    let Some(mut fields) = stored else {
        return Problem::not_found()
            .with_detail("no profile yet: PUT /api/profile first")
            .into_response();
    };
    if decrypt_fields(
        &state.profiles.cipher,
        &mut fields,
        &FIELDS,
        &record(principal),
    )
    .is_err()
    {
        return storage_failure();
    }
    let mut body = Value::Object(fields);
    if !reveal {
        state
            .profiles
            .policy
            .apply(&mut body, principal, Some(principal.subject()));
    }
    Json(body).into_response()
}

/// The raw stored (encrypted) profile of `subject`, for tests that check
/// nothing is kept in clear.
pub fn stored_ciphertexts(store: &ProfileStore, subject: &str) -> Option<Map<String, Value>> {
    store
        .rows
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .get(subject)
        .cloned()
}
