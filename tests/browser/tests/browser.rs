//! Security headers, CSP, CORS and CSRF proven in headless Chromium.
//!
//! One browser session runs every scenario in turn (starting Chromium is the
//! slow part); every wait is bounded, and the servers stop with the test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use serde_json::{Value, json};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;
use support::servers::{
    PLAIN_MARKER, SCRIPTS_MARKER, SPA_STARTED, TRANSFER_DONE, World, XFO_MARKER,
};
use support::webdriver::Browser;

/// How long a page may take to do what the test waits for.
const WAIT: Duration = Duration::from_secs(10);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn security_headers_hold_in_a_real_browser() {
    let Some(paths) = rampart_test_support::browser("security_headers_hold_in_a_real_browser")
    else {
        return;
    };
    let world = World::start().await;
    let browser = Arc::new(
        Browser::start(&paths.chromium, &paths.chromedriver)
            .await
            .unwrap(),
    );
    // The scenarios run in their own task so that a failing assertion still
    // lets the browser be closed before the failure is reported.
    let outcome = tokio::spawn(scenarios(Arc::clone(&browser), world)).await;
    if let Ok(browser) = Arc::try_unwrap(browser) {
        browser.close().await;
    }
    if let Err(failure) = outcome {
        std::panic::resume_unwind(failure.into_panic());
    }
}

async fn scenarios(browser: Arc<Browser>, mut world: World) {
    only_nonced_scripts_run_and_violations_are_reported(&browser, &mut world).await;
    a_bundled_spa_runs_under_the_spa_preset_and_injected_scripts_do_not(&browser, &world).await;
    protected_pages_cannot_be_framed_by_another_origin(&browser, &world).await;
    cors_lets_only_listed_origins_read(&browser, &world).await;
    csrf_refuses_cross_site_forms_and_passes_same_origin_ones(&browser, &world).await;
}

async fn only_nonced_scripts_run_and_violations_are_reported(browser: &Browser, world: &mut World) {
    let page = format!("{}/scripts", world.site);
    browser.goto(&page).await.unwrap();
    let ran = browser
        .execute("return [window.nonced === true, window.unnonced === true];")
        .await
        .unwrap();
    assert_eq!(ran, json!([true, false]), "[nonced ran, un-nonced ran]");

    let report = tokio::time::timeout(WAIT, world.reports.recv())
        .await
        .expect("no CSP violation report arrived")
        .unwrap();
    let report = &report["csp-report"];
    assert_eq!(report["blocked-uri"], "inline", "{report}");
    assert!(
        report["effective-directive"]
            .as_str()
            .is_some_and(|d| d.starts_with("script-src")),
        "{report}"
    );
    assert_eq!(report["document-uri"], page.as_str(), "{report}");
}

/// A bundler's `index.html`, served through `NonceHtml` under
/// `SecurityHeaders::spa()`: its same-origin module and the chunk that
/// module imports run without a nonce, the inline script with the
/// placeholder runs, an injected inline script does not. With
/// `'strict-dynamic'` added, the un-nonced module is blocked: why the preset
/// leaves it out.
async fn a_bundled_spa_runs_under_the_spa_preset_and_injected_scripts_do_not(
    browser: &Browser,
    world: &World,
) {
    browser.goto(&format!("{}/spa/", world.site)).await.unwrap();
    let shown = browser
        .wait_for(
            "return window.started === true ? document.getElementById('app').textContent : null;",
            WAIT,
        )
        .await
        .expect("the bundle or its chunk did not run under spa()");
    assert_eq!(shown, SPA_STARTED);
    let ran = browser
        .execute(
            "return [window.nonced === true, window.bundle === true, window.injected === true];",
        )
        .await
        .unwrap();
    assert_eq!(
        ran,
        json!([true, true, false]),
        "[nonced, bundle, injected]"
    );

    browser
        .goto(&format!("{}/spa-strict-dynamic/", world.site))
        .await
        .unwrap();
    let ran = browser
        .wait_for(
            "return document.readyState === 'complete'
                ? [window.nonced === true, window.bundle === true, window.injected === true] : null;",
            WAIT,
        )
        .await
        .unwrap();
    assert_eq!(
        ran,
        json!([true, false, false]),
        "[nonced, bundle, injected]"
    );
}

/// The address and text of the document in a frame that tried to show
/// `url`, embedded by a page on `embedder`.
async fn framed(browser: &Browser, embedder: &str, url: &str) -> (String, String) {
    browser
        .goto(&format!("{embedder}/frame?src={url}"))
        .await
        .unwrap();
    browser
        .wait_for("return window.framed === true ? true : null;", WAIT)
        .await
        .unwrap();
    browser.enter_frame("#target").await.unwrap();
    let seen = browser
        .execute(
            "return [location.href, document.documentElement ? document.documentElement.innerText : ''];",
        )
        .await
        .unwrap();
    browser.leave_frames().await.unwrap();
    let text = |i: usize| seen[i].as_str().unwrap_or_default().to_owned();
    (text(0), text(1))
}

async fn protected_pages_cannot_be_framed_by_another_origin(browser: &Browser, world: &World) {
    let attacker = &world.other_unlisted;
    // The control: a page without the headers does load in the frame, so a
    // frame without the page below means the headers stopped it, not the set-up.
    let control = format!("{}/plain", world.other_listed);
    let (href, text) = framed(browser, attacker, &control).await;
    assert_eq!(href, control);
    assert!(text.contains(PLAIN_MARKER), "control frame shows {text:?}");

    for (url, marker) in [
        (format!("{}/scripts", world.site), SCRIPTS_MARKER),
        (format!("{}/xfo-only", world.site), XFO_MARKER),
        (format!("{}/health", world.app), "status"),
    ] {
        let (href, text) = framed(browser, attacker, &url).await;
        assert_ne!(href, url, "{url} was framed: {text:?}");
        assert!(!text.contains(marker), "{url} was framed: {text:?}");
    }
}

/// The outcome of a `fetch` of `url` by a page on `origin`.
async fn fetch_from(browser: &Browser, origin: &str, url: &str) -> Value {
    browser.goto(&format!("{origin}/blank")).await.unwrap();
    let script = format!(
        "const done = arguments[arguments.length - 1];
         fetch({url:?}).then(r => r.json()).then(j => done('read ' + j.status), e => done('denied ' + e.name));"
    );
    browser.execute_async(&script).await.unwrap()
}

async fn cors_lets_only_listed_origins_read(browser: &Browser, world: &World) {
    let health = format!("{}/health", world.app);
    assert_eq!(
        fetch_from(browser, &world.other_listed, &health).await,
        "read ok"
    );
    assert_eq!(
        fetch_from(browser, &world.other_unlisted, &health).await,
        "denied TypeError"
    );
}

/// Submits the form `#f` of the current page and answers the text of the page it leads to.
async fn submit_form(browser: &Browser, target: &str) -> String {
    browser
        .execute("document.getElementById('f').submit(); return true;")
        .await
        .unwrap();
    let script = format!(
        "return location.href === {target:?} && document.readyState === 'complete'
            ? document.documentElement.innerText : null;"
    );
    let text = browser.wait_for(&script, WAIT).await.unwrap();
    text.as_str().unwrap_or_default().to_owned()
}

async fn csrf_refuses_cross_site_forms_and_passes_same_origin_ones(
    browser: &Browser,
    world: &World,
) {
    let transfer = format!("{}/transfer", world.site);
    browser.goto(&format!("{}/form", world.site)).await.unwrap();
    let text = submit_form(browser, &transfer).await;
    assert!(text.contains(TRANSFER_DONE), "same-origin form: {text:?}");
    assert_eq!(world.transfers.load(Ordering::SeqCst), 1);

    for target in [transfer.clone(), format!("{}/auth/login", world.app)] {
        browser
            .goto(&format!("{}/forge?action={target}", world.other_unlisted))
            .await
            .unwrap();
        let text = submit_form(browser, &target).await;
        assert!(
            text.contains("Cross-site request refused"),
            "cross-site form to {target}: {text:?}"
        );
    }
    assert_eq!(
        world.transfers.load(Ordering::SeqCst),
        1,
        "the refused transfer reached the handler"
    );
}
