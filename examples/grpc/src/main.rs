//! Serves the `Items` service on 127.0.0.1:50051 and prints a token to try.
use grpc_example::items::Catalog;
use grpc_example::proto::Item;
use grpc_example::{POLICY, Security, default_quota, serve};
use rampart::audit::{AuditLog, FileSink, FileSinkOptions, SigningKey};
use rampart::auth::{JwtConfig, TokenRequest};
use rampart::rbac::Authorizer;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let auth = JwtConfig {
        issuer: Some("grpc-example".into()),
        ..JwtConfig::default()
    }
    .build()?;
    let token = auth
        .issuer()
        .issue_access(&TokenRequest::new("ann").roles(["reader"]))?;
    // A fresh checkpoint key per run keeps the example self-contained; a real
    // service loads its key, so that its trail can be verified later.
    let (key, _) = SigningKey::generate()?;
    let audit = AuditLog::builder(
        FileSink::new("grpc-audit.jsonl", FileSinkOptions::default()),
        key,
    )
    .build()?;
    let security = Security::new(
        auth.verifier().clone(),
        Authorizer::from_toml(POLICY)?,
        audit.clone(),
        default_quota(),
    )?;
    let catalog = Catalog::new([Item {
        id: "1".into(),
        name: "lamp".into(),
        owner: "ann".into(),
    }]);
    println!(
        "grpcurl -plaintext -import-path examples/grpc/proto -proto items.proto -H 'authorization: Bearer {}' \
         -d '{{\"id\":\"1\"}}' 127.0.0.1:50051 rampart.example.v1.Items/GetItem",
        token.token
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:50051").await?;
    serve(listener, security, catalog, async {
        let _ = tokio::signal::ctrl_c().await;
    })
    .await?;
    audit.shutdown()?;
    Ok(())
}
