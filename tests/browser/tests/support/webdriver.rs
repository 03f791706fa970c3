//! A minimal W3C WebDriver client for chromedriver.
//!
//! Written here rather than taken from fantoccini because the handful of
//! commands these tests send (new session, navigate, execute, switch frame,
//! virtual WebAuthn authenticators, delete session) are plain JSON over HTTP,
//! while fantoccini brings the `webdriver` crate (MPL-2.0, which the licence
//! policy admits only crate by crate) and its Unicode segmentation data into
//! every build of the workspace.

use bytes::Bytes;
use http::{Method, Request};
use http_body_util::{BodyExt, Full};
use hyper_util::rt::TokioIo;
use serde_json::{Value, json};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;
use tokio::net::TcpStream;
use tokio::process::{Child, Command};

/// The longest any single WebDriver command may take.
const COMMAND_TIMEOUT: Duration = Duration::from_secs(30);

/// A running chromedriver with one headless Chromium session.
pub struct Browser {
    driver: Child,
    addr: SocketAddr,
    session: String,
    profile: PathBuf,
}

impl Browser {
    /// Starts chromedriver on a free loopback port and opens a session of
    /// headless Chromium with a fresh profile.
    pub async fn start(chromium: &Path, chromedriver: &Path) -> Result<Self, String> {
        let port = free_port()?;
        let addr = SocketAddr::from(([127, 0, 0, 1], port));
        let driver = Command::new(chromedriver)
            .arg(format!("--port={port}"))
            .arg("--allowed-ips=127.0.0.1")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .map_err(|e| format!("cannot start {}: {e}", chromedriver.display()))?;
        let profile =
            std::env::temp_dir().join(format!("rampart-chromium-{}-{port}", std::process::id()));
        let mut browser = Self {
            driver,
            addr,
            session: String::new(),
            profile,
        };
        browser.wait_until_ready().await?;
        let capabilities = json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "pageLoadStrategy": "normal",
            "timeouts": {"pageLoad": 15_000, "script": 15_000, "implicit": 0},
            "goog:chromeOptions": {
                "binary": chromium,
                "args": [
                    "--headless",
                    "--no-sandbox",
                    "--disable-gpu",
                    "--disable-quic",
                    "--no-first-run",
                    "--disable-background-networking",
                    "--disable-component-update",
                    "--disable-sync",
                    "--disable-dev-shm-usage",
                    format!("--user-data-dir={}", browser.profile.display()),
                ],
            },
        }}});
        let reply = browser
            .command(Method::POST, "/session", Some(capabilities))
            .await?;
        browser.session = reply["sessionId"]
            .as_str()
            .ok_or_else(|| format!("chromedriver opened no session: {reply}"))?
            .to_owned();
        Ok(browser)
    }

    async fn wait_until_ready(&self) -> Result<(), String> {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
        loop {
            if let Ok(status) = self.command(Method::GET, "/status", None).await
                && status["ready"] == Value::Bool(true)
            {
                return Ok(());
            }
            if tokio::time::Instant::now() > deadline {
                return Err("chromedriver did not become ready within 15 s".to_owned());
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Loads `url` in the current tab and waits for its `load` event.
    pub async fn goto(&self, url: &str) -> Result<(), String> {
        self.session_command(Method::POST, "url", json!({ "url": url }))
            .await
            .map(drop)
    }

    /// Runs `script` (a function body) in the current frame and answers what it returns.
    pub async fn execute(&self, script: &str) -> Result<Value, String> {
        self.session_command(
            Method::POST,
            "execute/sync",
            json!({ "script": script, "args": [] }),
        )
        .await
    }

    /// Runs `script` in the current frame; it answers by calling
    /// `arguments[arguments.length - 1]` with its result.
    pub async fn execute_async(&self, script: &str) -> Result<Value, String> {
        self.session_command(
            Method::POST,
            "execute/async",
            json!({ "script": script, "args": [] }),
        )
        .await
    }

    /// Evaluates `script` until it returns something other than `null`, or
    /// fails after `within`.
    pub async fn wait_for(&self, script: &str, within: Duration) -> Result<Value, String> {
        let deadline = tokio::time::Instant::now() + within;
        loop {
            // A navigation in progress can make a single evaluation fail; retry it.
            if let Ok(value) = self.execute(script).await
                && !value.is_null()
            {
                return Ok(value);
            }
            if tokio::time::Instant::now() > deadline {
                return Err(format!("`{script}` stayed null for {within:?}"));
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Makes the `<iframe>` matching `css` the current frame.
    pub async fn enter_frame(&self, css: &str) -> Result<(), String> {
        let found = self
            .session_command(
                Method::POST,
                "element",
                json!({ "using": "css selector", "value": css }),
            )
            .await?;
        self.session_command(Method::POST, "frame", json!({ "id": found }))
            .await
            .map(drop)
    }

    /// Makes the top-level document the current frame again.
    pub async fn leave_frames(&self) -> Result<(), String> {
        self.session_command(Method::POST, "frame", json!({ "id": null }))
            .await
            .map(drop)
    }

    /// Adds a virtual WebAuthn authenticator (W3C WebAuthn §11.3) with the
    /// given options; answers its id. While one exists, the page's WebAuthn
    /// calls go to virtual authenticators instead of real devices.
    pub async fn add_virtual_authenticator(&self, options: Value) -> Result<String, String> {
        let id = self
            .session_command(Method::POST, "webauthn/authenticator", options)
            .await?;
        id.as_str()
            .map(str::to_owned)
            .ok_or_else(|| format!("no authenticator id in {id}"))
    }

    /// Removes a virtual authenticator with its credentials.
    pub async fn remove_virtual_authenticator(&self, id: &str) -> Result<(), String> {
        let path = format!("/session/{}/webauthn/authenticator/{id}", self.session);
        self.command(Method::DELETE, &path, None).await.map(drop)
    }

    /// The credentials a virtual authenticator holds (id, RP id, sign count...).
    pub async fn virtual_credentials(&self, id: &str) -> Result<Vec<Value>, String> {
        let path = format!(
            "/session/{}/webauthn/authenticator/{id}/credentials",
            self.session
        );
        let list = self.command(Method::GET, &path, None).await?;
        list.as_array()
            .cloned()
            .ok_or_else(|| format!("not a credential list: {list}"))
    }

    /// Ends the session, which closes Chromium, then stops chromedriver.
    pub async fn close(mut self) {
        let path = format!("/session/{}", self.session);
        // Closing is best effort: chromedriver is killed below either way.
        let _ = self.command(Method::DELETE, &path, None).await;
        let _ = self.driver.kill().await;
        let _ = std::fs::remove_dir_all(&self.profile);
    }

    async fn session_command(
        &self,
        method: Method,
        command: &str,
        body: Value,
    ) -> Result<Value, String> {
        let path = format!("/session/{}/{command}", self.session);
        let reply = self.command(method, &path, Some(body)).await?;
        Ok(reply)
    }

    /// Sends one command and answers its `value`, or the WebDriver error.
    async fn command(
        &self,
        method: Method,
        path: &str,
        body: Option<Value>,
    ) -> Result<Value, String> {
        let call = async {
            let stream = TcpStream::connect(self.addr)
                .await
                .map_err(|e| format!("cannot reach chromedriver: {e}"))?;
            let (mut sender, connection) =
                hyper::client::conn::http1::handshake(TokioIo::new(stream))
                    .await
                    .map_err(|e| format!("chromedriver handshake: {e}"))?;
            tokio::spawn(connection);
            let body = body.map_or_else(Bytes::new, |b| Bytes::from(b.to_string()));
            let request = Request::builder()
                .method(method.clone())
                .uri(path)
                .header("host", self.addr.to_string())
                .header("content-type", "application/json")
                .body(Full::new(body))
                .map_err(|e| e.to_string())?;
            let response = sender
                .send_request(request)
                .await
                .map_err(|e| format!("{method} {path}: {e}"))?;
            let status = response.status();
            let bytes = response
                .into_body()
                .collect()
                .await
                .map_err(|e| format!("{method} {path}: {e}"))?
                .to_bytes();
            let reply: Value = serde_json::from_slice(&bytes)
                .map_err(|e| format!("{method} {path}: not JSON ({e})"))?;
            let value = reply.get("value").cloned().unwrap_or(Value::Null);
            if status.is_success() {
                // New Session answers `{value: {sessionId, capabilities}}`.
                Ok(value)
            } else {
                Err(format!(
                    "{method} {path}: {} {}: {}",
                    status,
                    value["error"].as_str().unwrap_or("error"),
                    value["message"].as_str().unwrap_or_default()
                ))
            }
        };
        tokio::time::timeout(COMMAND_TIMEOUT, call)
            .await
            .map_err(|_| format!("{method} {path}: no answer within {COMMAND_TIMEOUT:?}"))?
    }
}

/// A loopback port free right now, for chromedriver to listen on.
fn free_port() -> Result<u16, String> {
    std::net::TcpListener::bind(("127.0.0.1", 0))
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .map_err(|e| format!("no free loopback port: {e}"))
}
