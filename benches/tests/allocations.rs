//! Heap allocations per request through rampart's recommended stack, the
//! same stack as `benches/stack.rs` builds: about 40% of the stack's
//! instructions per request were in the allocator, so the count is what a
//! regression in per-request cost shows first, and unlike a timing it is
//! exact and the same on every machine.
//!
//! The stack is built up one layer at a time, outermost first, as the
//! bench's `stack/share` group does; each step's difference is that layer's
//! share. Run with `--nocapture` to see the table, and with `ALLOC_TRACE=1`
//! to print a backtrace of each allocation the full stack makes for one
//! request.
//!
//! Only allocations made on the test's own thread are counted: the audit
//! writer runs on a thread of its own, and what it costs is not the
//! request's. Each count is the least over several requests, so a buffer
//! that grows now and then (a queue's block, a map's table) does not make
//! the figure flap.
// The counting allocator is the one unsafe item: `GlobalAlloc` is an unsafe
// trait. It only forwards to `System`.
#![allow(unsafe_code)]

use http::{HeaderValue, StatusCode};
use rampart_audit::{AuditLog, AuditSink, Entry, SigningKey};
use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use tower::ServiceExt;

#[path = "../common/rampart_stack.rs"]
mod rampart_stack;

use rampart_stack::{LAYERS, Rampart, Svc, authority, request};

/// Allocations rampart's whole stack may make per request beyond the bare
/// handler's. Lower it when a change saves allocations; a change that needs
/// more must say why.
const CEILING: u64 = 43;

// ---- counting ---------------------------------------------------------------

thread_local! {
    /// Whether this thread's allocations are being counted, and how many.
    static COUNTING: Cell<bool> = const { Cell::new(false) };
    static COUNT: Cell<u64> = const { Cell::new(0) };
    /// Whether each counted allocation prints where it was made (see `traced`).
    static TRACING: Cell<bool> = const { Cell::new(false) };
}

/// `System`, counting each allocation and reallocation made on a thread
/// that asked to be counted.
struct Counting;

fn count() {
    // `try_with`: the allocator also runs while a thread's locals are torn down.
    let counting = COUNTING.try_with(Cell::get).unwrap_or(false);
    if !counting {
        return;
    }
    let _ = COUNT.try_with(|n| n.set(n.get() + 1));
    if TRACING.try_with(Cell::get).unwrap_or(false) {
        // Printing allocates: counting is off meanwhile, so it does not recurse.
        COUNTING.with(|on| on.set(false));
        eprintln!(
            "---- allocation {}\n{}",
            COUNT.with(Cell::get),
            std::backtrace::Backtrace::force_capture()
        );
        COUNTING.with(|on| on.set(true));
    }
}

// SAFETY: every method forwards to `System` with the caller's arguments; the
// counting touches only const-initialised thread locals, which never allocate.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        count();
        // SAFETY: the caller upholds `alloc`'s contract, passed on as is.
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        count();
        // SAFETY: as for `alloc`.
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        count();
        // SAFETY: `ptr` and `layout` came from this allocator, that is `System`.
        unsafe { System.realloc(ptr, layout, new_size) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` and `layout` came from this allocator, that is `System`.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// Whether `ALLOC_TRACE` is set: then the last request counted through the
/// full stack prints a backtrace of each of its allocations, to find where
/// they are made.
fn traced() -> bool {
    std::env::var_os("ALLOC_TRACE").is_some()
}

/// Counts the allocations `f` makes on this thread.
async fn counted<F: Future>(f: F) -> (F::Output, u64) {
    COUNT.with(|n| n.set(0));
    COUNTING.with(|on| on.set(true));
    let output = f.await;
    COUNTING.with(|on| on.set(false));
    (output, COUNT.with(Cell::get))
}

/// Discards what the audit writer hands it.
struct Discard;

impl AuditSink for Discard {
    fn write(
        &mut self,
        _entries: &[Entry],
        _ctx: &rampart_audit::SinkContext<'_>,
    ) -> std::io::Result<()> {
        Ok(())
    }
}

// ---- the measurement ---------------------------------------------------------

/// Requests run before counting: caches filled, the token verified once.
const WARM_UP: usize = 20;
/// Requests counted; the least count is the figure.
const SAMPLES: usize = 20;

/// The least number of allocations one request through `svc` makes, from
/// cloning the service to dropping the response; every response must be 200.
fn per_request(
    runtime: &tokio::runtime::Runtime,
    log: &AuditLog,
    svc: &Svc,
    token: &HeaderValue,
    trace: bool,
) -> u64 {
    let mut least = u64::MAX;
    for i in 0..WARM_UP + SAMPLES {
        let req = request(token);
        TRACING.with(|on| on.set(trace && i + 1 == WARM_UP + SAMPLES));
        let (status, n) = runtime.block_on(counted(async {
            let response = svc.clone().oneshot(req).await.expect("infallible");
            response.status()
        }));
        assert_eq!(status, StatusCode::OK, "the stack refused the request");
        // The writer drains the queue between requests, off the count.
        log.flush().expect("audit flush");
        if i >= WARM_UP {
            least = least.min(n);
        }
    }
    least
}

#[test]
fn rampart_stack_allocations_per_request_stay_under_the_ceiling() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    let (key, _) = SigningKey::generate().expect("audit key");
    let log = AuditLog::builder(Discard, key).build().expect("audit log");
    let (authority, token) = authority(&runtime, true);
    let rampart = Rampart::new(&log, &authority);

    let bare = per_request(&runtime, &log, &rampart.service(0), &token, false);
    println!("{:<22} {:>6} {:>6}", "stack", "allocs", "layer");
    println!("{:<22} {bare:>6} {:>6}", "bare", "-");
    let mut previous = bare;
    for (depth, layer) in LAYERS.iter().enumerate() {
        let full = depth + 1 == LAYERS.len();
        let n = per_request(
            &runtime,
            &log,
            &rampart.service(depth + 1),
            &token,
            full && traced(),
        );
        let share = i128::from(n) - i128::from(previous);
        println!(
            "{:<22} {n:>6} {share:>+6}",
            format!("{:02}_{layer}", depth + 1)
        );
        previous = n;
    }
    let added = previous - bare;
    println!("rampart's layers add {added} allocations per request (ceiling {CEILING})");
    log.shutdown().expect("audit shutdown");

    assert!(
        added <= CEILING,
        "rampart's stack makes {added} allocations per request beyond the bare \
         handler's {bare}, more than the {CEILING} allowed"
    );
}

/// The counter sees allocations, and only this thread's.
#[test]
fn the_counter_counts_this_threads_allocations_only() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("tokio runtime");
    let (mine, n) = runtime.block_on(counted(async {
        (0..3).map(Box::new).collect::<Vec<Box<u32>>>()
    }));
    assert_eq!(mine.len(), 3);
    assert_eq!(n, 4, "three boxes and their vector");
    let (theirs, n) = runtime.block_on(counted(async {
        std::thread::spawn(|| vec![Box::new(1u8); 64])
            .join()
            .map(|v| v.len())
    }));
    assert_eq!(theirs.ok(), Some(64));
    // Spawning the thread allocates a little here; the other thread's 65
    // allocations are not counted.
    assert!(n < 65, "counted {n}");
}
