//! gRPC and REST on one port behind one stack: the same refusal reaches a
//! tonic client as a gRPC status and a REST client as problem JSON.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use grpc_example::client::ItemsClient;
use grpc_example::items::Catalog;
use grpc_example::proto::{GetItemRequest, Item};
use grpc_example::{POLICY, Security, default_quota, serve_mixed};
use rampart::audit::{AuditLog, MemorySink, SigningKey};
use rampart::auth::{JwtAuthority, JwtConfig, TokenRequest};
use rampart::rbac::Authorizer;
use serde_json::Value;
use std::net::SocketAddr;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tonic::Code;

struct Mixed {
    addr: SocketAddr,
    auth: JwtAuthority,
    log: AuditLog,
    sink: MemorySink,
    _stop: tokio::sync::oneshot::Sender<()>,
}

async fn start() -> Mixed {
    let auth = JwtConfig {
        issuer: Some("grpc-example".into()),
        ..JwtConfig::default()
    }
    .build()
    .unwrap();
    let sink = MemorySink::new();
    let (key, _) = SigningKey::generate().unwrap();
    let log = AuditLog::builder(sink.clone(), key).build().unwrap();
    let security = Security::new(
        auth.verifier().clone(),
        Authorizer::from_toml(POLICY).unwrap(),
        log.clone(),
        default_quota(),
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
    tokio::spawn(serve_mixed(listener, security, catalog, async {
        let _ = stopped.await;
    }));
    Mixed {
        addr,
        auth,
        log,
        sink,
        _stop: stop,
    }
}

impl Mixed {
    fn token(&self, subject: &str, role: &str) -> String {
        let request = TokenRequest::new(subject).roles([role]);
        self.auth.issuer().issue_access(&request).unwrap().token
    }

    async fn grpc(&self, bearer: Option<&str>) -> Result<Item, tonic::Status> {
        let mut client = ItemsClient::connect(format!("http://{}", self.addr))
            .await
            .unwrap();
        let mut request = tonic::Request::new(GetItemRequest { id: "1".into() });
        if let Some(token) = bearer {
            let value = format!("Bearer {token}").parse().unwrap();
            request.metadata_mut().insert("authorization", value);
        }
        client
            .get_item(request)
            .await
            .map(tonic::Response::into_inner)
    }

    /// `GET /items/1` over HTTP/1.1: the raw response, head and body.
    async fn rest(&self, bearer: Option<&str>) -> String {
        let mut stream = tokio::net::TcpStream::connect(self.addr).await.unwrap();
        let auth = bearer
            .map(|t| format!("authorization: Bearer {t}\r\n"))
            .unwrap_or_default();
        let request =
            format!("GET /items/1 HTTP/1.1\r\nhost: localhost\r\n{auth}connection: close\r\n\r\n");
        stream.write_all(request.as_bytes()).await.unwrap();
        let mut response = String::new();
        stream.read_to_string(&mut response).await.unwrap();
        response.to_ascii_lowercase()
    }

    fn outcomes(&self) -> Vec<(String, Value)> {
        self.log.flush().unwrap();
        self.sink
            .lines()
            .iter()
            .map(|l| serde_json::from_str::<Value>(l).unwrap())
            .filter(|v| v.get("checkpoint").is_none())
            .map(|v| v["event"].clone())
            .filter(|e| e.get("http").is_some())
            .map(|e| {
                let outcome = e["outcome"].as_str().unwrap().to_owned();
                (outcome, e["metadata"]["grpc_status"].clone())
            })
            .collect()
    }
}

#[tokio::test]
async fn grpc_callers_get_grpc_statuses() {
    let server = start().await;
    assert_eq!(
        server.grpc(None).await.unwrap_err().code(),
        Code::Unauthenticated
    );
    let eve = server.token("eve", "guest");
    assert_eq!(
        server.grpc(Some(&eve)).await.unwrap_err().code(),
        Code::PermissionDenied
    );
    let ann = server.token("ann", "reader");
    assert_eq!(server.grpc(Some(&ann)).await.unwrap().name, "lamp");
    assert_eq!(
        server.outcomes(),
        [
            ("failure".to_owned(), Value::from(16)),
            ("failure".to_owned(), Value::from(7)),
            ("success".to_owned(), Value::Null),
        ]
    );
}

#[tokio::test]
async fn rest_callers_get_problem_json_from_the_same_guards() {
    let server = start().await;
    let anonymous = server.rest(None).await;
    assert!(anonymous.starts_with("http/1.1 401"), "{anonymous}");
    assert!(anonymous.contains("content-type: application/problem+json"));
    assert!(!anonymous.contains("grpc-status"));

    let eve = server.token("eve", "guest");
    let stranger = server.rest(Some(&eve)).await;
    assert!(stranger.starts_with("http/1.1 403"), "{stranger}");

    let ann = server.token("ann", "reader");
    let reader = server.rest(Some(&ann)).await;
    assert!(reader.starts_with("http/1.1 200"), "{reader}");
    assert!(reader.ends_with("lamp for ann"), "{reader}");
}
