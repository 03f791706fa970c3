//! End to end (issue 22): secure-api served on an ephemeral port exactly as
//! `main` serves it, and driven over real sockets by an HTTP client through
//! every row of the contract's routes table and the rules under it — once
//! with memory stores, once with Redis and PostgreSQL.
//!
//! Every reply is checked for what every response must carry (security
//! headers, a request id, problem JSON for rejections: see
//! `e2e_support::client`); at the end the audit trail must hold exactly one
//! event per request, with the status the client saw.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod e2e_steps;
mod e2e_support;

use e2e_steps::Walk;
use e2e_support::Stores;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_contract_row_with_memory_stores() {
    Walk::start(Stores::Memory).await.run().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_contract_row_with_redis_and_postgresql() {
    const TEST: &str = "every_contract_row_with_redis_and_postgresql";
    let Some(redis) = rampart_test_support::service_url("REDIS_URL", TEST) else {
        return;
    };
    let Some(database) = rampart_test_support::service_url("DATABASE_URL", TEST) else {
        return;
    };
    Walk::start(Stores::Services { redis, database })
        .await
        .run()
        .await;
}
