//! Security keys as a second factor in headless Chromium, with its virtual
//! authenticator: a signed-in user registers a key; the next sign-in stops
//! after the password at the second-factor page (not signed in) and passes
//! only with the key's assertion. Without the key (authenticator gone, or
//! another one that never registered) and with a forged assertion, the
//! session stays signed out.
#![allow(clippy::unwrap_used, clippy::expect_used, dead_code)]

#[path = "support/webdriver.rs"]
mod webdriver;

#[path = "support/local.rs"]
mod local;

use local::{WAIT, page_text};
use serde_json::{Value, json};
use std::sync::Arc;
use std::time::Duration;
use webdriver::Browser;

/// Serves session-app on `http://localhost:<port>`, the origin its security
/// keys are bound to (`localhost` is a secure context over plain http).
async fn serve_app() -> String {
    let (listener, port) = local::listen().await;
    let origin = format!("http://localhost:{port}");
    let mut options = session_app::Options::memory();
    options.rp_id = "localhost".into();
    options.rp_origin = origin.clone();
    let (router, _) = session_app::build(options).unwrap();
    local::spawn(listener, router);
    origin
}

/// A CTAP2 platform authenticator that verifies its user (as a fingerprint
/// reader would) without asking.
fn authenticator() -> Value {
    json!({
        "protocol": "ctap2",
        "transport": "internal",
        "hasResidentKey": true,
        "hasUserVerification": true,
        "isUserVerified": true,
    })
}

async fn sign_out(browser: &Browser, app: &str) {
    browser.goto(&format!("{app}/")).await.unwrap();
    page_text(browser, &format!("{app}/")).await;
    browser
        .execute("document.getElementById('logout').submit(); return true;")
        .await
        .unwrap();
    page_text(browser, &format!("{app}/login")).await;
}

/// Whether the browser's session is signed in: `/` shows the user, or
/// redirects to the sign-in form.
async fn signed_in(browser: &Browser, app: &str) -> bool {
    browser.goto(&format!("{app}/")).await.unwrap();
    let text = browser
        .wait_for(
            "return document.readyState === 'complete' ? document.documentElement.innerText : null;",
            WAIT,
        )
        .await
        .unwrap();
    text.as_str()
        .unwrap_or_default()
        .contains("Signed in as alice")
}

/// Clicks "Use security key" and waits for the script to finish: `done`
/// (it then navigates) or `failed` with the message it showed.
async fn use_key(browser: &Browser, within: Duration) -> (String, String) {
    browser
        .execute("document.getElementById('use-key').click(); return true;")
        .await
        .unwrap();
    let outcome = browser
        .wait_for(
            "const s = document.getElementById('status');
             if (!s) return 'navigated';
             return s.textContent === 'failed' ? 'failed' : null;",
            within,
        )
        .await
        .unwrap();
    let shown = browser
        .execute("const e = document.getElementById('error'); return e ? e.textContent : '';")
        .await
        .unwrap_or(Value::Null);
    (
        outcome.as_str().unwrap_or_default().to_owned(),
        shown.as_str().unwrap_or_default().to_owned(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_security_key_is_the_second_factor_and_nothing_else_passes_it() {
    let Some(paths) = rampart_test_support::browser("security key second factor") else {
        return;
    };
    let app = serve_app().await;
    let browser = Arc::new(
        Browser::start(&paths.chromium, &paths.chromedriver)
            .await
            .unwrap(),
    );
    let outcome = tokio::spawn(scenario(Arc::clone(&browser), app)).await;
    if let Ok(browser) = Arc::try_unwrap(browser) {
        browser.close().await;
    }
    if let Err(failure) = outcome {
        std::panic::resume_unwind(failure.into_panic());
    }
}

async fn scenario(browser: Arc<Browser>, app: String) {
    let key = browser
        .add_virtual_authenticator(authenticator())
        .await
        .unwrap();

    // Signed in with the password alone (no key yet), register one.
    local::sign_in_as_alice(&browser, &app).await;
    let home = page_text(&browser, &format!("{app}/")).await;
    assert!(home.contains("Signed in as alice"), "{home:?}");
    let keys_url = format!("{app}/security-keys");
    browser.goto(&keys_url).await.unwrap();
    page_text(&browser, &keys_url).await;
    browser
        .execute(
            "const f = document.getElementById('register-key');
             f.elements.name.value = 'virtual key';
             f.requestSubmit(); return true;",
        )
        .await
        .unwrap();
    let listed = browser
        .wait_for(
            "const rows = document.querySelectorAll('#keys tr[data-id]');
             const s = document.getElementById('status');
             if (s && s.textContent === 'failed') return 'failed: ' + document.getElementById('error').textContent;
             return rows.length === 1 ? rows[0].innerText : null;",
            WAIT,
        )
        .await
        .unwrap();
    let listed = listed.as_str().unwrap_or_default();
    assert!(listed.contains("virtual key"), "{listed:?}");
    let held = browser.virtual_credentials(&key).await.unwrap();
    assert_eq!(held.len(), 1, "the authenticator holds the new credential");
    assert_eq!(held[0]["rpId"], "localhost");

    // The next sign-in stops after the password.
    sign_out(&browser, &app).await;
    local::sign_in_as_alice(&browser, &app).await;
    let second = page_text(&browser, &format!("{app}/login/second-factor")).await;
    assert!(second.contains("Use your security key"), "{second:?}");
    assert!(
        !signed_in(&browser, &app).await,
        "a password alone does not sign in"
    );
    // A forged assertion posted by a script on the page is refused.
    let second_url = format!("{app}/login/second-factor");
    browser.goto(&second_url).await.unwrap();
    page_text(&browser, &second_url).await;
    let forged = browser
        .execute_async(
            "const done = arguments[arguments.length - 1];
             fetch('/login/second-factor/options', {method: 'POST', headers: {'content-type': 'application/json'}, body: '{}'})
               .then(() => fetch('/login/second-factor', {method: 'POST',
                  headers: {'content-type': 'application/json'},
                  body: JSON.stringify({id: 'AAAA', rawId: 'AAAA', type: 'public-key',
                    response: {authenticatorData: 'AAAA', clientDataJSON: 'AAAA', signature: 'AAAA'}})}))
               .then(r => done(r.status), e => done(String(e)));",
        )
        .await
        .unwrap();
    assert!(
        matches!(forged.as_u64(), Some(400 | 401)),
        "forged assertion answered {forged}"
    );
    assert!(!signed_in(&browser, &app).await);

    // The key's assertion completes the sign-in.
    browser.goto(&second_url).await.unwrap();
    page_text(&browser, &second_url).await;
    let (outcome, shown) = use_key(&browser, WAIT).await;
    assert_eq!(outcome, "navigated", "{shown}");
    let home = page_text(&browser, &format!("{app}/")).await;
    assert!(home.contains("Signed in as alice"), "{home:?}");
    let held = browser.virtual_credentials(&key).await.unwrap();
    assert!(
        held[0]["signCount"].as_u64().unwrap_or_default() >= 1,
        "{held:?}"
    );

    // Without the key: the authenticator is gone, another one has no credential.
    sign_out(&browser, &app).await;
    browser.remove_virtual_authenticator(&key).await.unwrap();
    let stranger = browser
        .add_virtual_authenticator(authenticator())
        .await
        .unwrap();
    local::sign_in_as_alice(&browser, &app).await;
    page_text(&browser, &second_url).await;
    let (outcome, shown) = use_key(&browser, Duration::from_secs(60)).await;
    assert_eq!(outcome, "failed", "{shown}");
    assert!(!signed_in(&browser, &app).await, "no key, no session");
    assert!(
        browser
            .virtual_credentials(&stranger)
            .await
            .unwrap()
            .is_empty()
    );
}
