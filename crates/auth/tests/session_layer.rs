//! `SessionLayer` wired into an axum router: cookies in and out, principal,
//! fail-closed store, disabled accounts.
#![cfg(all(feature = "session", feature = "axum"))]
#![allow(clippy::unwrap_used, clippy::expect_used)]

use axum::Router;
use axum::body::Body;
use axum::extract::Extension;
use axum::routing::{get, post};
use http::{Request, StatusCode, header};
use http_body_util::BodyExt;
use rampart_auth::StoreError;
use rampart_auth::revocation::StoreFuture;
use rampart_auth::session::{
    AccountStatusCheck, Created, MemorySessionStore, Session, SessionKey, SessionLayer,
    SessionManager, SessionStore, StoredSession, Touched, UserLimit,
};
use rampart_core::{AuthMethod, EventKind, ManualClock, MemorySink, Principal};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;
use tower::ServiceExt;

async fn whoami(principal: Option<Extension<Principal>>) -> String {
    principal.map_or_else(|| "anonymous".into(), |Extension(p)| p.subject().to_owned())
}

fn app(manager: SessionManager, layer: impl FnOnce(SessionLayer) -> SessionLayer) -> Router {
    Router::new()
        .route("/", get(whoami))
        .route(
            "/login",
            post(|Extension(s): Extension<Session>| async move {
                s.login(Principal::new("alice", AuthMethod::Session))
                    .await
                    .unwrap();
                "ok"
            }),
        )
        .route(
            "/rotate",
            post(|Extension(s): Extension<Session>| async move {
                s.rotate().await.unwrap();
                "ok"
            }),
        )
        .route(
            "/logout",
            post(|Extension(s): Extension<Session>| async move {
                s.destroy().await.unwrap();
                "bye"
            }),
        )
        .route(
            "/cart",
            post(|Extension(s): Extension<Session>| async move {
                s.insert("cart", 3).unwrap();
                "kept"
            })
            .get(|Extension(s): Extension<Session>| async move {
                format!("{:?}", s.get::<i32>("cart"))
            }),
        )
        .layer(layer(SessionLayer::new(manager)))
}

struct Reply {
    status: StatusCode,
    set_cookie: Option<String>,
    body: String,
}

async fn send(app: &Router, method: &str, path: &str, cookie: Option<&str>) -> Reply {
    let mut req = Request::builder().method(method).uri(path);
    if let Some(c) = cookie {
        req = req.header(header::COOKIE, c);
    }
    let res = app
        .clone()
        .oneshot(req.body(Body::empty()).unwrap())
        .await
        .unwrap();
    let status = res.status();
    let set_cookie = res
        .headers()
        .get(header::SET_COOKIE)
        .map(|v| v.to_str().unwrap().to_owned());
    let body =
        String::from_utf8(res.into_body().collect().await.unwrap().to_bytes().to_vec()).unwrap();
    Reply {
        status,
        set_cookie,
        body,
    }
}

/// `name=value` from a `Set-Cookie`.
fn pair(set_cookie: &str) -> String {
    set_cookie.split(';').next().unwrap().to_owned()
}

fn manager(clock: &ManualClock) -> SessionManager {
    SessionManager::builder(Arc::new(MemorySessionStore::new()))
        .clock(clock.shared())
        .build()
}

#[tokio::test]
async fn login_sets_a_hardened_cookie_that_authenticates() {
    let clock = ManualClock::at_unix(1_700_000_000);
    let app = app(manager(&clock), |l| l);
    assert_eq!(send(&app, "GET", "/", None).await.body, "anonymous");
    let login = send(&app, "POST", "/login", None).await;
    let set = login.set_cookie.unwrap();
    assert!(set.starts_with("__Host-session="), "{set}");
    for attr in [
        "Path=/",
        "Secure",
        "HttpOnly",
        "SameSite=Strict",
        "Max-Age=43200",
    ] {
        assert!(set.contains(attr), "{attr} missing in {set}");
    }
    let cookie = pair(&set);
    let me = send(&app, "GET", "/", Some(&cookie)).await;
    assert_eq!(me.body, "alice");
    assert!(me.set_cookie.is_none(), "a plain request writes no cookie");

    let rotated = send(&app, "POST", "/rotate", Some(&cookie)).await;
    let new_cookie = pair(&rotated.set_cookie.unwrap());
    assert_ne!(new_cookie, cookie);
    assert_eq!(
        send(&app, "GET", "/", Some(&new_cookie)).await.body,
        "alice"
    );
    let stale = send(&app, "GET", "/", Some(&cookie)).await;
    assert_eq!(stale.body, "anonymous");
    assert!(
        stale.set_cookie.unwrap().contains("Max-Age=0"),
        "stale cookie cleared"
    );

    let out = send(&app, "POST", "/logout", Some(&new_cookie)).await;
    assert!(out.set_cookie.unwrap().contains("Max-Age=0"));
    assert_eq!(
        send(&app, "GET", "/", Some(&new_cookie)).await.body,
        "anonymous"
    );
}

#[tokio::test]
async fn values_without_a_session_start_one_and_idle_expiry_clears_it() {
    let clock = ManualClock::at_unix(1_700_000_000);
    let app = app(manager(&clock), |l| l);
    let kept = send(&app, "POST", "/cart", None).await;
    let cookie = pair(&kept.set_cookie.unwrap());
    assert_eq!(
        send(&app, "GET", "/cart", Some(&cookie)).await.body,
        "Some(3)"
    );
    clock.advance(Duration::from_secs(31 * 60));
    let gone = send(&app, "GET", "/cart", Some(&cookie)).await;
    assert_eq!(gone.body, "None");
    assert!(gone.set_cookie.unwrap().contains("Max-Age=0"));
}

#[tokio::test]
async fn garbage_cookies_are_cleared_not_refused() {
    let clock = ManualClock::at_unix(1_700_000_000);
    let app = app(manager(&clock), |l| l);
    let r = send(&app, "GET", "/", Some("__Host-session=%00garbage")).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.body, "anonymous");
    assert!(r.set_cookie.unwrap().contains("Max-Age=0"));
}

/// A store that fails every call.
struct Down;

fn down<'a, T: Send + 'a>() -> StoreFuture<'a, T> {
    Box::pin(async { Err(StoreError("connection refused".into())) })
}

impl SessionStore for Down {
    fn create<'a>(
        &'a self,
        _: &'a StoredSession,
        _: Option<UserLimit>,
        _: u64,
    ) -> StoreFuture<'a, Created> {
        down()
    }
    fn touch<'a>(&'a self, _: &'a SessionKey, _: u64) -> StoreFuture<'a, Touched> {
        down()
    }
    fn save<'a>(&'a self, _: &'a SessionKey, _: &'a str) -> StoreFuture<'a, bool> {
        down()
    }
    fn replace<'a>(&'a self, _: &'a SessionKey, _: &'a StoredSession) -> StoreFuture<'a, bool> {
        down()
    }
    fn delete<'a>(&'a self, _: &'a SessionKey) -> StoreFuture<'a, bool> {
        down()
    }
    fn list<'a>(&'a self, _: &'a str, _: u64) -> StoreFuture<'a, Vec<StoredSession>> {
        down()
    }
    fn delete_all<'a>(&'a self, _: &'a str) -> StoreFuture<'a, usize> {
        down()
    }
}

#[tokio::test]
async fn a_failing_store_fails_closed_with_503() {
    let sink = MemorySink::new();
    let manager = SessionManager::builder(Arc::new(Down)).build();
    let closed = app(manager.clone(), |l| l.event_sink(Arc::new(sink.clone())));
    let cookie = format!("__Host-session={}.{}", "A".repeat(16), "B".repeat(43));
    let r = send(&closed, "GET", "/", Some(&cookie)).await;
    assert_eq!(r.status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(r.body.contains("session_store_unavailable"), "{}", r.body);
    assert_eq!(sink.count(EventKind::StoreFailure), 1);
    // Without a cookie nothing is asked.
    assert_eq!(send(&closed, "GET", "/", None).await.status, StatusCode::OK);

    let open = app(manager, SessionLayer::insecure_fail_open);
    let r = send(&open, "GET", "/", Some(&cookie)).await;
    assert_eq!((r.status, r.body.as_str()), (StatusCode::OK, "anonymous"));
}

#[tokio::test]
async fn a_disabled_account_loses_its_session_at_once() {
    let clock = ManualClock::at_unix(1_700_000_000);
    let active = Arc::new(AtomicBool::new(true));
    let flag = active.clone();
    let check = AccountStatusCheck::new(move |_: &str| {
        let v = flag.load(Ordering::SeqCst);
        async move { Ok::<_, StoreError>(v) }
    })
    .clock(clock.shared());
    let app = app(manager(&clock), |l| l.account_status(check.clone()));
    let cookie = pair(&send(&app, "POST", "/login", None).await.set_cookie.unwrap());
    assert_eq!(send(&app, "GET", "/", Some(&cookie)).await.body, "alice");
    active.store(false, Ordering::SeqCst);
    check.forget("alice");
    let r = send(&app, "GET", "/", Some(&cookie)).await;
    assert_eq!(r.body, "anonymous");
    assert!(r.set_cookie.unwrap().contains("Max-Age=0"));
    active.store(true, Ordering::SeqCst);
    check.forget("alice");
    assert_eq!(
        send(&app, "GET", "/", Some(&cookie)).await.body,
        "anonymous",
        "the session ended"
    );

    let failing =
        AccountStatusCheck::new(|_: &str| async { Err::<bool, _>(StoreError("db down".into())) });
    let app = self::app(manager(&clock), |l| l.account_status(failing));
    let cookie = pair(&send(&app, "POST", "/login", None).await.set_cookie.unwrap());
    let r = send(&app, "GET", "/", Some(&cookie)).await;
    assert_eq!(r.status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(r.body.contains("account_status_unavailable"));
}
