//! Fetching a provider's documents over HTTPS: the JWKS itself, and OpenID
//! Connect discovery (`/.well-known/openid-configuration`).

use super::{JwksFetcher, RemoteJwks};
use crate::error::{ConfigError, StoreError};
use crate::revocation::StoreFuture;
use jsonwebtoken::jwk::{Jwk, JwkSet};
use reqwest::{Client, Url};
use serde::Deserialize;
use serde_json::Value;
use std::net::IpAddr;
use std::time::Duration;

/// Larger answers are refused unread: a JWKS or discovery document is a few
/// kilobytes, and a provider (or whoever answers in its name) must not be
/// able to make every instance buffer megabytes.
const MAX_DOCUMENT_BYTES: usize = 256 * 1024;
const TIMEOUT: Duration = Duration::from_secs(10);
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// Why a provider's URL or discovery document was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DiscoveryError {
    /// Not a URL, or not `https` (plain `http` is accepted for loopback
    /// hosts only: keys fetched in clear text could be anyone's).
    #[error("invalid provider URL `{url}`: {reason}")]
    InvalidUrl {
        /// The URL as given.
        url: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// The document could not be fetched or parsed.
    #[error("fetching {url} failed: {reason}")]
    Fetch {
        /// The document's URL.
        url: String,
        /// What went wrong.
        reason: String,
    },
    /// The discovery document names another issuer than the one asked for
    /// (OpenID Connect Discovery 1.0 §4.3 requires them to be identical).
    #[error("the provider's metadata names issuer `{found}`, not `{expected}`")]
    IssuerMismatch {
        /// The issuer configured.
        expected: String,
        /// The issuer the document names.
        found: String,
    },
    /// The HTTP client could not be built (no TLS roots, say).
    #[error("HTTP client: {0}")]
    Client(String),
    /// The verifier settings are invalid (no audience, say).
    #[error(transparent)]
    Config(#[from] ConfigError),
}

/// Parses and checks a provider URL: `https`, or `http` on a loopback host
/// (a provider on the same machine, as in development and tests).
fn provider_url(url: &str) -> Result<Url, DiscoveryError> {
    let invalid = |reason| DiscoveryError::InvalidUrl {
        url: url.to_owned(),
        reason,
    };
    let parsed = Url::parse(url).map_err(|_| invalid("not an absolute URL"))?;
    if !parsed.username().is_empty() || parsed.password().is_some() {
        return Err(invalid(
            "credentials in the URL would be sent to every redirect target",
        ));
    }
    if parsed.fragment().is_some() {
        return Err(invalid("a fragment has no meaning here"));
    }
    match parsed.scheme() {
        "https" => Ok(parsed),
        "http" if is_loopback(&parsed) => Ok(parsed),
        "http" => Err(invalid(
            "must be https (http is accepted for loopback hosts only)",
        )),
        _ => Err(invalid("must be https")),
    }
}

fn is_loopback(url: &Url) -> bool {
    match url.host_str() {
        Some("localhost") => true,
        Some(host) => host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse::<IpAddr>()
            .is_ok_and(|ip| ip.is_loopback()),
        None => false,
    }
}

fn client_for(url: &Url) -> Result<Client, DiscoveryError> {
    Client::builder()
        .timeout(TIMEOUT)
        .connect_timeout(CONNECT_TIMEOUT)
        // An https document may not be redirected to http.
        .https_only(url.scheme() == "https")
        .redirect(reqwest::redirect::Policy::limited(3))
        .user_agent(concat!("rampart-auth/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| DiscoveryError::Client(e.to_string()))
}

/// GETs `url` and returns its body, at most [`MAX_DOCUMENT_BYTES`].
async fn get(client: &Client, url: &Url) -> Result<Vec<u8>, String> {
    let mut response = client
        .get(url.clone())
        .header(reqwest::header::ACCEPT, "application/json")
        .send()
        .await
        .map_err(|e| e.without_url().to_string())?;
    if !response.status().is_success() {
        return Err(format!("HTTP status {}", response.status()));
    }
    if response
        .content_length()
        .is_some_and(|n| n > MAX_DOCUMENT_BYTES as u64)
    {
        return Err(format!("document larger than {MAX_DOCUMENT_BYTES} bytes"));
    }
    let mut body = Vec::new();
    while let Some(chunk) = response
        .chunk()
        .await
        .map_err(|e| e.without_url().to_string())?
    {
        if body.len() + chunk.len() > MAX_DOCUMENT_BYTES {
            return Err(format!("document larger than {MAX_DOCUMENT_BYTES} bytes"));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// Reads a JWKS document key by key: a key with a malformed member (a
/// numeric `kid`, say) is skipped like any other unusable key, instead of
/// taking the provider's good keys down with it.
fn parse_jwks(body: &[u8]) -> Result<JwkSet, String> {
    #[derive(Deserialize)]
    struct Document {
        keys: Vec<Value>,
    }
    let document: Document =
        serde_json::from_slice(body).map_err(|_| "not a JWKS document".to_owned())?;
    let keys = document
        .keys
        .into_iter()
        .filter_map(|key| serde_json::from_value::<Jwk>(key).ok())
        .collect();
    Ok(JwkSet { keys })
}

/// Fetches a JWKS document from one configured URL.
struct HttpJwks {
    client: Client,
    url: Url,
}

impl JwksFetcher for HttpJwks {
    fn fetch(&self) -> StoreFuture<'_, JwkSet> {
        Box::pin(async move {
            let body = get(&self.client, &self.url)
                .await
                .map_err(|e| StoreError(format!("fetching {}: {e}", self.url)))?;
            parse_jwks(&body).map_err(|e| StoreError(format!("{}: {e}", self.url)))
        })
    }
}

/// The part of the provider metadata rampart reads.
#[derive(Deserialize)]
struct ProviderMetadata {
    issuer: String,
    jwks_uri: String,
}

#[cfg_attr(docsrs, doc(cfg(feature = "oidc")))]
impl RemoteJwks {
    /// Keys fetched from `jwks_url` over HTTPS (10 s timeout, at most three
    /// redirects, never to plain `http`, documents over 256 KiB refused).
    /// Plain `http` is accepted for loopback hosts only. Nothing is fetched
    /// yet: call [`refresh`](Self::refresh) at start-up, or let the first
    /// verification load the keys.
    ///
    /// ```
    /// use rampart::auth::remote::RemoteJwks;
    ///
    /// let remote = RemoteJwks::from_url("https://login.example.com/.well-known/jwks.json")?;
    /// assert!(RemoteJwks::from_url("http://login.example.com/jwks.json").is_err());
    /// # let _ = remote;
    /// # Ok::<(), rampart::auth::remote::DiscoveryError>(())
    /// ```
    pub fn from_url(jwks_url: &str) -> Result<Self, DiscoveryError> {
        let url = provider_url(jwks_url)?;
        let client = client_for(&url)?;
        Ok(Self::new(HttpJwks { client, url }))
    }

    /// OpenID Connect discovery: reads
    /// `{issuer}/.well-known/openid-configuration`, checks that it names
    /// exactly `issuer` (OpenID Connect Discovery 1.0 §4.3: a document naming
    /// another issuer is refused), and fetches keys from its `jwks_uri`,
    /// which must be `https` too (loopback `http` only for a loopback
    /// issuer). The issuer is remembered, so
    /// [`JwtVerifier::external`](crate::JwtVerifier::external) requires it.
    ///
    /// Give the issuer exactly as the provider writes it in `iss`, trailing
    /// slash included or not (Auth0 writes one, Okta and Entra ID do not).
    pub async fn discover(issuer: &str) -> Result<Self, DiscoveryError> {
        let issuer_url = provider_url(issuer)?;
        let metadata_url = provider_url(&format!(
            "{}/.well-known/openid-configuration",
            issuer.trim_end_matches('/')
        ))?;
        let client = client_for(&issuer_url)?;
        let fetch_failed = |reason: String| DiscoveryError::Fetch {
            url: metadata_url.to_string(),
            reason,
        };
        let body = get(&client, &metadata_url).await.map_err(fetch_failed)?;
        let metadata: ProviderMetadata = serde_json::from_slice(&body).map_err(|_| {
            fetch_failed("not a provider metadata document (`issuer` and `jwks_uri`)".into())
        })?;
        if metadata.issuer != issuer {
            return Err(DiscoveryError::IssuerMismatch {
                expected: issuer.to_owned(),
                found: metadata.issuer,
            });
        }
        let jwks_url = provider_url(&metadata.jwks_uri)?;
        if jwks_url.scheme() != issuer_url.scheme() {
            return Err(DiscoveryError::InvalidUrl {
                url: metadata.jwks_uri,
                reason: "the key set must be fetched over https like the metadata",
            });
        }
        let client = client_for(&jwks_url)?;
        Ok(Self::new(HttpJwks {
            client,
            url: jwks_url,
        })
        .issuer(issuer))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn provider_urls_must_be_https_except_on_loopback() {
        for ok in [
            "https://login.example.com/",
            "http://127.0.0.1:8080/jwks",
            "http://localhost/jwks",
            "http://[::1]:9000/jwks",
        ] {
            assert!(provider_url(ok).is_ok(), "{ok}");
        }
        for bad in [
            "http://login.example.com/jwks",
            "http://127.0.0.1.example.com/jwks",
            "ftp://login.example.com/jwks",
            "file:///etc/passwd",
            "https://user:pw@login.example.com/",
            "https://user@login.example.com/",
            "https://:pw@login.example.com/",
            "https://login.example.com/#frag",
            "/relative/jwks",
            "",
        ] {
            assert!(
                matches!(provider_url(bad), Err(DiscoveryError::InvalidUrl { .. })),
                "{bad}"
            );
        }
    }

    #[test]
    fn unparsable_keys_are_skipped_not_fatal() {
        let body = br#"{"keys":[
            {"kty":"EC","crv":"P-256","x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU","y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0","kid":"a","alg":"ES256","use":"sig"},
            {"kty":"RSA","kid":5,"n":"AQAB","e":"AQAB"}
        ]}"#;
        let set = parse_jwks(body).unwrap();
        assert_eq!(set.keys.len(), 1);
        assert!(parse_jwks(b"{}").is_err());
        assert!(parse_jwks(b"[]").is_err());
        assert!(parse_jwks(b"not json").is_err());
    }
}
