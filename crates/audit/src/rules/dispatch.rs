//! Runs response actions off the rule engine's thread and brings their
//! answers back.
//!
//! By default one thread of its own runs each action's responders in turn,
//! polling their futures with a minimal executor (park the thread until
//! woken) under a timeout: enough for responders whose futures need no
//! runtime (a block-list entry, an in-memory revocation). Responders that
//! need one (Redis through tokio) get a spawner instead, and their futures
//! run there. Either way the audit writer never waits on a responder.

use super::respond::{Answer, Cause};
use rampart_core::{ResponseAction, ResponseError, SharedResponder};
use std::future::Future;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::pin::Pin;
use std::sync::Arc;
use std::sync::mpsc::{self, Receiver, Sender, SyncSender, TrySendError};
use std::task::{Context, Poll, Wake, Waker};
use std::thread::{self, JoinHandle, Thread};
use std::time::{Duration, Instant};

/// A task handed to a spawner.
pub type ResponseTask = Pin<Box<dyn Future<Output = ()> + Send + 'static>>;

/// Runs response tasks on an executor of the application's choosing.
pub(crate) type Spawner = Arc<dyn Fn(ResponseTask) + Send + Sync>;

pub(crate) struct Job {
    pub action: ResponseAction,
    pub cause: Cause,
}

pub(crate) struct Done {
    pub action: ResponseAction,
    pub cause: Cause,
    pub answers: Vec<Answer>,
}

enum Mode {
    Thread {
        jobs: Option<SyncSender<Job>>,
        handle: Option<JoinHandle<()>>,
    },
    Spawn(Spawner),
}

pub(crate) struct Dispatcher {
    responders: Arc<Vec<SharedResponder>>,
    mode: Mode,
    done_tx: Sender<Done>,
    done_rx: Receiver<Done>,
    in_flight: usize,
    max_in_flight: usize,
    timeout: Duration,
}

struct ThreadWaker(Thread);

impl Wake for ThreadWaker {
    fn wake(self: Arc<Self>) {
        self.0.unpark();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.0.unpark();
    }
}

/// Polls `future` on this thread until it is ready or `timeout` passes; a
/// panic inside it is an error, not the end of the thread.
fn run_here<T>(
    future: impl Future<Output = Result<T, ResponseError>>,
    timeout: Duration,
) -> Result<T, ResponseError> {
    let mut future = std::pin::pin!(future);
    let waker = Waker::from(Arc::new(ThreadWaker(thread::current())));
    let mut cx = Context::from_waker(&waker);
    let deadline = Instant::now() + timeout;
    loop {
        match catch_unwind(AssertUnwindSafe(|| future.as_mut().poll(&mut cx))) {
            Ok(Poll::Ready(result)) => return result,
            Ok(Poll::Pending) => {}
            Err(_) => return Err(ResponseError("the responder panicked".into())),
        }
        let now = Instant::now();
        if now >= deadline {
            return Err(ResponseError(format!(
                "the responder did not answer within {} ms",
                timeout.as_millis()
            )));
        }
        thread::park_timeout(deadline - now);
    }
}

/// Sends what was answered so far when dropped, so a task that panics or is
/// dropped by its runtime still ends in an audit event.
struct Reply {
    done: Option<Done>,
    tx: Sender<Done>,
    expected: usize,
}

impl Drop for Reply {
    fn drop(&mut self) {
        if let Some(mut done) = self.done.take() {
            if done.answers.len() < self.expected {
                done.answers.push((
                    "dispatcher".into(),
                    Err(ResponseError(
                        "the response task ended before every responder answered (it panicked or its runtime stopped)".into(),
                    )),
                ));
            }
            let _ = self.tx.send(done);
        }
    }
}

impl Dispatcher {
    pub(crate) fn new(
        responders: Vec<SharedResponder>,
        spawner: Option<Spawner>,
        queue: usize,
        timeout: Duration,
    ) -> std::io::Result<Self> {
        let responders = Arc::new(responders);
        let (done_tx, done_rx) = mpsc::channel();
        let mode = match spawner {
            Some(spawner) => Mode::Spawn(spawner),
            None => {
                let (jobs, rx) = mpsc::sync_channel::<Job>(queue);
                let (list, tx) = (responders.clone(), done_tx.clone());
                let handle = thread::Builder::new()
                    .name("rampart-audit-responder".into())
                    .spawn(move || {
                        for job in rx {
                            let answers = list
                                .iter()
                                .map(|r| {
                                    let result = run_here(r.respond(job.action.clone()), timeout);
                                    (r.name().to_owned(), result)
                                })
                                .collect();
                            let done = Done {
                                action: job.action,
                                cause: job.cause,
                                answers,
                            };
                            if tx.send(done).is_err() {
                                return;
                            }
                        }
                    })?;
                Mode::Thread {
                    jobs: Some(jobs),
                    handle: Some(handle),
                }
            }
        };
        Ok(Self {
            responders,
            mode,
            done_tx,
            done_rx,
            in_flight: 0,
            max_in_flight: queue,
            timeout,
        })
    }

    /// Starts `job`. Never waits: when too many are in flight the job is
    /// answered at once with an error, so the response is recorded as failed.
    pub(crate) fn dispatch(&mut self, job: Job) {
        let overloaded = |job: Job| Done {
            action: job.action,
            cause: job.cause,
            answers: vec![(
                "dispatcher".into(),
                Err(ResponseError(
                    "too many responses in flight; this one was not attempted".into(),
                )),
            )],
        };
        self.in_flight += 1;
        if self.in_flight > self.max_in_flight {
            let _ = self.done_tx.send(overloaded(job));
            return;
        }
        match &self.mode {
            Mode::Thread {
                jobs: Some(jobs), ..
            } => match jobs.try_send(job) {
                Ok(()) => {}
                Err(TrySendError::Full(job) | TrySendError::Disconnected(job)) => {
                    let _ = self.done_tx.send(overloaded(job));
                }
            },
            Mode::Thread { jobs: None, .. } => {
                let _ = self.done_tx.send(overloaded(job));
            }
            Mode::Spawn(spawner) => {
                let responders = self.responders.clone();
                let expected = responders.len();
                let mut reply = Reply {
                    done: Some(Done {
                        action: job.action,
                        cause: job.cause,
                        answers: Vec::with_capacity(expected),
                    }),
                    tx: self.done_tx.clone(),
                    expected,
                };
                spawner(Box::pin(async move {
                    for r in responders.iter() {
                        let Some(done) = reply.done.as_ref() else {
                            return;
                        };
                        let result = r.respond(done.action.clone()).await;
                        if let Some(done) = reply.done.as_mut() {
                            done.answers.push((r.name().to_owned(), result));
                        }
                    }
                    drop(reply);
                }));
            }
        }
    }

    /// Whether answers are still to come.
    pub(crate) fn busy(&self) -> bool {
        self.in_flight > 0
    }

    /// The answers that have arrived.
    pub(crate) fn answers(&mut self) -> Vec<Done> {
        let done: Vec<Done> = self.done_rx.try_iter().collect();
        self.in_flight -= done.len().min(self.in_flight);
        done
    }

    /// Stops taking jobs and waits up to the response timeout (plus a
    /// margin) for the ones in flight; returns every answer that came.
    pub(crate) fn finish(&mut self) -> Vec<Done> {
        if let Mode::Thread { jobs, .. } = &mut self.mode {
            jobs.take();
        }
        let deadline = Instant::now() + self.timeout * 2 + Duration::from_millis(100);
        let mut all = self.answers();
        while self.in_flight > 0 {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.done_rx.recv_timeout(left) {
                Ok(done) => {
                    self.in_flight -= 1;
                    all.push(done);
                }
                Err(_) => {
                    tracing::warn!(target: "rampart::audit", pending = self.in_flight, "audit responses still running at shutdown are not recorded");
                    break;
                }
            }
        }
        if let Mode::Thread { handle, .. } = &mut self.mode
            && self.in_flight == 0
            && let Some(h) = handle.take()
        {
            let _ = h.join();
        }
        all
    }
}
