//! A real HTTP/1.1 client (reqwest) speaking to the served app from a
//! loopback address of its own, checking what the contract promises of
//! every response: the security headers, a request id, and RFC 9457 problem
//! JSON for every rejection.

use reqwest::header::HeaderMap;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};

/// Every response of a run, by request id: what the audit trail must hold.
pub type Exchanges = Arc<Mutex<Vec<(String, StatusCode)>>>;

/// A client bound to one source address.
#[derive(Clone)]
pub struct Client {
    http: reqwest::Client,
    base: String,
    /// The address the server sees as the client's.
    pub ip: IpAddr,
    exchanges: Exchanges,
}

/// An answer: status, headers and the body as JSON (`Null` when empty or not JSON).
#[derive(Debug)]
pub struct Reply {
    /// Status.
    pub status: StatusCode,
    /// Headers.
    pub headers: HeaderMap,
    /// Body.
    pub body: Value,
}

/// An access and refresh token pair.
#[derive(Debug, Clone)]
pub struct Tokens {
    /// Bearer token for the API.
    pub access: String,
    /// Token for `POST /auth/refresh`.
    pub refresh: String,
}

impl Client {
    /// A client of the app at `server`, speaking from `ip`.
    pub fn new(server: SocketAddr, ip: IpAddr, exchanges: Exchanges) -> Self {
        let http = reqwest::Client::builder()
            .local_address(ip)
            .no_proxy()
            .redirect(reqwest::redirect::Policy::none())
            .http1_only()
            .build()
            .unwrap();
        Self {
            http,
            base: format!("http://{server}"),
            ip,
            exchanges,
        }
    }

    /// The origin a browser on the app's own pages would send.
    pub fn own_origin(&self) -> String {
        self.base.clone()
    }

    /// `method path` with an optional bearer token and JSON body.
    pub async fn send(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> Reply {
        self.send_with(method, path, token, body, &[]).await
    }

    /// [`Client::send`] with extra request headers.
    pub async fn send_with(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
        headers: &[(&str, &str)],
    ) -> Reply {
        let mut request = self.http.request(method, format!("{}{path}", self.base));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        if let Some(body) = body {
            request = request
                .header("content-type", "application/json")
                .body(body.to_string());
        }
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let response = request.send().await.unwrap();
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = response.bytes().await.unwrap();
        let reply = Reply {
            status,
            headers,
            body: serde_json::from_slice(&bytes).unwrap_or(Value::Null),
        };
        reply.assert_contract(path);
        self.exchanges
            .lock()
            .unwrap()
            .push((reply.header("x-request-id").to_owned(), status));
        reply
    }

    /// `GET path` with `token`.
    pub async fn get(&self, path: &str, token: &str) -> Reply {
        self.send(Method::GET, path, Some(token), None).await
    }

    /// `POST /auth/login` for the configured user `username`, with its demo
    /// password unless `password` says otherwise.
    pub async fn try_login(&self, username: &str, password: &str, totp: Option<&str>) -> Reply {
        let mut body = json!({"username": username, "password": password});
        if let Some(totp) = totp {
            body["totp"] = Value::from(totp);
        }
        self.send(Method::POST, "/auth/login", None, Some(body))
            .await
    }

    /// Logs `username` (`{name}-{run}`) in with the demo password of `name`;
    /// checks the token response the contract describes.
    pub async fn login(&self, username: &str) -> Tokens {
        let name = username.split('-').next().unwrap();
        let reply = self
            .try_login(username, &format!("{name}-S3cure-demo!"), None)
            .await;
        assert_eq!(
            reply.status,
            StatusCode::OK,
            "login {username}: {:?}",
            reply.body
        );
        reply.tokens()
    }
}

impl Reply {
    /// A header as text.
    pub fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .unwrap_or_else(|| panic!("no {name} header in {:?}", self.headers))
            .to_str()
            .unwrap()
    }

    /// A token response: the pair, `Bearer`, its lifetime, and never cached.
    pub fn tokens(&self) -> Tokens {
        assert_eq!(self.status, StatusCode::OK, "{:?}", self.body);
        assert_eq!(self.header("cache-control"), "no-store");
        assert_eq!(self.header("pragma"), "no-cache");
        assert_eq!(self.body["token_type"], "Bearer", "{:?}", self.body);
        assert_eq!(self.body["expires_in"], 900, "{:?}", self.body);
        let field = |name: &str| self.body[name].as_str().unwrap().to_owned();
        Tokens {
            access: field("access_token"),
            refresh: field("refresh_token"),
        }
    }

    /// A refusal with `status`: problem JSON saying so, and `error` when given.
    pub fn assert_refused(&self, status: StatusCode, error: Option<&str>) {
        assert_eq!(self.status, status, "{:?}", self.body);
        if let Some(error) = error {
            assert_eq!(self.body["error"], error, "{:?}", self.body);
        }
    }

    /// `429` or `503` with a `Retry-After` of at least a second.
    pub fn assert_retry_after(&self, status: StatusCode) {
        self.assert_refused(status, None);
        let retry: u64 = self.header("retry-after").parse().unwrap();
        assert!(retry >= 1, "Retry-After {retry}");
    }

    /// What every response carries: the API's security headers and a
    /// request id; and every rejection is RFC 9457 problem JSON.
    fn assert_contract(&self, path: &str) {
        let expect = [
            (
                "content-security-policy",
                "default-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
            ),
            ("x-content-type-options", "nosniff"),
            ("x-frame-options", "DENY"),
            ("referrer-policy", "no-referrer"),
            ("cross-origin-opener-policy", "same-origin"),
            ("cross-origin-resource-policy", "same-origin"),
        ];
        for (name, value) in expect {
            assert_eq!(
                self.headers.get(name).map(|v| v.to_str().unwrap()),
                Some(value),
                "{name} on {path} ({})",
                self.status
            );
        }
        for name in [
            "strict-transport-security",
            "permissions-policy",
            "x-request-id",
        ] {
            assert!(self.headers.contains_key(name), "no {name} on {path}");
        }
        assert!(
            !self.headers.contains_key("server"),
            "server header on {path}"
        );
        if self.status.is_client_error() || self.status.is_server_error() {
            assert_eq!(
                self.header("content-type"),
                "application/problem+json",
                "{path} {}",
                self.status
            );
            assert_eq!(
                self.body["status"],
                self.status.as_u16(),
                "{path}: {:?}",
                self.body
            );
            assert!(self.body["title"].is_string(), "{path}: {:?}", self.body);
        }
    }
}
