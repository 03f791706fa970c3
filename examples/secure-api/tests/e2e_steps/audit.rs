//! `GET /admin/audit/verify`, and one audit event per request.

use super::Walk;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use std::collections::HashMap;

/// The administrator verifies the chain: `{"ok":true,"events":N}`, N
/// growing with the requests; with PostgreSQL the table holds the same
/// chain. Others are refused.
pub async fn verify(w: &Walk) {
    let c = w.client();
    let alice = c.login(&w.user("alice")).await.access;
    let first = c.get("/admin/audit/verify", &alice).await;
    assert_eq!(first.status, StatusCode::OK, "{:?}", first.body);
    assert_eq!(first.body["ok"], json!(true), "{:?}", first.body);
    let events = first.body["events"].as_u64().unwrap();
    assert!(
        events > 100,
        "the walk so far made more requests: {:?}",
        first.body
    );
    if w.served.table.is_some() {
        assert_eq!(first.body["table"]["ok"], json!(true), "{:?}", first.body);
        assert_eq!(
            first.body["table"]["events"], first.body["events"],
            "the table holds the file's chain: {:?}",
            first.body
        );
    }
    let again = c.get("/admin/audit/verify", &alice).await;
    assert_eq!(again.body["ok"], json!(true), "{:?}", again.body);
    assert!(
        again.body["events"].as_u64().unwrap() > events,
        "{:?}",
        again.body
    );

    let bob = c.login(&w.user("bob")).await.access;
    c.get("/admin/audit/verify", &bob)
        .await
        .assert_refused(StatusCode::FORBIDDEN, None);
    c.send(Method::GET, "/admin/audit/verify", None, None)
        .await
        .assert_refused(StatusCode::UNAUTHORIZED, None);
}

/// Every request the clients made is one request event of the trail, under
/// the request id the client was answered with and with the status it saw.
pub fn one_event_per_request(events: &[Value], exchanges: &[(String, StatusCode)]) {
    let mut recorded: HashMap<&str, Vec<&Value>> = HashMap::new();
    for event in events.iter().filter(|e| e["http"].is_object()) {
        let id = event["request_id"]
            .as_str()
            .unwrap_or_else(|| panic!("no request id: {event}"));
        recorded.entry(id).or_default().push(event);
    }
    assert_eq!(
        recorded.values().map(Vec::len).sum::<usize>(),
        exchanges.len(),
        "request events in the trail against requests made"
    );
    for (id, status) in exchanges {
        let found = recorded
            .get(id.as_str())
            .map(Vec::as_slice)
            .unwrap_or_default();
        assert_eq!(
            found.len(),
            1,
            "request {id} ({status}) has {} events",
            found.len()
        );
        assert_eq!(found[0]["http"]["status"], status.as_u16(), "{}", found[0]);
    }
}
