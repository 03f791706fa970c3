//! One id per request, time-ordered, propagated to the response.
//!
//! Built on tower-http's request-id middleware; rampart only supplies the id
//! generator (UUIDv7, so ids sort by creation time in logs and audit trails)
//! and a single layer that both sets and propagates the header.

use http::{HeaderName, HeaderValue, Request};
use rand::Rng;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::{Context, Poll};
use std::time::{SystemTime, UNIX_EPOCH};
use tower_http::request_id::{
    MakeRequestId, PropagateRequestId, PropagateRequestIdLayer, SetRequestId, SetRequestIdLayer,
};
use tower_layer::Layer;
use tower_service::Service;

pub use tower_http::request_id::RequestId;

/// The header carrying the request id: `x-request-id`.
pub const REQUEST_ID_HEADER: HeaderName = HeaderName::from_static("x-request-id");

/// Generates UUIDv7 request ids: unique, and in creation order within a
/// process (sortable by the time they were made).
///
/// An id is made on every request, so it must cost little: `Uuid::now_v7`
/// asks the operating system for randomness per id and locks uuid's shared
/// counter, about a microsecond together. Here the 58 random bits come from
/// the thread's CSPRNG (`rand::rng()`), and the order from one atomic word
/// holding the last millisecond and a 16-bit sequence within it (RFC 9562
/// §6.2, method 1). Each millisecond's sequence starts at a random value, so
/// ids do not reveal how many requests the process has served; it runs on
/// into the next millisecond rather than wrap, and a clock set back keeps
/// counting from the last millisecond, so the order holds.
#[derive(Debug, Clone, Copy, Default)]
pub struct TimeOrderedRequestId;

impl MakeRequestId for TimeOrderedRequestId {
    fn make_request_id<B>(&mut self, _request: &Request<B>) -> Option<RequestId> {
        new_request_id().map(RequestId::new)
    }
}

/// The last id's millisecond (high 48 bits) and sequence (low 16 bits).
static LAST: AtomicU64 = AtomicU64::new(0);

/// The next `(millisecond, sequence)` after every one `state` handed out before.
fn next_stamp(state: &AtomicU64, now_ms: u64, random_start: u16) -> (u64, u16) {
    let mut last = state.load(Ordering::Relaxed);
    loop {
        let (last_ms, last_seq) = (last >> 16, (last & 0xFFFF) as u16);
        let next = if now_ms > last_ms {
            (now_ms, random_start >> 1) // leaves half the sequence for this millisecond
        } else if last_seq == u16::MAX {
            (last_ms + 1, 0)
        } else {
            (last_ms, last_seq + 1)
        };
        let packed = (next.0 << 16) | u64::from(next.1);
        match state.compare_exchange_weak(last, packed, Ordering::Relaxed, Ordering::Relaxed) {
            Ok(_) => return next,
            Err(current) => last = current,
        }
    }
}

fn new_request_id() -> Option<HeaderValue> {
    let now_ms = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |since| {
            u64::try_from(since.as_millis()).unwrap_or(u64::MAX)
        })
        & 0xFFFF_FFFF_FFFF;
    let mut random = [0u8; 10];
    rand::rng().fill_bytes(&mut random);
    let (ms, seq) = next_stamp(&LAST, now_ms, u16::from_le_bytes([random[8], random[9]]));
    let ms = ms.to_be_bytes();
    let seq = seq.to_be_bytes();
    let mut bytes = [0u8; 16];
    bytes[..6].copy_from_slice(&ms[2..]);
    // Version 7, then the sequence across rand_a and the top of rand_b,
    // the RFC 4122 variant, and random bits to the end.
    bytes[6] = 0x70 | (seq[0] >> 4);
    bytes[7] = (seq[0] << 4) | (seq[1] >> 4);
    bytes[8] = 0x80 | ((seq[1] & 0x0F) << 2) | (random[7] & 0x03);
    bytes[9..].copy_from_slice(&random[..7]);
    let mut buf = uuid::Uuid::encode_buffer();
    let text = uuid::Uuid::from_bytes(bytes)
        .hyphenated()
        .encode_lower(&mut buf);
    // The id is cloned into the request's extensions and the response's
    // header and extensions. One allocation holds both the text and its
    // reference count, so those clones are free; a value copied from the
    // slice would allocate again on its first clone.
    let text: [u8; uuid::fmt::Hyphenated::LENGTH] = text.as_bytes().try_into().ok()?;
    HeaderValue::from_maybe_shared(bytes::Bytes::from_owner(text)).ok()
}

/// Sets `x-request-id` on requests that lack one and copies it to the response.
///
/// An id the client (or an upstream proxy) already sent is kept, as tower-http
/// does, so a trace can cross services, provided it looks like an id: at most
/// 128 characters of letters, digits, `-`, `_`, `.` and `:`. Anything else is
/// replaced by a fresh id, so a client cannot push arbitrary text into every
/// log line and audit record of its request.
///
/// ```
/// use rampart::core::{RequestIdLayer, request_id};
/// use tower::{ServiceExt, service_fn, Layer};
/// use http::{Request, Response};
///
/// # tokio_test_block_on(async {
/// let svc = RequestIdLayer::new().layer(service_fn(|req: Request<()>| async move {
///     let id = request_id(req.extensions()).unwrap_or_default().to_owned();
///     Ok::<_, std::convert::Infallible>(Response::new(id))
/// }));
/// let response = svc.oneshot(Request::new(())).await.unwrap();
/// let header = response.headers()["x-request-id"].to_str().unwrap().to_owned();
/// assert_eq!(response.body(), &header);
/// # });
/// # fn tokio_test_block_on<F: std::future::Future>(f: F) -> F::Output {
/// #     tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(f)
/// # }
/// ```
#[derive(Debug, Clone, Default)]
pub struct RequestIdLayer {
    _private: (),
}

impl RequestIdLayer {
    /// The layer with UUIDv7 ids in `x-request-id`.
    pub fn new() -> Self {
        Self::default()
    }
}

impl<S> Layer<S> for RequestIdLayer {
    type Service = RequestIdService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        let propagate = PropagateRequestIdLayer::new(REQUEST_ID_HEADER).layer(inner);
        RequestIdService {
            inner: SetRequestIdLayer::new(REQUEST_ID_HEADER, TimeOrderedRequestId).layer(propagate),
        }
    }
}

/// The service made by [`RequestIdLayer`]: drops an incoming id that does not
/// look like one, then lets tower-http set and propagate the header.
#[derive(Debug, Clone)]
pub struct RequestIdService<S> {
    inner: SetRequestId<PropagateRequestId<S>, TimeOrderedRequestId>,
}

impl<S, B, ResB> Service<Request<B>> for RequestIdService<S>
where
    S: Service<Request<B>, Response = http::Response<ResB>>,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future =
        <SetRequestId<PropagateRequestId<S>, TimeOrderedRequestId> as Service<Request<B>>>::Future;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut request: Request<B>) -> Self::Future {
        let acceptable = request
            .headers()
            .get(&REQUEST_ID_HEADER)
            .is_none_or(|id| is_acceptable_id(id.as_bytes()));
        if !acceptable {
            request.headers_mut().remove(&REQUEST_ID_HEADER);
        }
        self.inner.call(request)
    }
}

fn is_acceptable_id(id: &[u8]) -> bool {
    !id.is_empty()
        && id.len() <= 128
        && id
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b':'))
}

/// The request id stored in `extensions` by [`RequestIdLayer`], if any.
pub fn request_id(extensions: &http::Extensions) -> Option<&str> {
    extensions
        .get::<RequestId>()
        .and_then(|id| id.header_value().to_str().ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_distinct_version_7_uuids_in_time_order() {
        let ids: Vec<uuid::Uuid> = (0..1000)
            .map(|_| {
                let value = new_request_id().expect("an id");
                uuid::Uuid::parse_str(value.to_str().expect("ascii")).expect("a uuid")
            })
            .collect();
        assert!(ids.iter().all(|id| id.get_version_num() == 7));
        assert!(
            ids.iter()
                .all(|id| id.get_variant() == uuid::Variant::RFC4122)
        );
        let distinct: std::collections::HashSet<_> = ids.iter().collect();
        assert_eq!(distinct.len(), ids.len());
        assert!(
            ids.windows(2).all(|w| w[0] < w[1]),
            "ids are not in creation order"
        );
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .expect("after 1970")
            .as_secs();
        let (secs, _) = ids[999].get_timestamp().expect("v7 timestamp").to_unix();
        assert!(
            now.abs_diff(secs) <= 1,
            "timestamp {secs} is not now ({now})"
        );
    }

    #[test]
    fn the_order_survives_a_full_sequence_and_a_clock_set_back() {
        let state = AtomicU64::new(0);
        let far = 0xFFFF_0000_0000;
        let first = next_stamp(&state, far, u16::MAX);
        assert_eq!(first, (far, u16::MAX >> 1));
        let mut last = first;
        for _ in 0..70_000 {
            let next = next_stamp(&state, far, 0);
            assert!(next > last, "{next:?} after {last:?}");
            last = next;
        }
        assert_eq!(
            last.0,
            far + 1,
            "the sequence ran on into the next millisecond"
        );
        let back = next_stamp(&state, far - 5_000, 0);
        assert!(
            back > last,
            "a clock set back went back: {back:?} after {last:?}"
        );
    }

    #[tokio::test]
    async fn client_ids_are_kept_only_when_they_look_like_ids() {
        use tower::{ServiceExt, service_fn};
        let svc = RequestIdLayer::new().layer(service_fn(|req: Request<()>| async move {
            let id = request_id(req.extensions()).unwrap_or_default().to_owned();
            Ok::<_, std::convert::Infallible>(http::Response::new(id))
        }));
        let send = |id: &str| {
            let request = Request::builder()
                .header("x-request-id", id)
                .body(())
                .unwrap();
            svc.clone().oneshot(request)
        };
        let kept = send("trace-01J:abc.def_9").await.unwrap();
        assert_eq!(kept.body(), "trace-01J:abc.def_9");
        assert_eq!(kept.headers()["x-request-id"], "trace-01J:abc.def_9");
        let too_long = "x".repeat(129);
        for bad in ["has space", "quote\"", "<script>", too_long.as_str()] {
            let replaced = send(bad).await.unwrap();
            assert_eq!(replaced.body().len(), 36, "{bad:?} was kept");
            assert_eq!(replaced.headers()["x-request-id"], replaced.body().as_str());
        }
    }

    #[test]
    fn ids_are_unique_and_time_ordered() {
        let mut make = TimeOrderedRequestId;
        let request = Request::new(());
        let ids: Vec<String> = (0..1000)
            .map(|_| {
                let id = make.make_request_id(&request).unwrap();
                id.header_value().to_str().unwrap().to_owned()
            })
            .collect();
        let mut sorted = ids.clone();
        sorted.sort();
        sorted.dedup();
        assert_eq!(sorted.len(), ids.len(), "ids repeat");
        assert_eq!(sorted, ids, "ids are not in creation order");
        assert_eq!(ids[0].len(), 36);
    }
}
