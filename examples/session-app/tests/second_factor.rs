//! Security keys over HTTP, with a software authenticator: a password alone
//! leaves the session pending (signed out) until the key's assertion, each
//! step with a new session id; the pending step expires and allows few
//! refusals; the JSON endpoints refuse what is not theirs with problems;
//! the key pages carry their script under the response's CSP nonce.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use rampart_core::ManualClock;
use reqwest::header::{CONTENT_TYPE, COOKIE, LOCATION, SET_COOKIE};
use reqwest::{Client, Response, StatusCode};
use serde_json::{Value, json};
use session_app::{Options, build};
use std::net::SocketAddr;
use std::time::Duration;
use url::Url;
use webauthn_authenticator_rs::WebauthnAuthenticator;
use webauthn_authenticator_rs::softpasskey::SoftPasskey;

type Key = WebauthnAuthenticator<SoftPasskey>;

struct App {
    base: String,
    origin: Url,
    client: Client,
    clock: ManualClock,
}

async fn start() -> App {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let origin = format!("http://localhost:{}", addr.port());
    let clock = ManualClock::starting_now();
    let mut options = Options::memory();
    options.clock = clock.shared();
    options.rp_origin = origin.clone();
    let (router, _) = build(options).unwrap();
    tokio::spawn(async move {
        axum::serve(
            listener,
            router.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .await
        .unwrap();
    });
    App {
        base: format!("http://{addr}"),
        origin: Url::parse(&origin).unwrap(),
        client: Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap(),
        clock,
    }
}

/// `name=value` of the response's `Set-Cookie`, if any.
fn cookie_of(res: &Response) -> Option<String> {
    res.headers()
        .get(SET_COOKIE)
        .map(|v| v.to_str().unwrap().split(';').next().unwrap().to_owned())
}

impl App {
    async fn get(&self, path: &str, cookie: &str) -> Response {
        self.client
            .get(format!("{}{path}", self.base))
            .header(COOKIE, cookie)
            .send()
            .await
            .unwrap()
    }

    /// A post from this site's own page (as `fetch` or a form sends it).
    async fn post(&self, path: &str, cookie: &str, content_type: &str, body: String) -> Response {
        self.client
            .post(format!("{}{path}", self.base))
            .header(COOKIE, cookie)
            .header(CONTENT_TYPE, content_type)
            .header("sec-fetch-site", "same-origin")
            .body(body)
            .send()
            .await
            .unwrap()
    }

    async fn json(&self, path: &str, cookie: &str, body: &Value) -> Response {
        self.post(path, cookie, "application/json", body.to_string())
            .await
    }

    /// Posts alice's password; answers the response (a redirect).
    async fn password(&self) -> Response {
        let form = "username=alice&password=alice-S3cure-demo%21".to_owned();
        self.post("/login", "", "application/x-www-form-urlencoded", form)
            .await
    }

    /// Signs alice in with the password alone (no key yet); her cookie.
    async fn sign_in(&self) -> String {
        let res = self.password().await;
        assert_eq!(res.headers()[LOCATION], "/");
        cookie_of(&res).unwrap()
    }

    async fn signed_in(&self, cookie: &str) -> bool {
        self.get("/", cookie).await.status() == StatusCode::OK
    }

    /// Registers `key` for the signed-in `cookie` under `name`.
    async fn register(&self, cookie: &str, key: &mut Key, name: &str) -> Response {
        let res = self
            .json("/security-keys/options", cookie, &json!({}))
            .await;
        assert_eq!(res.status(), StatusCode::OK);
        let options = serde_json::from_value(json_of(res).await).unwrap();
        let credential = key.do_registration(self.origin.clone(), options).unwrap();
        let body = json!({ "name": name, "credential": credential });
        self.json("/security-keys", cookie, &body).await
    }

    /// Asks for the second factor on `pending` and has `key` answer; the
    /// response of the finishing post.
    async fn assert_with(&self, pending: &str, key: &mut Key) -> Response {
        let res = self
            .json("/login/second-factor/options", pending, &json!({}))
            .await;
        assert_eq!(res.status(), StatusCode::OK);
        let options = serde_json::from_value(json_of(res).await).unwrap();
        let assertion = key.do_authentication(self.origin.clone(), options).unwrap();
        self.json(
            "/login/second-factor",
            pending,
            &serde_json::to_value(assertion).unwrap(),
        )
        .await
    }
}

async fn json_of(res: Response) -> Value {
    serde_json::from_str(&res.text().await.unwrap()).unwrap()
}

fn key() -> Key {
    WebauthnAuthenticator::new(SoftPasskey::new(true))
}

async fn problem(res: Response) -> (StatusCode, Value) {
    let status = res.status();
    assert_eq!(res.headers()[CONTENT_TYPE], "application/problem+json");
    (status, json_of(res).await)
}

/// Alice with a registered key, signed out again: the app and her key.
async fn alice_with_a_key() -> (App, Key) {
    let app = start().await;
    let cookie = app.sign_in().await;
    let mut k = key();
    let res = app.register(&cookie, &mut k, "office key").await;
    assert_eq!(res.status(), StatusCode::CREATED, "{:?}", res.text().await);
    let res = app
        .post(
            "/logout",
            &cookie,
            "application/x-www-form-urlencoded",
            String::new(),
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    (app, k)
}

#[tokio::test]
async fn a_password_alone_leaves_the_session_pending_until_the_key_signs() {
    let (app, mut k) = alice_with_a_key().await;
    let res = app.password().await;
    assert_eq!(res.headers()[LOCATION], "/login/second-factor");
    let pending = cookie_of(&res).expect("the pending step has its own session");
    assert!(!app.signed_in(&pending).await, "pending is not signed in");
    assert_eq!(
        app.get("/security-keys", &pending).await.status(),
        StatusCode::SEE_OTHER
    );
    let page = app.get("/login/second-factor", &pending).await;
    assert_eq!(page.status(), StatusCode::OK);

    let res = app.assert_with(&pending, &mut k).await;
    assert_eq!(res.status(), StatusCode::OK);
    let full = cookie_of(&res).expect("signing in sets a new session id");
    assert_ne!(full, pending);
    assert_eq!(json_of(res).await["next"], "/");
    assert!(app.signed_in(&full).await);
    assert!(!app.signed_in(&pending).await, "the pending id is spent");
    // The pending step is over: no second assertion on the new session.
    let again = app
        .json("/login/second-factor/options", &full, &json!({}))
        .await;
    assert_eq!(problem(again).await.1["code"], "password_required");
}

#[tokio::test]
async fn the_pending_step_expires_and_allows_few_refusals() {
    let (app, mut k) = alice_with_a_key().await;
    let pending = cookie_of(&app.password().await).unwrap();
    app.clock.advance(Duration::from_secs(301));
    let late = app
        .json("/login/second-factor/options", &pending, &json!({}))
        .await;
    let (status, body) = problem(late).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body["code"], "password_required");
    assert_eq!(
        app.get("/login/second-factor", &pending).await.headers()[LOCATION],
        "/login"
    );

    // Five refused assertions and the password is asked again.
    let pending = cookie_of(&app.password().await).unwrap();
    let forged = json!({"id": "AAAA", "rawId": "AAAA", "type": "public-key",
        "response": {"authenticatorData": "AAAA", "clientDataJSON": "AAAA", "signature": "AAAA"}});
    for _ in 0..5 {
        let res = app
            .json("/login/second-factor/options", &pending, &json!({}))
            .await;
        assert_eq!(res.status(), StatusCode::OK);
        let (status, body) =
            problem(app.json("/login/second-factor", &pending, &forged).await).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
        assert_eq!(body["code"], "unknown_credential");
    }
    let res = app
        .json("/login/second-factor/options", &pending, &json!({}))
        .await;
    assert_eq!(problem(res).await.1["code"], "password_required");
    // The key itself is not locked out: a new sign-in passes with it.
    let pending = cookie_of(&app.password().await).unwrap();
    let res = app.assert_with(&pending, &mut k).await;
    assert_eq!(res.status(), StatusCode::OK);
}

#[tokio::test]
async fn the_json_endpoints_answer_problems_for_what_is_not_theirs() {
    let (app, _k) = alice_with_a_key().await;
    // Nothing pending: no options, no finish.
    let none = app
        .json("/login/second-factor/options", "", &json!({}))
        .await;
    assert_eq!(problem(none).await.0, StatusCode::UNAUTHORIZED);
    let pending = cookie_of(&app.password().await).unwrap();
    // Not JSON.
    let res = app
        .post("/login/second-factor", &pending, "text/plain", "{}".into())
        .await;
    assert_eq!(problem(res).await.0, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    // No ceremony started.
    let res = app.json("/login/second-factor", &pending, &json!({})).await;
    assert_eq!(problem(res).await.1["code"], "ceremony_not_found");
    // Started, then garbage.
    app.json("/login/second-factor/options", &pending, &json!({}))
        .await;
    let res = app
        .post(
            "/login/second-factor",
            &pending,
            "application/json",
            "{\"id\":".into(),
        )
        .await;
    let (status, body) = problem(res).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["code"], "malformed_response");
    // Another site's page cannot post to it.
    let res = app
        .client
        .post(format!("{}/login/second-factor", app.base))
        .header(COOKIE, &pending)
        .header(CONTENT_TYPE, "application/json")
        .header("sec-fetch-site", "cross-site")
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    // Registration needs a signed-in session.
    let res = app
        .json("/security-keys/options", &pending, &json!({}))
        .await;
    assert_eq!(problem(res).await.0, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn keys_are_listed_and_removed_only_by_their_owner() {
    let app = start().await;
    let alice = app.sign_in().await;
    let mut k = key();
    let res = app.register(&alice, &mut k, "<b>office</b>").await;
    let id = json_of(res).await["id"].as_str().unwrap().to_owned();

    let page = app.get("/security-keys", &alice).await;
    let csp = page.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    let nonce = csp
        .split("'nonce-")
        .nth(1)
        .and_then(|rest| rest.split('\'').next())
        .expect("script-src carries a nonce")
        .to_owned();
    assert!(csp.contains("connect-src 'self'"), "{csp}");
    let policy = page.headers()["permissions-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        policy.contains("publickey-credentials-get=(self)"),
        "{policy}"
    );
    let html = page.text().await.unwrap();
    assert!(html.contains(&format!(
        "<script nonce=\"{nonce}\" src=\"/static/webauthn.js\">"
    )));
    assert_eq!(html.matches("<script").count(), 1, "no other script");
    assert!(
        html.contains("&lt;b&gt;office&lt;/b&gt;"),
        "names are escaped"
    );
    assert!(html.contains(&id));
    let js = app.get("/static/webauthn.js", "").await;
    assert_eq!(js.headers()[CONTENT_TYPE], "text/javascript; charset=utf-8");

    // Bob cannot remove Alice's key by its id.
    let bob = {
        let form = "username=bob&password=bob-S3cure-demo%21".to_owned();
        cookie_of(
            &app.post("/login", "", "application/x-www-form-urlencoded", form)
                .await,
        )
        .unwrap()
    };
    let form = format!("id={id}");
    let res = app
        .post(
            "/security-keys/remove",
            &bob,
            "application/x-www-form-urlencoded",
            form.clone(),
        )
        .await;
    assert_eq!(problem(res).await.0, StatusCode::NOT_FOUND);
    assert!(
        app.get("/security-keys", &alice)
            .await
            .text()
            .await
            .unwrap()
            .contains(&id)
    );
    // Alice can; her next sign-in needs the password only.
    let res = app
        .post(
            "/security-keys/remove",
            &alice,
            "application/x-www-form-urlencoded",
            form,
        )
        .await;
    assert_eq!(res.headers()[LOCATION], "/security-keys");
    assert!(
        !app.get("/security-keys", &alice)
            .await
            .text()
            .await
            .unwrap()
            .contains(&id)
    );
    assert_eq!(app.password().await.headers()[LOCATION], "/");
}
