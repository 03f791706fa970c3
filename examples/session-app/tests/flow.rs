//! The app over a real socket: sign-in sets a hardened `__Host-` cookie,
//! the cookie authenticates, sign-out and "everywhere" end it, the pre-login
//! id is not the post-login one, cross-site posts are refused, and an idle
//! session ends by the clock.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use rampart_core::ManualClock;
use reqwest::header::{CONTENT_TYPE, COOKIE, LOCATION, SET_COOKIE, USER_AGENT};
use reqwest::{Client, Response, StatusCode};
use session_app::{Options, build};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

struct Server {
    base: String,
    client: Client,
    clock: ManualClock,
}

async fn start() -> Server {
    start_with(Options::memory()).await
}

async fn start_with(mut options: Options) -> Server {
    let clock = ManualClock::starting_now();
    options.clock = clock.shared();
    let (router, _) = build(options).unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        axum::serve(
            listener,
            router.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .await
        .unwrap();
    });
    let client = Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    Server {
        base: format!("http://{addr}"),
        client,
        clock,
    }
}

const FIREFOX: &str = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0";

impl Server {
    async fn get(&self, path: &str, cookie: Option<&str>) -> Response {
        let mut req = self
            .client
            .get(format!("{}{path}", self.base))
            .header(USER_AGENT, FIREFOX);
        if let Some(c) = cookie {
            req = req.header(COOKIE, c);
        }
        req.send().await.unwrap()
    }

    /// A form post as a browser sends it from this site's own page.
    async fn post(&self, path: &str, cookie: Option<&str>, form: &str, site: &str) -> Response {
        let mut req = self
            .client
            .post(format!("{}{path}", self.base))
            .header(USER_AGENT, FIREFOX)
            .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header("sec-fetch-site", site)
            .body(form.to_owned());
        if let Some(c) = cookie {
            req = req.header(COOKIE, c);
        }
        req.send().await.unwrap()
    }

    /// Signs `user` in from `pre` (a pre-login cookie, if any); answers the
    /// `Set-Cookie` line.
    async fn login(&self, user: &str, pre: Option<&str>) -> String {
        let form = format!("username={user}&password={user}-S3cure-demo%21");
        let res = self.post("/login", pre, &form, "same-origin").await;
        assert_eq!(
            res.status(),
            StatusCode::SEE_OTHER,
            "{:?}",
            res.text().await
        );
        assert_eq!(res.headers()[LOCATION], "/");
        set_cookie(&res).expect("sign-in sets the session cookie")
    }
}

fn set_cookie(res: &Response) -> Option<String> {
    res.headers()
        .get(SET_COOKIE)
        .map(|v| v.to_str().unwrap().to_owned())
}

/// `name=value` of a `Set-Cookie` line.
fn pair(set_cookie: &str) -> String {
    set_cookie.split(';').next().unwrap().to_owned()
}

async fn signed_in_as(server: &Server, cookie: &str) -> Option<String> {
    let res = server.get("/", Some(cookie)).await;
    if res.status() == StatusCode::SEE_OTHER {
        assert_eq!(res.headers()[LOCATION], "/login");
        return None;
    }
    assert_eq!(res.status(), StatusCode::OK);
    let body = res.text().await.unwrap();
    let start = body.find("Signed in as ").unwrap() + "Signed in as ".len();
    Some(body[start..].split('<').next().unwrap().to_owned())
}

#[tokio::test]
async fn sign_in_sets_a_hardened_cookie_and_replaces_the_pre_login_id() {
    let server = start().await;
    let form = server.get("/login", None).await;
    assert_eq!(form.status(), StatusCode::OK);
    let csp = form.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(csp.contains("default-src 'none'"), "{csp}");
    assert_eq!(form.headers()["x-content-type-options"], "nosniff");
    let pre = pair(&set_cookie(&form).expect("the form starts a pre-login session"));
    assert!(form.text().await.unwrap().contains("<form id=\"login\""));
    assert_eq!(signed_in_as(&server, &pre).await, None);

    let set = server.login("alice", Some(&pre)).await;
    assert!(set.starts_with("__Host-session="), "{set}");
    for attribute in ["Path=/", "Secure", "HttpOnly", "SameSite=Strict"] {
        assert!(
            set.split("; ").any(|a| a == attribute),
            "{attribute} missing: {set}"
        );
    }
    assert!(!set.contains("Domain"), "{set}");
    let cookie = pair(&set);
    assert_ne!(cookie, pre, "signing in issues a fresh id");
    assert_eq!(
        signed_in_as(&server, &cookie).await.as_deref(),
        Some("alice")
    );
    // Fixation: whoever planted or saw the pre-login id gets nothing.
    assert_eq!(signed_in_as(&server, &pre).await, None);
}

#[tokio::test]
async fn wrong_passwords_are_refused_without_a_session() {
    let server = start().await;
    let res = server
        .post(
            "/login",
            None,
            "username=alice&password=guess",
            "same-origin",
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert!(
        res.text()
            .await
            .unwrap()
            .contains("Wrong username or password")
    );
    let res = server
        .post(
            "/login",
            None,
            "username=nobody&password=guess",
            "same-origin",
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    let res = server
        .post("/login", None, "username=alice", "same-origin")
        .await;
    assert!(res.status().is_client_error(), "{}", res.status());
}

#[tokio::test]
async fn sign_out_ends_the_session() {
    let server = start().await;
    let cookie = pair(&server.login("bob", None).await);
    let res = server
        .post("/logout", Some(&cookie), "", "same-origin")
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert!(set_cookie(&res).unwrap().contains("Max-Age=0"));
    assert_eq!(signed_in_as(&server, &cookie).await, None);
}

#[tokio::test]
async fn cross_site_posts_are_refused() {
    let server = start().await;
    let cookie = pair(&server.login("alice", None).await);
    for path in ["/logout", "/sessions/revoke-all"] {
        let res = server.post(path, Some(&cookie), "", "cross-site").await;
        assert_eq!(res.status(), StatusCode::FORBIDDEN, "{path}");
        assert!(
            res.headers()[CONTENT_TYPE]
                .to_str()
                .unwrap()
                .contains("problem+json")
        );
    }
    let res = server
        .post(
            "/login",
            None,
            "username=alice&password=alice-S3cure-demo%21",
            "cross-site",
        )
        .await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN, "login CSRF refused");
    assert!(set_cookie(&res).is_none());
    // Without Fetch Metadata, a foreign Origin is refused too.
    let res = server
        .client
        .post(format!("{}/logout", server.base))
        .header(COOKIE, &cookie)
        .header("origin", "https://evil.example")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert_eq!(
        signed_in_as(&server, &cookie).await.as_deref(),
        Some("alice")
    );
}

#[tokio::test]
async fn an_idle_session_ends_by_the_clock() {
    let server = start().await;
    let cookie = pair(&server.login("alice", None).await);
    server.clock.advance(Duration::from_secs(29 * 60));
    assert_eq!(
        signed_in_as(&server, &cookie).await.as_deref(),
        Some("alice")
    );
    server.clock.advance(Duration::from_secs(29 * 60));
    assert_eq!(
        signed_in_as(&server, &cookie).await.as_deref(),
        Some("alice"),
        "use moves the window"
    );
    server.clock.advance(Duration::from_secs(31 * 60));
    let res = server.get("/", Some(&cookie)).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert!(
        set_cookie(&res).unwrap().contains("Max-Age=0"),
        "the stale cookie is cleared"
    );
}

#[tokio::test]
async fn sessions_are_listed_and_revoked_everywhere() {
    let server = start().await;
    let laptop = pair(&server.login("alice", None).await);
    let phone = pair(&server.login("alice", None).await);
    let bob = pair(&server.login("bob", None).await);
    let res = server.get("/sessions", Some(&laptop)).await;
    assert_eq!(res.status(), StatusCode::OK);
    let page = res.text().await.unwrap();
    assert_eq!(page.matches("<tr data-handle=").count(), 2, "{page}");
    assert_eq!(page.matches("<td>current</td>").count(), 1, "{page}");
    assert!(
        page.contains("Firefox on Linux") && page.contains("127.0.0.0/24"),
        "{page}"
    );

    let res = server
        .post("/sessions/revoke-all", Some(&phone), "", "same-origin")
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert!(set_cookie(&res).unwrap().contains("Max-Age=0"));
    assert_eq!(signed_in_as(&server, &laptop).await, None);
    assert_eq!(signed_in_as(&server, &phone).await, None);
    assert_eq!(signed_in_as(&server, &bob).await.as_deref(), Some("bob"));
    assert_eq!(
        server.get("/sessions", Some(&laptop)).await.status(),
        StatusCode::SEE_OTHER
    );
}

#[tokio::test]
async fn redis_backed_sessions_work_the_same() {
    let Some(url) = rampart_test_support::service_url("REDIS_URL", "session-app redis") else {
        return;
    };
    let mut options = Options::memory();
    let prefix = format!("rampart-test:session-app:{}", std::process::id());
    options.store = Arc::new(
        rampart_auth::session::RedisSessionStore::connect(&url, &prefix)
            .await
            .expect("REDIS_URL is set but Redis cannot be reached"),
    );
    let server = start_with(options).await;
    let pre = pair(&set_cookie(&server.get("/login", None).await).unwrap());
    let cookie = pair(&server.login("alice", Some(&pre)).await);
    assert_eq!(
        signed_in_as(&server, &cookie).await.as_deref(),
        Some("alice")
    );
    assert_eq!(signed_in_as(&server, &pre).await, None);
    server
        .post("/logout", Some(&cookie), "", "same-origin")
        .await;
    assert_eq!(signed_in_as(&server, &cookie).await, None);
}
