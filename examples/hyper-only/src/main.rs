//! Serves [`hyper_only::app`] on 127.0.0.1:3000 and prints a token to try.
use hyper_only::{POLICY, app, serve};
use rampart::auth::{JwtConfig, TokenRequest};
use rampart::core::TrustedProxies;
use rampart::rbac::Authorizer;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let auth = JwtConfig {
        issuer: Some("hyper-only".into()),
        ..JwtConfig::default()
    }
    .build()?;
    let token = auth
        .issuer()
        .issue_access(&TokenRequest::new("ann").roles(["reader"]))?;
    println!(
        "curl -i -H 'authorization: Bearer {}' http://127.0.0.1:3000/items",
        token.token
    );
    let app = app(
        &auth,
        Authorizer::from_toml(POLICY)?,
        TrustedProxies::none(),
    )?;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:3000").await?;
    serve(listener, app).await?;
    Ok(())
}
