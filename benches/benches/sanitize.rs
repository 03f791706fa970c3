//! Input detectors: rampart's tokenizing detectors beside a `regex::RegexSet`
//! of the naive patterns such filters start from, on the attack corpora and
//! on 1 KiB of benign JSON; and the `InputGuard` layer on a request with a
//! 1 KiB JSON body beside the bare service.

use bytes::Bytes;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use flate2::read::GzDecoder;
use http::{Request, Response};
use http_body_util::Full;
use rampart_sanitize::{Detectors, InputGuard, InputGuardLayer, Strictness};
use regex::RegexSet;
use std::convert::Infallible;
use std::future::Future;
use std::hint::black_box;
use std::io::Read;
use std::pin::pin;
use std::task::{Context, Poll, Waker};
use tower::util::BoxCloneService;
use tower::{Layer, Service, ServiceExt, service_fn};

/// The naive single-pattern filters the detectors replace.
const NAIVE: &[&str] = &[
    r"(?i)\bor\b\s+1=1",
    r"--",
    r"(?i)union\s+all\s+select",
    r"(?i)union\s+select",
    r"(?i)<script",
    r"(?i)javascript:",
    r"(?i)\bon[a-z]+\s*=",
    r"\.\./",
    r"\.\.\\",
    r"(?i);\s*(cat|ls|id|whoami|rm)\b",
    r"(?i)\|\s*(cat|ls|id|whoami)\b",
    r"%00",
    r"\$where",
    r"\r\n",
];

fn corpus(name: &str) -> Vec<String> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../testdata/sanitize")
        .join(name);
    let raw = std::fs::read(&path).expect("corpus file");
    let text = if name.ends_with(".gz") {
        let mut s = String::new();
        GzDecoder::new(&raw[..])
            .read_to_string(&mut s)
            .expect("gzip");
        s
    } else {
        String::from_utf8(raw).expect("utf-8")
    };
    text.lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter_map(|v| v["payload"].as_str().map(str::to_owned))
        .collect()
}

/// About 1 KiB of ordinary JSON: a shop order with names, an address and a note.
fn benign_json() -> String {
    let mut items = Vec::new();
    for i in 0..13 {
        items.push(serde_json::json!({
            "sku": format!("SKU-{i:04}"),
            "name": "O'Brien's hand-made mug, 350 ml",
            "qty": i + 1,
        }));
    }
    let doc = serde_json::json!({
        "customer": {"name": "Miles O'Brien", "email": "miles.obrien@example.com"},
        "address": "1 Main St., Apt. 4 - Springfield",
        "note": "Please ring twice; leave it with the neighbour & text me.",
        "items": items,
    });
    let s = doc.to_string();
    assert!(
        (900..1400).contains(&s.len()),
        "benign JSON is {} bytes",
        s.len()
    );
    s
}

fn bench_scan(c: &mut Criterion) {
    let detectors = Detectors::new(Strictness::Default);
    let naive = RegexSet::new(NAIVE).expect("patterns compile");
    let sets = [
        ("sqli_libinjection", corpus("libinjection_sqli.jsonl.gz")),
        ("xss_libinjection", corpus("libinjection_xss.jsonl")),
        ("benign_httpparams", corpus("httpparams_train_benign.jsonl")),
        ("benign_json_1kib", vec![benign_json()]),
    ];
    for (name, payloads) in &sets {
        let bytes: usize = payloads.iter().map(String::len).sum();
        let mut group = c.benchmark_group(format!("scan/{name}"));
        group.throughput(Throughput::Bytes(bytes as u64));
        group.bench_function("rampart_detectors", |b| {
            b.iter(|| {
                payloads
                    .iter()
                    .filter(|p| detectors.scan(black_box(p)).is_some())
                    .count()
            })
        });
        group.bench_function("regex_set_naive", |b| {
            b.iter(|| {
                payloads
                    .iter()
                    .filter(|p| naive.is_match(black_box(p)))
                    .count()
            })
        });
        group.finish();
    }
}

type Svc = BoxCloneService<Request<Full<Bytes>>, Response<Full<Bytes>>, Infallible>;

fn handler() -> Svc {
    BoxCloneService::new(service_fn(|_req: Request<Full<Bytes>>| async {
        Ok::<_, Infallible>(Response::new(Full::new(Bytes::new())))
    }))
}

/// Drives a service whose futures complete without waiting, without a runtime.
fn call(svc: &mut Svc, body: &Bytes) -> Response<Full<Bytes>> {
    let mut cx = Context::from_waker(Waker::noop());
    let mut ready = pin!(svc.ready());
    let svc = loop {
        if let Poll::Ready(r) = ready.as_mut().poll(&mut cx) {
            break r.expect("infallible");
        }
    };
    let request = Request::post("/items")
        .header("content-type", "application/json")
        .body(Full::new(body.clone()))
        .expect("request");
    let mut fut = pin!(svc.call(request));
    loop {
        if let Poll::Ready(r) = fut.as_mut().poll(&mut cx) {
            return r.expect("infallible");
        }
    }
}

fn bench_layer(c: &mut Criterion) {
    let body = Bytes::from(benign_json());
    let mut group = c.benchmark_group("input_guard/json_1kib");
    let guard = InputGuard::builder().build().expect("default guard");
    let mut guarded: Svc = BoxCloneService::new(InputGuardLayer::new(guard).layer(handler()));
    assert_eq!(call(&mut guarded, &body).status(), 200);
    group.bench_function("rampart_input_guard", |b| {
        b.iter(|| black_box(call(&mut guarded, &body)))
    });
    let mut bare = handler();
    group.bench_function("bare_service", |b| {
        b.iter(|| black_box(call(&mut bare, &body)))
    });
    group.finish();
}

criterion_group!(benches, bench_scan, bench_layer);
criterion_main!(benches);
