//! What the browser tests share: the WebDriver client and the servers.

pub mod servers;
// Each test binary drives Chromium with part of the client.
#[allow(dead_code)]
pub mod webdriver;
