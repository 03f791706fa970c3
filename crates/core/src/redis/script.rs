//! Lua scripts that keep running when the server's script cache is emptied
//! under them.
//!
//! `redis::Script` answers `NOSCRIPT` with `SCRIPT LOAD` and one more
//! `EVALSHA`. That second call fails too when the cache is gone again by
//! then: a failover to a replica that never loaded the script, a `SCRIPT
//! FLUSH` between the two calls, or, on a cluster, a load that reached
//! another node than the one serving the key. A store would then fail (or
//! degrade) a request although Redis is healthy. Here the fallback is `EVAL`
//! with the script's body, which needs no cache on any node and runs on the
//! node the keys route to. `EVAL` also caches the script on that node, so the
//! next `EVALSHA` finds it without a separate load.

use redis::aio::ConnectionLike;
use redis::{Cmd, ErrorKind, FromRedisValue, RedisResult, ServerErrorKind, ToRedisArgs};
use std::fmt;

/// A Lua script run by SHA (`EVALSHA`), and by body (`EVAL`) when the
/// server has not cached it. A drop-in for `redis::Script` in the stores.
///
/// ```no_run
/// # async fn demo(mut conn: rampart::core::redis::RedisConnection) -> redis::RedisResult<()> {
/// use rampart::core::redis::Script;
///
/// let incr = Script::new("return redis.call('INCRBY', KEYS[1], ARGV[1])");
/// let n: i64 = incr.key("app:{c}:hits").arg(2).invoke_async(&mut conn).await?;
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct Script {
    code: String,
    hash: String,
}

impl Script {
    /// The script with its SHA1, as `EVALSHA` and `SCRIPT LOAD` name it.
    pub fn new(code: &str) -> Self {
        Self {
            code: code.to_owned(),
            // The same digest redis-rs computes, so both name one cache entry.
            hash: redis::Script::new(code).get_hash().to_owned(),
        }
    }

    /// The script's SHA1 in lowercase hexadecimal.
    pub fn get_hash(&self) -> &str {
        &self.hash
    }

    /// An invocation with `key` as its first `KEYS` entry.
    pub fn key<T: ToRedisArgs>(&self, key: T) -> ScriptInvocation<'_> {
        let mut invocation = self.prepare_invoke();
        invocation.key(key);
        invocation
    }

    /// An invocation with `arg` as its first `ARGV` entry.
    pub fn arg<T: ToRedisArgs>(&self, arg: T) -> ScriptInvocation<'_> {
        let mut invocation = self.prepare_invoke();
        invocation.arg(arg);
        invocation
    }

    /// An invocation without keys or arguments yet, for adding them in a loop.
    pub fn prepare_invoke(&self) -> ScriptInvocation<'_> {
        ScriptInvocation {
            script: self,
            keys: Vec::new(),
            args: Vec::new(),
        }
    }

    /// Runs the script without keys or arguments ([`ScriptInvocation::invoke_async`]).
    ///
    /// # Errors
    /// As [`ScriptInvocation::invoke_async`].
    pub async fn invoke_async<T: FromRedisValue>(
        &self,
        con: &mut impl ConnectionLike,
    ) -> RedisResult<T> {
        self.prepare_invoke().invoke_async(con).await
    }
}

impl fmt::Debug for Script {
    // The hash names the script; its body would only fill logs.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Script")
            .field("hash", &self.hash)
            .finish_non_exhaustive()
    }
}

/// The keys and arguments of one script call.
pub struct ScriptInvocation<'a> {
    script: &'a Script,
    keys: Vec<Vec<u8>>,
    args: Vec<Vec<u8>>,
}

impl ScriptInvocation<'_> {
    /// Adds a `KEYS` entry. On a cluster all keys of a call must share a slot.
    pub fn key<T: ToRedisArgs>(&mut self, key: T) -> &mut Self {
        key.write_redis_args(&mut self.keys);
        self
    }

    /// Adds an `ARGV` entry.
    pub fn arg<T: ToRedisArgs>(&mut self, arg: T) -> &mut Self {
        arg.write_redis_args(&mut self.args);
        self
    }

    /// Runs the script by SHA and, if the server answers `NOSCRIPT`, once
    /// more by body. The script therefore runs at most once: `NOSCRIPT`
    /// means it did not run.
    ///
    /// # Errors
    /// Any error but `NOSCRIPT` from `EVALSHA` (a script error, a timeout, a
    /// lost connection) as it came, without a retry: the script may have
    /// run. Otherwise the error of `EVAL`, or a conversion error into `T`.
    pub async fn invoke_async<T: FromRedisValue>(
        &self,
        con: &mut impl ConnectionLike,
    ) -> RedisResult<T> {
        match self
            .cmd("EVALSHA", &self.script.hash)
            .query_async(con)
            .await
        {
            Err(err) if err.kind() == ErrorKind::Server(ServerErrorKind::NoScript) => {
                self.cmd("EVAL", &self.script.code).query_async(con).await
            }
            answer => answer,
        }
    }

    fn cmd(&self, name: &str, script: &str) -> Cmd {
        let mut cmd = Cmd::with_capacity(3 + self.keys.len() + self.args.len(), 0);
        cmd.arg(name)
            .arg(script)
            .arg(self.keys.len())
            .arg(&*self.keys)
            .arg(&*self.args);
        cmd
    }
}

impl fmt::Debug for ScriptInvocation<'_> {
    // Keys and arguments may carry secrets (tokens, codes): only counts.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ScriptInvocation")
            .field("script", self.script)
            .field("keys", &self.keys.len())
            .field("args", &self.args.len())
            .finish()
    }
}

#[cfg(test)]
mod tests;
