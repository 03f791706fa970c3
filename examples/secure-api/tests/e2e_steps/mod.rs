//! The walk through the contract, one module per group of rows; each step
//! speaks from its own client address (see `e2e_support::run`).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod access;
mod audit;
mod auth;
mod data;
mod limits;
mod mfa;
mod public;

use crate::e2e_support::client::Exchanges;
use crate::e2e_support::{Client, Run, Served, Stores};
use std::time::Instant;

/// A served app and what the walk has seen of it.
pub struct Walk {
    /// The app.
    pub served: Served,
    /// This walk's names.
    pub run: Run,
    exchanges: Exchanges,
}

impl Walk {
    /// Starts the app with `stores` under fresh names.
    pub async fn start(stores: Stores) -> Self {
        let run = Run::new();
        let served = Served::start(&stores, &run).await;
        Self {
            served,
            run,
            exchanges: Exchanges::default(),
        }
    }

    /// A client speaking from an address of its own.
    pub fn client(&self) -> Client {
        Client::new(self.served.addr, self.run.address(), self.exchanges.clone())
    }

    /// The configured name of demo user `name`.
    pub fn user(&self, name: &str) -> String {
        self.run.user(name)
    }

    /// Every step, then the audit trail checked against every exchange.
    pub async fn run(self) {
        let started = Instant::now();
        public::routes(&self).await;
        public::cross_site_requests(&self).await;
        auth::login(&self).await;
        auth::refresh_and_reuse(&self).await;
        auth::logout(&self).await;
        mfa::enroll_confirm_and_login(&self).await;
        access::each_permission(&self).await;
        access::tenant_isolation(&self).await;
        data::input_guard(&self).await;
        data::profile(&self).await;
        limits::login_lockout(&self).await;
        limits::address_quota(&self).await;
        limits::user_quota(&self).await;
        limits::hashing_bound(&self).await;
        auth::store_outage(&self).await;
        audit::verify(&self).await;
        let Self {
            served, exchanges, ..
        } = self;
        let exchanges = std::mem::take(&mut *exchanges.lock().unwrap());
        let table = served.table.is_some();
        let events = served.shut_down().await;
        audit::one_event_per_request(&events, &exchanges);
        println!(
            "walk ({}): {} requests in {:?}",
            if table {
                "Redis + PostgreSQL"
            } else {
                "memory"
            },
            exchanges.len(),
            started.elapsed()
        );
    }
}
