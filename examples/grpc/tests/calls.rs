//! The service over a real socket with a tonic client: each guard answers
//! with the gRPC status a client can act on, and every call leaves one audit
//! record with who called and how it ended.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use grpc_example::client::ItemsClient;
use grpc_example::items::Catalog;
use grpc_example::proto::{GetItemRequest, Item};
use grpc_example::{POLICY, Security, serve};
use rampart::audit::{AuditLog, MemorySink, SigningKey};
use rampart::auth::{JwtAuthority, JwtConfig, TokenRequest};
use rampart::ratelimit::Quota;
use rampart::rbac::Authorizer;
use serde_json::Value;
use tonic::{Code, Status};

struct Server {
    auth: JwtAuthority,
    client: ItemsClient,
    log: AuditLog,
    sink: MemorySink,
    _stop: tokio::sync::oneshot::Sender<()>,
}

fn authority() -> JwtAuthority {
    JwtConfig {
        issuer: Some("grpc-example".into()),
        ..JwtConfig::default()
    }
    .build()
    .unwrap()
}

/// Starts the server on a free port with `quota` per user.
async fn start(quota: Quota) -> Server {
    let auth = authority();
    let sink = MemorySink::new();
    let (key, _) = SigningKey::generate().unwrap();
    let log = AuditLog::builder(sink.clone(), key).build().unwrap();
    let security = Security::new(
        auth.verifier().clone(),
        Authorizer::from_toml(POLICY).unwrap(),
        log.clone(),
        quota,
    )
    .unwrap();
    let catalog = Catalog::new([Item {
        id: "1".into(),
        name: "lamp".into(),
        owner: "ann".into(),
    }]);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(serve(listener, security, catalog, async {
        let _ = stopped.await;
    }));
    let client = ItemsClient::connect(format!("http://{addr}"))
        .await
        .unwrap();
    Server {
        auth,
        client,
        log,
        sink,
        _stop: stop,
    }
}

fn token(auth: &JwtAuthority, subject: &str, role: &str) -> String {
    let request = TokenRequest::new(subject).roles([role]);
    auth.issuer().issue_access(&request).unwrap().token
}

fn request(id: &str, bearer: Option<&str>) -> tonic::Request<GetItemRequest> {
    let mut request = tonic::Request::new(GetItemRequest { id: id.into() });
    if let Some(token) = bearer {
        let value = format!("Bearer {token}").parse().unwrap();
        request.metadata_mut().insert("authorization", value);
    }
    request
}

impl Server {
    async fn get(&mut self, id: &str, bearer: Option<&str>) -> Result<Item, Status> {
        self.client
            .get_item(request(id, bearer))
            .await
            .map(tonic::Response::into_inner)
    }

    /// The per-call records (those with an `http` part), in order; the
    /// layers' own security events share the chain and are left out.
    fn calls(&self) -> Vec<Value> {
        self.log.flush().unwrap();
        self.sink
            .lines()
            .iter()
            .map(|l| serde_json::from_str::<Value>(l).unwrap())
            .filter(|v| v.get("checkpoint").is_none())
            .map(|v| v["event"].clone())
            .filter(|e| e.get("http").is_some())
            .collect()
    }
}

fn quota() -> Quota {
    Quota::per_minute(60)
}

#[tokio::test]
async fn a_reader_with_a_valid_token_gets_the_item_and_a_success_record() {
    let mut server = start(quota()).await;
    let ann = token(&server.auth, "ann", "reader");
    let item = server.get("1", Some(&ann)).await.unwrap();
    assert_eq!(item.name, "lamp");

    let calls = server.calls();
    assert_eq!(calls.len(), 1);
    let e = &calls[0];
    assert_eq!(e["outcome"], "success");
    assert_eq!(e["actor"]["subject"], "ann");
    assert_eq!(e["type"], "data.read");
    assert_eq!(e["action"], "rampart.example.v1.Items/GetItem");
    assert_eq!(e["target"]["id"], "1");
    assert_eq!(e["http"]["route"], "/rampart.example.v1.Items/GetItem");
    assert_eq!(e["client"]["ip"], "127.0.0.1");
    assert!(e["request_id"].is_string());
}

#[tokio::test]
async fn no_token_and_a_forged_token_are_unauthenticated() {
    let mut server = start(quota()).await;
    let missing = server.get("1", None).await.unwrap_err();
    assert_eq!(missing.code(), Code::Unauthenticated);
    assert_eq!(
        missing.metadata().get("www-authenticate").unwrap(),
        "Bearer"
    );

    // Signed by another authority's key: the signature does not verify.
    let forged = token(&authority(), "ann", "reader");
    let refused = server.get("1", Some(&forged)).await.unwrap_err();
    assert_eq!(refused.code(), Code::Unauthenticated);
    assert!(!refused.message().contains(&forged));

    let garbage = server.get("1", Some("not-a-jwt")).await.unwrap_err();
    assert_eq!(garbage.code(), Code::Unauthenticated);

    let calls = server.calls();
    assert_eq!(calls.len(), 3);
    for e in &calls {
        assert_eq!(e["outcome"], "failure");
        assert_eq!(e["metadata"]["grpc_status"], 16);
        assert_eq!(e["metadata"]["rejection"], "AuthRejection");
        assert_eq!(e["metadata"]["decision"], "deny");
        assert!(e.get("actor").is_none());
        // Named as the read it tried to be, though no handler ran.
        assert_eq!(e["type"], "data.read");
    }
}

#[tokio::test]
async fn a_caller_without_the_permission_is_permission_denied() {
    let mut server = start(quota()).await;
    let eve = token(&server.auth, "eve", "guest");
    let refused = server.get("1", Some(&eve)).await.unwrap_err();
    assert_eq!(refused.code(), Code::PermissionDenied);
    assert!(!refused.message().is_empty());

    let calls = server.calls();
    assert_eq!(calls.len(), 1);
    assert_eq!(calls[0]["outcome"], "failure");
    assert_eq!(calls[0]["actor"]["subject"], "eve");
    assert_eq!(calls[0]["metadata"]["grpc_status"], 7);
    assert_eq!(calls[0]["metadata"]["rejection"], "PermissionRejection");
}

#[tokio::test]
async fn the_per_user_quota_ends_in_resource_exhausted_for_that_user_only() {
    let mut server = start(Quota::per_minute(2)).await;
    let ann = token(&server.auth, "ann", "reader");
    server.get("1", Some(&ann)).await.unwrap();
    server.get("1", Some(&ann)).await.unwrap();
    let limited = server.get("1", Some(&ann)).await.unwrap_err();
    assert_eq!(limited.code(), Code::ResourceExhausted);
    let retry: u64 = limited
        .metadata()
        .get("retry-after")
        .unwrap()
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&retry), "retry-after {retry}");

    // Another user has a quota of their own.
    let bob = token(&server.auth, "bob", "reader");
    server.get("1", Some(&bob)).await.unwrap();

    let calls = server.calls();
    let outcomes: Vec<(&str, &str)> = calls
        .iter()
        .map(|e| {
            (
                e["actor"]["subject"].as_str().unwrap(),
                e["outcome"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        outcomes,
        [
            ("ann", "success"),
            ("ann", "success"),
            ("ann", "failure"),
            ("bob", "success")
        ]
    );
    assert_eq!(calls[2]["metadata"]["grpc_status"], 8);
    assert_eq!(calls[2]["metadata"]["rejection"], "RateLimitRejection");
}

#[tokio::test]
async fn a_handler_error_is_recorded_as_a_failure_with_its_status() {
    let mut server = start(quota()).await;
    let ann = token(&server.auth, "ann", "reader");
    let missing = server.get("404", Some(&ann)).await.unwrap_err();
    assert_eq!(missing.code(), Code::NotFound);

    let calls = server.calls();
    assert_eq!(calls.len(), 1);
    assert_eq!(calls[0]["outcome"], "failure");
    assert_eq!(calls[0]["actor"]["subject"], "ann");
    assert_eq!(calls[0]["metadata"]["grpc_status"], 5);
    assert!(calls[0]["metadata"].get("decision").is_none());
}
