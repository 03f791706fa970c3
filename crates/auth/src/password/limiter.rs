//! A bound on how many password hashes run at once.
//!
//! argon2 is memory-hard on purpose: each verification takes tens of
//! megabytes and tens of milliseconds. Run unbounded on tokio's blocking pool
//! (up to 512 threads), a burst of wrong-password logins becomes a burst of
//! resident memory (hundreds of concurrent hashes, gigabytes) and every other
//! request waits behind it. The limiter lets `max_concurrent` hashes run, lets
//! `max_queued` more wait their turn, and refuses the rest at once with
//! [`Busy`], which a server answers with `503` + `Retry-After`: refusing early
//! costs nothing, queueing without bound costs everything.

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::Duration;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// Too many hashes are running and waiting: try again after
/// [`Busy::retry_after`]. Nothing was hashed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("too many password checks in progress: retry in {} s", self.retry_after.as_secs().max(1))]
pub struct Busy {
    retry_after: Duration,
}

impl Busy {
    /// How long the caller should wait before trying again (the
    /// `Retry-After` of a `503`).
    pub fn retry_after(&self) -> Duration {
        self.retry_after
    }
}

/// How busy a [`HashLimiter`] is, for metrics and tests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct LimiterStats {
    /// Hashes running now.
    pub running: usize,
    /// The most that ever ran at once.
    pub peak_running: usize,
    /// Requests refused with [`Busy`] so far.
    pub refused: u64,
}

/// Runs blocking work (password hashing) on tokio's blocking pool, at most
/// `max_concurrent` at a time, with a bounded queue. Clones share the limit.
#[derive(Clone)]
pub struct HashLimiter {
    inner: Arc<Inner>,
}

struct Inner {
    /// `max_concurrent + max_queued` permits: admission, taken without waiting.
    admitted: Arc<Semaphore>,
    /// `max_concurrent` permits: the right to run.
    running: Arc<Semaphore>,
    max_concurrent: usize,
    max_queued: usize,
    retry_after: Duration,
    now_running: AtomicUsize,
    peak_running: AtomicUsize,
    refused: AtomicU64,
}

impl fmt::Debug for HashLimiter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HashLimiter")
            .field("max_concurrent", &self.inner.max_concurrent)
            .field("max_queued", &self.inner.max_queued)
            .field("retry_after", &self.inner.retry_after)
            .finish_non_exhaustive()
    }
}

impl HashLimiter {
    /// A limiter letting `max_concurrent` tasks run and `max_queued` wait;
    /// refusals advise retrying after `retry_after`.
    ///
    /// # Errors
    /// [`crate::ConfigError::Invalid`] when `max_concurrent` is zero (nothing
    /// could ever run) or either bound exceeds tokio's semaphore limit.
    pub fn new(
        max_concurrent: usize,
        max_queued: usize,
        retry_after: Duration,
    ) -> Result<Self, crate::ConfigError> {
        if max_concurrent == 0 {
            return Err(crate::ConfigError::Invalid {
                name: "max_concurrent",
                reason: "must be at least 1".into(),
            });
        }
        let admitted = max_concurrent
            .checked_add(max_queued)
            .filter(|n| *n <= Semaphore::MAX_PERMITS)
            .ok_or_else(|| crate::ConfigError::Invalid {
                name: "max_queued",
                reason: format!(
                    "max_concurrent + max_queued must be at most {}",
                    Semaphore::MAX_PERMITS
                ),
            })?;
        Ok(Self {
            inner: Arc::new(Inner {
                admitted: Arc::new(Semaphore::new(admitted)),
                running: Arc::new(Semaphore::new(max_concurrent)),
                max_concurrent,
                max_queued,
                retry_after,
                now_running: AtomicUsize::new(0),
                peak_running: AtomicUsize::new(0),
                refused: AtomicU64::new(0),
            }),
        })
    }

    /// How many tasks may run at once.
    pub fn max_concurrent(&self) -> usize {
        self.inner.max_concurrent
    }

    /// How many tasks may wait for a turn.
    pub fn max_queued(&self) -> usize {
        self.inner.max_queued
    }

    /// Counters since the limiter was made.
    pub fn stats(&self) -> LimiterStats {
        LimiterStats {
            running: self.inner.now_running.load(Ordering::Acquire),
            peak_running: self.inner.peak_running.load(Ordering::Acquire),
            refused: self.inner.refused.load(Ordering::Acquire),
        }
    }

    /// Runs `work` on the blocking pool when a slot is free.
    ///
    /// Returns [`Busy`] at once, without running anything, when
    /// `max_concurrent` tasks run and `max_queued` already wait. A task that
    /// has started keeps its slot until it finishes, even if the caller stops
    /// waiting (the client hung up): the memory it uses is real until then.
    ///
    /// # Errors
    /// [`RunError::Busy`] when full; [`RunError::Failed`] when `work` panicked
    /// or the runtime is shutting down.
    pub async fn run<T, F>(&self, work: F) -> Result<T, RunError>
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        let inner = &self.inner;
        let Ok(admitted) = Arc::clone(&inner.admitted).try_acquire_owned() else {
            inner.refused.fetch_add(1, Ordering::AcqRel);
            return Err(RunError::Busy(Busy {
                retry_after: inner.retry_after,
            }));
        };
        let running = Arc::clone(&inner.running)
            .acquire_owned()
            .await
            .map_err(|_| RunError::Failed)?;
        let shared = Arc::clone(inner);
        let task = tokio::task::spawn_blocking(move || {
            let _slot = Running::enter(shared, admitted, running);
            work()
        });
        task.await.map_err(|_| RunError::Failed)
    }
}

/// Holds a task's permits and counts it as running until dropped, which
/// happens on return and on unwinding alike.
struct Running {
    inner: Arc<Inner>,
    _permits: (OwnedSemaphorePermit, OwnedSemaphorePermit),
}

impl Running {
    fn enter(
        inner: Arc<Inner>,
        admitted: OwnedSemaphorePermit,
        running: OwnedSemaphorePermit,
    ) -> Self {
        let now = inner.now_running.fetch_add(1, Ordering::AcqRel) + 1;
        inner.peak_running.fetch_max(now, Ordering::AcqRel);
        Self {
            inner,
            _permits: (admitted, running),
        }
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        self.inner.now_running.fetch_sub(1, Ordering::AcqRel);
    }
}

/// Why [`HashLimiter::run`] returned no result.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RunError {
    /// Full: refused without running.
    #[error(transparent)]
    Busy(Busy),
    /// The task panicked or the runtime is shutting down.
    #[error("the password check could not run")]
    Failed,
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;
    use std::sync::mpsc;

    #[test]
    fn bounds_are_validated() {
        assert!(HashLimiter::new(0, 4, Duration::from_secs(1)).is_err());
        assert!(HashLimiter::new(usize::MAX, 1, Duration::from_secs(1)).is_err());
        assert!(HashLimiter::new(Semaphore::MAX_PERMITS, 1, Duration::from_secs(1)).is_err());
        let ok = HashLimiter::new(2, 0, Duration::from_secs(1)).unwrap();
        assert_eq!((ok.max_concurrent(), ok.max_queued()), (2, 0));
    }

    /// Two may run, three may wait; the sixth is refused at once, and the
    /// work itself never sees more than two of its kind at a time.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn never_more_than_n_at_once_and_busy_beyond_the_queue() {
        let limiter = HashLimiter::new(2, 3, Duration::from_secs(2)).unwrap();
        let inside = Arc::new(AtomicUsize::new(0));
        let peak = Arc::new(AtomicUsize::new(0));
        let (started_tx, started_rx) = mpsc::channel::<()>();
        let mut releases = Vec::new();
        let mut tasks = Vec::new();
        for _ in 0..5 {
            let (release_tx, release_rx) = mpsc::channel::<()>();
            releases.push(release_tx);
            let (limiter, inside, peak, started) = (
                limiter.clone(),
                Arc::clone(&inside),
                Arc::clone(&peak),
                started_tx.clone(),
            );
            tasks.push(tokio::spawn(async move {
                limiter
                    .run(move || {
                        let now = inside.fetch_add(1, Ordering::SeqCst) + 1;
                        peak.fetch_max(now, Ordering::SeqCst);
                        started.send(()).unwrap();
                        release_rx.recv().unwrap();
                        inside.fetch_sub(1, Ordering::SeqCst);
                    })
                    .await
            }));
        }
        // Two start; wait for them (blocking recv off the async workers).
        let started_rx = tokio::task::spawn_blocking(move || {
            started_rx.recv().unwrap();
            started_rx.recv().unwrap();
            started_rx
        })
        .await
        .unwrap();
        assert_eq!(limiter.stats().running, 2);
        // Let the three others reach the queue: each takes its admission
        // permit before waiting, so once the admission semaphore is empty
        // they are all queued.
        while limiter.inner.admitted.available_permits() > 0 {
            tokio::task::yield_now().await;
        }
        let refused = limiter.run(|| ()).await;
        match refused {
            Err(RunError::Busy(busy)) => assert_eq!(busy.retry_after(), Duration::from_secs(2)),
            other => panic!("expected Busy, got {other:?}"),
        }
        assert_eq!(limiter.stats().refused, 1);
        assert!(started_rx.try_recv().is_err(), "a third task started");

        for release in releases {
            release.send(()).unwrap();
        }
        for task in tasks {
            task.await.unwrap().unwrap();
        }
        assert_eq!(peak.load(Ordering::SeqCst), 2);
        assert_eq!(limiter.stats().peak_running, 2);
        assert_eq!(limiter.stats().running, 0);
        // Slots come back: the limiter takes work again.
        assert_eq!(limiter.run(|| 7).await, Ok(7));
    }

    #[tokio::test]
    async fn a_panicking_task_frees_its_slot() {
        let limiter = HashLimiter::new(1, 0, Duration::from_secs(1)).unwrap();
        let failed = limiter.run(|| -> () { panic!("boom") }).await;
        assert_eq!(failed, Err(RunError::Failed));
        assert_eq!(limiter.run(|| 1).await, Ok(1));
        assert_eq!(limiter.stats().running, 0);
    }

    #[test]
    fn busy_says_when_to_retry() {
        let busy = Busy {
            retry_after: Duration::from_millis(10),
        };
        assert!(busy.to_string().contains("retry in 1 s"), "{busy}");
    }
}
