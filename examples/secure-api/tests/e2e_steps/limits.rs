//! Login lockout, the per-address and per-user quotas, and the bound on
//! password checks running at once.

use super::Walk;
use crate::e2e_support::run::{IP_PER_MINUTE, LOGIN_MAX_FAILURES, USER_PER_MINUTE};
use reqwest::{Method, StatusCode};

/// After `login_max_failures` wrong passwords a username is locked: `429`
/// even for the right password, from any address; an unknown username is
/// locked alike; other accounts are not affected.
pub async fn login_lockout(w: &Walk) {
    let c = w.client();
    let frank = w.user("frank");
    for _ in 0..LOGIN_MAX_FAILURES {
        c.try_login(&frank, "not-franks-password", None)
            .await
            .assert_refused(StatusCode::UNAUTHORIZED, Some("invalid_credentials"));
    }
    let locked = c.try_login(&frank, "frank-S3cure-demo!", None).await;
    locked.assert_retry_after(StatusCode::TOO_MANY_REQUESTS);
    assert!(locked.body.get("access_token").is_none());
    let elsewhere = w.client();
    elsewhere
        .try_login(&frank, "frank-S3cure-demo!", None)
        .await
        .assert_retry_after(StatusCode::TOO_MANY_REQUESTS);

    let nobody = w.user("stranger");
    for _ in 0..LOGIN_MAX_FAILURES {
        c.try_login(&nobody, "guess", None)
            .await
            .assert_refused(StatusCode::UNAUTHORIZED, Some("invalid_credentials"));
    }
    let unknown = c.try_login(&nobody, "guess", None).await;
    unknown.assert_retry_after(StatusCode::TOO_MANY_REQUESTS);
    for field in ["type", "title", "detail"] {
        assert_eq!(
            unknown.body[field], locked.body[field],
            "a locked unknown name looks like a locked user"
        );
    }

    c.login(&w.user("judy")).await;
}

/// Sends `GET path` until refused; answers how many were admitted.
async fn admitted_until_limited(
    c: &crate::e2e_support::Client,
    path: &str,
    token: Option<&str>,
    limit: u32,
) -> u32 {
    let mut admitted = 0;
    loop {
        let reply = c.send(Method::GET, path, token, None).await;
        if reply.status == StatusCode::TOO_MANY_REQUESTS {
            reply.assert_retry_after(StatusCode::TOO_MANY_REQUESTS);
            assert!(
                reply.headers.contains_key("ratelimit-policy"),
                "{:?}",
                reply.headers
            );
            return admitted;
        }
        assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.body);
        admitted += 1;
        // A quota refills while it is spent: a little more than `limit`
        // may pass, never much more.
        assert!(
            admitted <= limit + limit / 10,
            "{admitted} admitted over a quota of {limit}"
        );
    }
}

/// An address that spent `ip_per_minute` is refused; another is not.
pub async fn address_quota(w: &Walk) {
    let c = w.client();
    let admitted = admitted_until_limited(&c, "/health", None, IP_PER_MINUTE).await;
    assert!(
        admitted >= IP_PER_MINUTE,
        "refused after {admitted} of {IP_PER_MINUTE}"
    );
    c.send(Method::GET, "/health", None, None)
        .await
        .assert_retry_after(StatusCode::TOO_MANY_REQUESTS);
    let other = w.client();
    assert_eq!(
        other.send(Method::GET, "/health", None, None).await.status,
        StatusCode::OK
    );
}

/// A user who spent `user_per_minute` is refused, from any address;
/// another user is not.
pub async fn user_quota(w: &Walk) {
    let c = w.client();
    let ivan = c.login(&w.user("ivan")).await.access;
    let admitted = admitted_until_limited(&c, "/api/me", Some(&ivan), USER_PER_MINUTE).await;
    assert!(
        admitted >= USER_PER_MINUTE,
        "refused after {admitted} of {USER_PER_MINUTE}"
    );
    let elsewhere = w.client();
    elsewhere
        .send(Method::GET, "/api/me", Some(&ivan), None)
        .await
        .assert_retry_after(StatusCode::TOO_MANY_REQUESTS);
    let judy = elsewhere.login(&w.user("judy")).await.access;
    assert_eq!(elsewhere.get("/api/me", &judy).await.status, StatusCode::OK);
}

/// One password check at once and one waiting (the walk's `[passwords]`):
/// a burst of logins gets some `503` + `Retry-After`, the others their tokens.
/// The burst is wide enough that a slow, busy machine cannot serve it one
/// login at a time.
pub async fn hashing_bound(w: &Walk) {
    let judy = w.user("judy");
    let mut burst = tokio::task::JoinSet::new();
    for _ in 0..24 {
        let (c, judy) = (w.client(), judy.clone());
        burst.spawn(async move { c.try_login(&judy, "judy-S3cure-demo!", None).await });
    }
    let (mut signed_in, mut busy) = (0, 0);
    while let Some(reply) = burst.join_next().await {
        let reply = reply.unwrap();
        if reply.status == StatusCode::OK {
            reply.tokens();
            signed_in += 1;
        } else {
            reply.assert_retry_after(StatusCode::SERVICE_UNAVAILABLE);
            busy += 1;
        }
    }
    assert!(signed_in >= 1, "no login of the burst was checked");
    assert!(busy >= 1, "no login of the burst was refused with 503");
}
