//! JSON bodies: every key checked for NoSQL operators, every string value
//! checked under the policy of its key.

use super::inspect::Scan;
use super::{GuardRejection, Location};
use serde_json::Value;

/// Inspects a JSON body; returns the re-serialised body when a cleaned
/// field changed it. A body that is not JSON is refused: it cannot be
/// known to be clean.
pub(crate) fn inspect(scan: &mut Scan<'_>, body: &[u8]) -> Result<Option<Vec<u8>>, GuardRejection> {
    let mut value: Value =
        serde_json::from_slice(body).map_err(|_| GuardRejection::Unreadable {
            location: Location::Body,
            reason: "the body is not valid JSON",
        })?;
    if walk(scan, "", &mut value) {
        serde_json::to_vec(&value)
            .map(Some)
            .map_err(|_| GuardRejection::Unreadable {
                location: Location::Body,
                reason: "the cleaned body could not be written",
            })
    } else {
        Ok(None)
    }
}

/// Checks `value`, found under key `key`; returns whether anything changed.
fn walk(scan: &mut Scan<'_>, key: &str, value: &mut Value) -> bool {
    if scan.done() {
        return false;
    }
    match value {
        Value::String(s) => match scan.value(Location::Body, key, s) {
            Some(new) => {
                *s = new;
                true
            }
            None => false,
        },
        Value::Array(items) => {
            let mut changed = false;
            for item in items {
                changed |= walk(scan, key, item);
            }
            changed
        }
        Value::Object(map) => {
            let mut changed = false;
            for (k, v) in map.iter_mut() {
                scan.operator_key(Location::Body, k);
                changed |= walk(scan, k, v);
            }
            changed
        }
        Value::Null | Value::Bool(_) | Value::Number(_) => false,
    }
}
