//! The shared Redis connection on a single node and on a cluster: the mode
//! it names, routing by key, one-slot pipelines and scripts, timeouts.
#![cfg(feature = "redis")]
#![allow(clippy::unwrap_used, clippy::expect_used)]

use rampart_core::redis::{RedisConfig, RedisConnection, slot};
use std::time::{Duration, Instant};

fn unique(test: &str) -> String {
    format!(
        "rampart-test:core:{test}:{}:{}",
        std::process::id(),
        Instant::now().elapsed().as_nanos()
    )
}

#[tokio::test]
async fn each_mode_answers_commands_routed_by_key() {
    let urls = rampart_test_support::redis_urls("each_mode_answers_commands_routed_by_key");
    for url in urls {
        let mut conn = RedisConnection::connect(&url).await.unwrap();
        let nodes = url.split(',').count();
        if nodes == 1 {
            assert_eq!(conn.mode(), "single node");
            assert!(!conn.is_cluster());
        } else {
            assert_eq!(conn.mode(), format!("cluster ({nodes} nodes)"));
            assert!(conn.is_cluster());
        }
        // Keys without a common tag land on every node of a cluster.
        let p = unique("route");
        let keys: Vec<String> = (0..32).map(|i| format!("{p}:{i}")).collect();
        for (i, k) in keys.iter().enumerate() {
            redis::cmd("SET")
                .arg(k)
                .arg(i)
                .arg("EX")
                .arg(60)
                .query_async::<()>(&mut conn)
                .await
                .unwrap();
        }
        for (i, k) in keys.iter().enumerate() {
            let v: usize = redis::cmd("GET")
                .arg(k)
                .query_async(&mut conn)
                .await
                .unwrap();
            assert_eq!(v, i, "{url}: {k}");
        }
        // A clone shares the connection and sees the same data.
        let mut other = conn.clone();
        let v: usize = redis::cmd("GET")
            .arg(&keys[5])
            .query_async(&mut other)
            .await
            .unwrap();
        assert_eq!(v, 5);
    }
}

#[tokio::test]
async fn one_slot_pipelines_and_scripts_run_and_cross_slot_ones_are_refused() {
    let urls = rampart_test_support::redis_urls("one_slot_pipelines_and_scripts");
    for url in urls {
        let mut conn = RedisConnection::connect(&url).await.unwrap();
        let p = unique("slot");
        let (a, b) = (format!("{p}:{{user-1}}:a"), format!("{p}:{{user-1}}:b"));
        assert_eq!(slot(&a), slot(&b));
        let (x, y): (i64, i64) = redis::pipe()
            .atomic()
            .cmd("INCR")
            .arg(&a)
            .cmd("INCRBY")
            .arg(&b)
            .arg(5)
            .query_async(&mut conn)
            .await
            .unwrap();
        assert_eq!((x, y), (1, 5));
        let sum: i64 =
            redis::Script::new("return redis.call('GET', KEYS[1]) + redis.call('GET', KEYS[2])")
                .key(&a)
                .key(&b)
                .invoke_async(&mut conn)
                .await
                .unwrap();
        assert_eq!(sum, 6);
        // Two tags on two slots: a cluster refuses the script (CROSSSLOT),
        // which is why every store keeps a script's keys under one tag.
        let (c, d) = (format!("{p}:{{user-1}}:c"), format!("{p}:{{user-2}}:c"));
        assert_ne!(slot(&c), slot(&d));
        let crossed: Result<i64, _> =
            redis::Script::new("return redis.call('EXISTS', KEYS[1], KEYS[2])")
                .key(&c)
                .key(&d)
                .invoke_async(&mut conn)
                .await;
        if conn.is_cluster() {
            assert!(crossed.is_err(), "{url}: a cross-slot script ran");
        } else {
            assert_eq!(crossed.unwrap(), 0);
        }
        redis::cmd("DEL")
            .arg(&a)
            .arg(&b)
            .query_async::<()>(&mut conn)
            .await
            .unwrap();
    }
}

#[tokio::test]
async fn nothing_listening_is_an_error_within_the_timeout() {
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    for urls in [
        format!("redis://127.0.0.1:{port}"),
        format!(
            "redis://127.0.0.1:{port},redis://127.0.0.1:{}",
            port.wrapping_add(1).max(1)
        ),
    ] {
        let started = Instant::now();
        let result = RedisConfig::parse(&urls)
            .unwrap()
            .timeout(Duration::from_millis(200))
            .connect()
            .await;
        assert!(result.is_err(), "{urls}: connected to nothing");
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "{urls}: took {:?}",
            started.elapsed()
        );
    }
    let err = RedisConnection::connect("redis://a:1,").await.unwrap_err();
    assert!(err.to_string().contains("empty"), "{err}");
}

/// A single node's connection reports the database its URL selects, which
/// is the one its commands reach; a cluster has only database 0. The debug
/// form names the mode and nothing of the address (which may hold a password).
#[tokio::test]
async fn the_selected_database_is_reported_and_debug_shows_only_the_mode() {
    use redis::IntoConnectionInfo;
    use redis::aio::ConnectionLike;

    let urls = rampart_test_support::redis_urls("the_selected_database_is_reported");
    for url in urls {
        let mut conn = RedisConnection::connect(&url).await.unwrap();
        assert_eq!(
            format!("{conn:?}"),
            format!("RedisConnection {{ mode: {:?}, .. }}", conn.mode())
        );
        if conn.is_cluster() {
            assert_eq!(conn.get_db(), 0, "{url}");
            continue;
        }
        let info = url.as_str().into_connection_info().unwrap();
        let default_db = info.redis_settings().db();
        let other_db = if default_db == 3 { 4 } else { 3 };
        let settings = info.redis_settings().clone().set_db(other_db);
        let client = redis::Client::open(info.set_redis_settings(settings)).unwrap();
        let mut selected =
            RedisConnection::from_manager(client.get_connection_manager().await.unwrap());
        assert_eq!(conn.get_db(), default_db);
        assert_eq!(selected.get_db(), other_db);
        assert_eq!(
            format!("{selected:?}"),
            r#"RedisConnection { mode: "single node", .. }"#
        );
        let key = unique("db");
        redis::cmd("SET")
            .arg(&key)
            .arg(1)
            .arg("EX")
            .arg(60)
            .query_async::<()>(&mut selected)
            .await
            .unwrap();
        let elsewhere: Option<i64> = redis::cmd("GET")
            .arg(&key)
            .query_async(&mut conn)
            .await
            .unwrap();
        assert_eq!(
            elsewhere, None,
            "database {other_db} leaked into {default_db}"
        );
        let here: Option<i64> = redis::cmd("GET")
            .arg(&key)
            .query_async(&mut selected)
            .await
            .unwrap();
        assert_eq!(here, Some(1));
    }
}
