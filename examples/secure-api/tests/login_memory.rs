//! Memory under a flood of wrong-password logins: argon2id takes about
//! 19 MiB per check, so 200 checks at once would need close to 4 GB. The
//! bounded hasher keeps the peak to the few checks it lets run.
//!
//! In a file of its own: the peak is read for the whole process, and no other
//! test may allocate beside it.
#![cfg(target_os = "linux")]
#![allow(clippy::unwrap_used, clippy::expect_used)]

use axum::body::Body;
use http::{Request, StatusCode};
use secure_api::app;
use secure_api::config::AppConfig;
use serde_json::json;
use tower::ServiceExt;

/// A field of `/proc/self/status`, in KiB.
fn status_kib(field: &str) -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    status
        .lines()
        .find_map(|line| line.strip_prefix(field))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or_else(|| panic!("no {field} in /proc/self/status"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_hundred_parallel_wrong_passwords_leave_memory_flat() {
    let document = "[passwords]\nmax_concurrent = 4\nmax_queued = 4\n";
    let config =
        AppConfig::from_documents("127.0.0.1:0".parse().unwrap(), None, Some(document)).unwrap();
    let built = app::assemble(&config).await.unwrap();
    // Start the peak from here: building the app hashed the demo passwords.
    std::fs::write("/proc/self/clear_refs", "5").unwrap();
    let before = status_kib("VmRSS:");

    let mut flood = tokio::task::JoinSet::new();
    for i in 0..200 {
        let router = built.router.clone();
        // Distinct names, known and unknown, so no per-name lockout cuts the
        // flood short: every request reaches the hasher (or its bound).
        let user = if i % 2 == 0 {
            format!("nobody-{i}")
        } else {
            "bob".to_owned()
        };
        flood.spawn(async move {
            let request = Request::post("/auth/login")
                .header("content-type", "application/json")
                .body(Body::from(
                    json!({"username": user, "password": "wrong-password"}).to_string(),
                ))
                .unwrap();
            router.oneshot(request).await.unwrap().status()
        });
    }
    let mut checked = 0;
    while let Some(status) = flood.join_next().await {
        match status.unwrap() {
            StatusCode::UNAUTHORIZED => checked += 1,
            StatusCode::SERVICE_UNAVAILABLE | StatusCode::TOO_MANY_REQUESTS => {}
            other => panic!("unexpected {other}"),
        }
    }
    let peak = status_kib("VmHWM:");
    let grown_mib = peak.saturating_sub(before) / 1024;
    let stats = built.state.users.verifier().limiter().stats();
    assert!(checked >= 4, "only {checked} logins were checked");
    // Unbounded, 200 checks at 19 MiB each is about 3.8 GB; bounded to 4 at
    // once it is under 100 MiB, plus what the allocator keeps.
    assert!(
        grown_mib < 400,
        "resident memory grew by {grown_mib} MiB under the flood (from {} MiB)",
        before / 1024
    );
    assert!(
        stats.peak_running <= 4,
        "{} ran at once",
        stats.peak_running
    );
}
