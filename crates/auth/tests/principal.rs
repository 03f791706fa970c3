//! The `Principal` a verified token yields: `org`, and the application
//! claims the verifier is told to copy (and only those).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use rampart_auth::{AuthError, JwtVerifier, JwtVerifierBuilder, TokenRequest, TokenUse};
use serde_json::{Value, json};

fn builder(fx: &Fx) -> JwtVerifierBuilder {
    JwtVerifier::builder(fx.keys.clone())
        .issuer(ISS)
        .audience([AUD])
        .clock(fx.clock.shared())
}

fn with(mut v: Value, key: &str, value: Value) -> Value {
    v[key] = value;
    v
}

fn rich_claims(fx: &Fx) -> Value {
    let claims = with(fx.claims(), "org", json!("sales"));
    let claims = with(claims, "department", json!("emea"));
    let claims = with(claims, "companies", json!(["c1", "c2"]));
    with(claims, "salary", json!(100))
}

#[tokio::test]
async fn org_and_listed_claims_reach_the_principal_unlisted_ones_do_not() {
    let fx = fixture();
    let v = builder(&fx)
        .principal_claims(["department", "companies", "absent"])
        .build()
        .unwrap();
    let token = fx.sign(&fx.header(), &rich_claims(&fx));
    let (claims, p) = v.authenticate(&token).await.unwrap();
    assert_eq!(claims.org.as_deref(), Some("sales"));
    assert_eq!(p.org(), Some("sales"));
    assert_eq!(p.tenant(), Some("acme"));
    assert_eq!(p.subject(), "alice");
    assert_eq!(p.token_id(), Some("jti-1"));
    assert_eq!(p.claim("department"), Some(&json!("emea")));
    assert_eq!(p.claim("companies"), Some(&json!(["c1", "c2"])));
    assert_eq!(p.claim("salary"), None, "not listed");
    assert_eq!(p.claim("absent"), None, "listed but not in the token");
    assert_eq!(p.claims().len(), 2);
    // What `to_principal` builds agrees on everything but the copied claims.
    let plain = claims.to_principal();
    assert_eq!(plain.org(), Some("sales"));
    assert!(plain.claims().is_empty());
}

#[tokio::test]
async fn by_default_no_application_claim_is_copied_but_org_is() {
    let fx = fixture();
    let token = fx.sign(&fx.header(), &rich_claims(&fx));
    let (_, p) = fx.verifier.authenticate(&token).await.unwrap();
    assert_eq!(p.org(), Some("sales"));
    assert!(p.claims().is_empty());
}

#[tokio::test]
async fn a_listed_claim_given_twice_is_malformed() {
    let fx = fixture();
    let v = builder(&fx)
        .principal_claims(["department"])
        .build()
        .unwrap();
    let payload = format!(
        r#"{{"iss":"{ISS}","aud":"{AUD}","sub":"alice","exp":{},"iat":{NOW},"jti":"j","token_use":"access","department":"a","department":"b"}}"#,
        NOW + 60
    );
    let key = jsonwebtoken::EncodingKey::from_rsa_pem(rsa_pems().0.as_bytes()).unwrap();
    let message = format!(
        "{}.{}",
        b64(fx.header().to_string().as_bytes()),
        b64(payload.as_bytes())
    );
    let sig = jsonwebtoken::crypto::sign(message.as_bytes(), &key, jsonwebtoken::Algorithm::RS256)
        .unwrap();
    let token = format!("{message}.{sig}");
    assert_eq!(
        v.authenticate(&token).await.unwrap_err(),
        AuthError::Malformed
    );
    // `verify` builds no principal, so it reads (and doubts) no such claim.
    assert!(v.verify(&token).await.is_ok());
}

#[tokio::test]
async fn authenticate_refuses_what_verify_refuses() {
    let fx = fixture();
    let v = builder(&fx)
        .principal_claims(["department"])
        .revocation(fx.store.clone())
        .build()
        .unwrap();
    let expired = fx.sign(
        &fx.header(),
        &with(rich_claims(&fx), "exp", json!(NOW - 31)),
    );
    assert_eq!(
        v.authenticate(&expired).await.unwrap_err(),
        AuthError::Expired
    );
    let token = fx.sign(&fx.header(), &rich_claims(&fx));
    let (_, p) = v.authenticate(&token).await.unwrap();
    fx.manager().logout(&p).await.unwrap();
    assert_eq!(
        v.authenticate(&token).await.unwrap_err(),
        AuthError::Revoked
    );
}

#[tokio::test]
async fn the_issuer_writes_org_and_the_verifier_maps_it() {
    let fx = fixture();
    let issued = fx
        .issuer
        .issue_access(&TokenRequest::new("bob").tenant("acme").org("sales"))
        .unwrap();
    let (_, p) = fx.verifier.authenticate(&issued.token).await.unwrap();
    assert_eq!(p.org(), Some("sales"));
    // `org` is a registered claim now: custom claims may not shadow it.
    let shadow = fx.issuer.issue(
        &TokenRequest::new("bob"),
        TokenUse::Access,
        None,
        &json!({"org": "other"}),
    );
    assert!(shadow.is_err());
}

#[tokio::test]
async fn a_refreshed_pair_keeps_the_org() {
    let fx = fixture();
    let m = fx.manager();
    let pair = m
        .issue_pair(&TokenRequest::new("bob").tenant("acme").org("sales"))
        .await
        .unwrap();
    let next = m.refresh(&pair.refresh_token, None).await.unwrap();
    let (_, p) = fx.verifier.authenticate(&next.access_token).await.unwrap();
    assert_eq!(p.org(), Some("sales"));
}

/// The plain forms need no type annotation (registered claims only); the
/// `_with` forms deserialize the application claims into the caller's type.
#[tokio::test]
async fn plain_calls_need_no_annotation_and_with_forms_read_custom_claims() {
    #[derive(Clone, serde::Deserialize)]
    struct Staff {
        department: String,
        salary: u32,
    }
    let fx = fixture();
    let v = builder(&fx).build().unwrap();
    let token = fx.sign(&fx.header(), &rich_claims(&fx));

    assert_eq!(v.verify(&token).await.unwrap().subject(), "alice");
    let stateless = v.verify_stateless(&token, TokenUse::Access).unwrap();
    assert_eq!(stateless.org.as_deref(), Some("sales"));

    let claims = v.verify_with::<Staff>(&token).await.unwrap();
    assert_eq!(claims.custom.department, "emea");
    assert_eq!(claims.custom.salary, 100);
    let (claims, p) = v.authenticate_with::<Staff>(&token).await.unwrap();
    assert_eq!(
        (claims.custom.department.as_str(), p.subject()),
        ("emea", "alice")
    );
    let claims = v
        .verify_stateless_with::<Staff>(&token, TokenUse::Access)
        .unwrap();
    assert_eq!(claims.custom.salary, 100);
    let claims = v
        .verify_as_with::<Staff>(&token, TokenUse::Access)
        .await
        .unwrap();
    assert_eq!(claims.custom.department, "emea");
    // A custom type the token does not satisfy is a rejection, not a panic.
    #[derive(Debug, serde::Deserialize)]
    struct NeedsPlan {
        #[allow(dead_code)]
        plan: String,
    }
    assert!(v.verify_with::<NeedsPlan>(&token).await.is_err());
}
