//! Serving an app on a loopback port, and reading the page a browser shows.

use crate::webdriver::Browser;
use axum::Router;
use std::net::SocketAddr;
use std::time::Duration;
use tokio::net::TcpListener;

/// How long a page may take to load.
pub const WAIT: Duration = Duration::from_secs(15);

/// A listener on a free loopback port, and the port, so that an app can be
/// built for its own origin before it is served.
pub async fn listen() -> (TcpListener, u16) {
    let listener = TcpListener::bind(("127.0.0.1", 0)).await.unwrap();
    let port = listener.local_addr().unwrap().port();
    (listener, port)
}

/// Serves `router` on `listener` (with the client address known) until the test ends.
pub fn spawn(listener: TcpListener, router: Router) {
    tokio::spawn(async move {
        axum::serve(
            listener,
            router.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .await
    });
}

/// Serves `router` on a free loopback port; answers the port.
pub async fn serve(router: Router) -> u16 {
    let (listener, port) = listen().await;
    spawn(listener, router);
    port
}

/// Waits until the page at `url` has loaded; answers its text.
pub async fn page_text(browser: &Browser, url: &str) -> String {
    let script = format!(
        "return location.href === {url:?} && document.readyState === 'complete'
            ? document.documentElement.innerText : null;"
    );
    let text = browser.wait_for(&script, WAIT).await.unwrap();
    text.as_str().unwrap_or_default().to_owned()
}

/// Submits session-app's sign-in form at `app` with the demo user alice's
/// password (the page that follows is not waited for).
pub async fn sign_in_as_alice(browser: &Browser, app: &str) {
    browser.goto(&format!("{app}/login")).await.unwrap();
    browser
        .execute(
            "document.querySelector('input[name=username]').value = 'alice';
             document.querySelector('input[name=password]').value = 'alice-S3cure-demo!';
             document.getElementById('login').submit(); return true;",
        )
        .await
        .unwrap();
}
