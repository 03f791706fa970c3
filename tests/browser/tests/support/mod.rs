//! What the browser tests share: the WebDriver client and the servers.

pub mod servers;
pub mod webdriver;
