//! rampart sessions in headless Chromium: the `__Host-` session cookie is
//! stored, sent back and hidden from scripts, and a cross-site form cannot
//! use it.
#![allow(clippy::unwrap_used, clippy::expect_used, dead_code)]

#[path = "support/webdriver.rs"]
mod webdriver;

#[path = "support/local.rs"]
mod local;

use axum::Router;
use axum::extract::Query;
use axum::response::Html;
use axum::routing::get;
use local::{page_text, serve};
use serde_json::json;
use std::collections::HashMap;
use std::sync::Arc;
use webdriver::Browser;

/// A page on another site with a form posting to `action`.
fn attacker() -> Router {
    Router::new().route(
        "/forge",
        get(|Query(q): Query<HashMap<String, String>>| async move {
            let action: String = q
                .get("action")
                .map_or("", String::as_str)
                .chars()
                .filter(|c| !matches!(c, '"' | '<' | '>' | '&'))
                .collect();
            Html(format!(
                "<!doctype html><title>forge</title>\
                 <form id=\"f\" method=\"post\" action=\"{action}\"></form>"
            ))
        }),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_session_cookie_works_in_a_browser_and_cross_site_forms_cannot_use_it() {
    let Some(paths) = rampart_test_support::browser("session cookie in a browser") else {
        return;
    };
    let (router, _) = session_app::build(session_app::Options::memory()).unwrap();
    let app = format!("http://127.0.0.1:{}", serve(router).await);
    let other = format!("http://localhost:{}", serve(attacker()).await);
    let browser = Arc::new(
        Browser::start(&paths.chromium, &paths.chromedriver)
            .await
            .unwrap(),
    );
    let outcome = tokio::spawn(scenario(Arc::clone(&browser), app, other)).await;
    if let Ok(browser) = Arc::try_unwrap(browser) {
        browser.close().await;
    }
    if let Err(failure) = outcome {
        std::panic::resume_unwind(failure.into_panic());
    }
}

async fn scenario(browser: Arc<Browser>, app: String, other: String) {
    local::sign_in_as_alice(&browser, &app).await;
    // Only the cookie can tell the server who is asking for `/`.
    let home = page_text(&browser, &format!("{app}/")).await;
    assert!(home.contains("Signed in as alice"), "{home:?}");
    let seen = browser.execute("return document.cookie;").await.unwrap();
    assert_eq!(seen, json!(""), "HttpOnly: scripts never see the session");
    browser.goto(&format!("{app}/sessions")).await.unwrap();
    let sessions = page_text(&browser, &format!("{app}/sessions")).await;
    assert!(sessions.contains("current"), "{sessions:?}");

    // Another site's form posting to the app's sign-out.
    let logout = format!("{app}/logout");
    browser
        .goto(&format!("{other}/forge?action={logout}"))
        .await
        .unwrap();
    browser
        .execute("document.getElementById('f').submit(); return true;")
        .await
        .unwrap();
    let refused = page_text(&browser, &logout).await;
    assert!(
        refused.contains("Cross-site request refused"),
        "{refused:?}"
    );

    browser.goto(&format!("{app}/")).await.unwrap();
    let home = page_text(&browser, &format!("{app}/")).await;
    assert!(
        home.contains("Signed in as alice"),
        "the forged sign-out did nothing: {home:?}"
    );

    // The app's own sign-out form works.
    browser
        .execute("document.getElementById('logout').submit(); return true;")
        .await
        .unwrap();
    let login = page_text(&browser, &format!("{app}/login")).await;
    assert!(login.contains("Sign in"), "{login:?}");
    browser.goto(&format!("{app}/")).await.unwrap();
    let after = page_text(&browser, &format!("{app}/login")).await;
    assert!(after.contains("Sign in"), "{after:?}");
}
