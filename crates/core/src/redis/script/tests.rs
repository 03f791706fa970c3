#![allow(clippy::unwrap_used, clippy::expect_used)]

use super::Script;
use crate::redis::RedisConnection;
use redis::aio::ConnectionLike;
use redis::{Arg, Cmd, ErrorKind, RedisFuture, ServerErrorKind, Value};
use std::time::{SystemTime, UNIX_EPOCH};

/// A SHA no script has, so that a server answers `NOSCRIPT` for it.
const UNKNOWN_SHA: &str = "ffffffffffffffffffffffffffffffffffffffff";

/// A real connection that records each command's name and, when
/// `forgetful`, sends every `EVALSHA` with [`UNKNOWN_SHA`] instead: the
/// server's genuine `NOSCRIPT`, as if its cache were emptied before every
/// call (the case `redis::Script` fails on after its one reload).
struct Recording<C> {
    inner: C,
    forgetful: bool,
    seen: Vec<String>,
}

impl<C> Recording<C> {
    fn new(inner: C, forgetful: bool) -> Self {
        Self {
            inner,
            forgetful,
            seen: Vec::new(),
        }
    }

    fn take(&mut self) -> Vec<String> {
        std::mem::take(&mut self.seen)
    }
}

impl<C: ConnectionLike + Send> ConnectionLike for Recording<C> {
    fn req_packed_command<'a>(&'a mut self, cmd: &'a Cmd) -> RedisFuture<'a, Value> {
        let args: Vec<Vec<u8>> = cmd
            .args_iter()
            .filter_map(|arg| match arg {
                Arg::Simple(bytes) => Some(bytes.to_vec()),
                _ => None,
            })
            .collect();
        let name = String::from_utf8_lossy(&args[0]).to_uppercase();
        self.seen.push(name.clone());
        if self.forgetful && name == "EVALSHA" {
            let mut forged = redis::cmd("EVALSHA");
            forged.arg(UNKNOWN_SHA).arg(&args[2..]);
            Box::pin(async move { self.inner.req_packed_command(&forged).await })
        } else {
            self.inner.req_packed_command(cmd)
        }
    }

    fn req_packed_commands<'a>(
        &'a mut self,
        pipeline: &'a redis::Pipeline,
        offset: usize,
        count: usize,
    ) -> RedisFuture<'a, Vec<Value>> {
        self.seen.push("PIPELINE".to_owned());
        self.inner.req_packed_commands(pipeline, offset, count)
    }

    fn get_db(&self) -> i64 {
        self.inner.get_db()
    }
}

/// A key of its own per run, under one hash tag.
fn key(test: &str) -> String {
    let t = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    format!(
        "rampart-test:core:{{script-{test}-{t}-{}}}:k",
        std::process::id()
    )
}

/// A script body no other run caches, so that what a test sees of the
/// cache is its own doing.
fn unique_script(body: &str) -> Script {
    Script::new(&format!("-- {}\n{body}", key("body")))
}

fn names(names: &[&str]) -> Vec<String> {
    names.iter().map(|n| (*n).to_owned()).collect()
}

#[test]
fn the_hash_is_the_one_redis_names_the_script_by() {
    let script = Script::new("return KEYS[1]");
    assert_eq!(
        script.get_hash(),
        "4a2267357833227dd98abdedb8cf24b15a986445"
    );
    assert_eq!(
        script.get_hash(),
        redis::Script::new("return KEYS[1]").get_hash()
    );
}

#[test]
fn both_commands_carry_the_key_count_keys_then_args() {
    let script = Script::new("return KEYS[1]");
    let mut invocation = script.key("k1");
    invocation.key("k2").arg(7).arg("a");
    let packed = |cmd: Cmd| String::from_utf8(cmd.get_packed_command()).unwrap();
    let tail = "$1\r\n2\r\n$2\r\nk1\r\n$2\r\nk2\r\n$1\r\n7\r\n$1\r\na\r\n";
    assert_eq!(
        packed(invocation.cmd("EVALSHA", script.get_hash())),
        format!(
            "*7\r\n$7\r\nEVALSHA\r\n$40\r\n{}\r\n{tail}",
            script.get_hash()
        )
    );
    assert_eq!(
        packed(invocation.cmd("EVAL", "return KEYS[1]")),
        format!("*7\r\n$4\r\nEVAL\r\n$14\r\nreturn KEYS[1]\r\n{tail}")
    );
    // An argument first, then a key: each goes to its own list.
    let mut later = script.arg("x");
    later.key("y");
    assert_eq!(
        packed(later.cmd("EVAL", "s")),
        "*5\r\n$4\r\nEVAL\r\n$1\r\ns\r\n$1\r\n1\r\n$1\r\ny\r\n$1\r\nx\r\n"
    );
}

#[test]
fn debug_shows_neither_keys_nor_arguments_nor_the_body() {
    let script = Script::new("return 'body-text'");
    let mut invocation = script.key("secret-key");
    invocation.arg("secret-arg");
    let shown = format!("{script:?} {invocation:?}");
    for hidden in ["secret-key", "secret-arg", "body-text"] {
        assert!(!shown.contains(hidden), "{shown}");
    }
    assert!(shown.contains(script.get_hash()), "{shown}");
    assert!(shown.contains("keys: 1, args: 1"), "{shown}");
}

#[tokio::test]
async fn every_evalsha_answering_noscript_still_runs_the_script_by_body() {
    for url in rampart_test_support::redis_urls("every_evalsha_answering_noscript") {
        let conn = RedisConnection::connect(&url).await.unwrap();
        let mut conn = Recording::new(conn, true);
        let k = key("forgetful");
        let script = Script::new(
            "redis.call('SET', KEYS[1], ARGV[1], 'EX', 60) \
             return redis.call('INCRBY', KEYS[1], ARGV[2])",
        );
        for expected in [12, 12] {
            let n: i64 = script
                .key(&k)
                .arg(10)
                .arg(2)
                .invoke_async(&mut conn)
                .await
                .unwrap();
            assert_eq!(n, expected, "{url}");
            assert_eq!(conn.take(), names(&["EVALSHA", "EVAL"]), "{url}");
        }
        let bare: i64 = Script::new("return 7")
            .invoke_async(&mut conn)
            .await
            .unwrap();
        assert_eq!(bare, 7, "{url}");
        assert_eq!(conn.take(), names(&["EVALSHA", "EVAL"]), "{url}");
        // redis-rs's own invocation reloads once and gives up: the failure
        // this type exists to avoid.
        let theirs: Result<i64, _> = redis::Script::new("return 1")
            .key(&k)
            .invoke_async(&mut conn)
            .await;
        assert_eq!(
            theirs.unwrap_err().kind(),
            ErrorKind::Server(ServerErrorKind::NoScript),
            "{url}"
        );
        assert_eq!(conn.take(), names(&["EVALSHA", "SCRIPT", "EVALSHA"]));
        redis::cmd("DEL")
            .arg(&k)
            .query_async::<()>(&mut conn.inner)
            .await
            .unwrap();
    }
}

#[tokio::test]
async fn a_script_run_by_body_is_cached_for_the_next_call() {
    for url in rampart_test_support::redis_urls("a_script_run_by_body_is_cached") {
        let conn = RedisConnection::connect(&url).await.unwrap();
        let mut conn = Recording::new(conn, false);
        let k = key("cached");
        let script = unique_script("return redis.call('INCR', KEYS[1])");
        let first: i64 = script.key(&k).invoke_async(&mut conn).await.unwrap();
        assert_eq!(conn.take(), names(&["EVALSHA", "EVAL"]), "{url}");
        let second: i64 = script.key(&k).invoke_async(&mut conn).await.unwrap();
        assert_eq!(conn.take(), names(&["EVALSHA"]), "{url}");
        assert_eq!((first, second), (1, 2));
        redis::cmd("DEL")
            .arg(&k)
            .query_async::<()>(&mut conn.inner)
            .await
            .unwrap();
    }
}

#[tokio::test]
async fn other_errors_are_returned_without_a_second_call() {
    for url in rampart_test_support::redis_urls("other_errors_are_returned") {
        let conn = RedisConnection::connect(&url).await.unwrap();
        let mut conn = Recording::new(conn, false);
        let k = key("errors");
        let failing = unique_script("return redis.error_reply('boom')");
        redis::Script::new(&failing.code)
            .load_async(&mut conn.inner)
            .await
            .unwrap();
        let err = failing
            .key(&k)
            .invoke_async::<i64>(&mut conn)
            .await
            .unwrap_err();
        assert!(err.to_string().contains("boom"), "{url}: {err}");
        assert_eq!(conn.take(), names(&["EVALSHA"]), "{url}");

        // A script that ran and whose answer does not convert is not run again.
        let counting = unique_script("redis.call('INCR', KEYS[1]) return 'not a number'");
        let _: String = counting.key(&k).invoke_async(&mut conn).await.unwrap();
        conn.take();
        let err = counting
            .key(&k)
            .invoke_async::<i64>(&mut conn)
            .await
            .unwrap_err();
        assert_ne!(err.kind(), ErrorKind::Server(ServerErrorKind::NoScript));
        assert_eq!(conn.take(), names(&["EVALSHA"]), "{url}");
        let runs: i64 = redis::cmd("GET")
            .arg(&k)
            .query_async(&mut conn.inner)
            .await
            .unwrap();
        assert_eq!(runs, 2, "{url}");

        // By body too, the script's own error is what the caller gets.
        let mut forgetful = Recording::new(conn.inner.clone(), true);
        let err = failing
            .key(&k)
            .invoke_async::<i64>(&mut forgetful)
            .await
            .unwrap_err();
        assert!(err.to_string().contains("boom"), "{url}: {err}");
        assert_eq!(forgetful.take(), names(&["EVALSHA", "EVAL"]), "{url}");
        redis::cmd("DEL")
            .arg(&k)
            .query_async::<()>(&mut conn.inner)
            .await
            .unwrap();
    }
}
