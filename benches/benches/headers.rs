//! Security headers: rampart's single layer beside an equivalent stack of
//! tower-http `SetResponseHeader` layers setting the same headers.

use criterion::{Criterion, criterion_group, criterion_main};
use http::{Request, Response};
use rampart_headers::{SecurityHeaders, SecurityHeadersLayer};
use std::convert::Infallible;
use std::future::Future;
use std::hint::black_box;
use std::pin::pin;
use std::task::{Context, Poll, Waker};
use tower::util::BoxCloneService;
use tower::{Layer, Service, ServiceBuilder, ServiceExt, service_fn};
use tower_http::set_header::SetResponseHeaderLayer;

type Svc = BoxCloneService<Request<()>, Response<()>, Infallible>;

fn handler() -> Svc {
    BoxCloneService::new(service_fn(|_req: Request<()>| async {
        Ok::<_, Infallible>(Response::new(()))
    }))
}

/// Drives a service whose future is ready at once, without a runtime.
fn call(svc: &mut Svc) -> Response<()> {
    let mut cx = Context::from_waker(Waker::noop());
    let ready = pin!(svc.ready());
    let Poll::Ready(Ok(svc)) = ready.poll(&mut Context::from_waker(Waker::noop())) else {
        unreachable!("service_fn is always ready")
    };
    let mut fut = pin!(svc.call(Request::new(())));
    match fut.as_mut().poll(&mut cx) {
        Poll::Ready(Ok(response)) => response,
        _ => unreachable!("the handler answers at once"),
    }
}

/// The same headers as thirteen nested tower-http layers, boxed once like the
/// rampart service, so both sides pay for the same allocations.
fn tower_http_stack(headers: &SecurityHeaders) -> Svc {
    let layers: Vec<_> = headers
        .fixed_headers()
        .map(|(name, value)| SetResponseHeaderLayer::if_not_present(name.clone(), value.clone()))
        .collect();
    let [a, b, c, d, e, f, g, h, i, j, k, l, m] = <[_; 13]>::try_from(layers)
        .unwrap_or_else(|v| panic!("the api preset has 13 fixed headers, not {}", v.len()));
    BoxCloneService::new(
        ServiceBuilder::new()
            .layer(a)
            .layer(b)
            .layer(c)
            .layer(d)
            .layer(e)
            .layer(f)
            .layer(g)
            .layer(h)
            .layer(i)
            .layer(j)
            .layer(k)
            .layer(l)
            .layer(m)
            .service(handler()),
    )
}

fn bench_headers(c: &mut Criterion) {
    let api = SecurityHeaders::api()
        .build()
        .expect("the api preset is valid");
    let header_count = api.fixed_headers().count();
    let mut group = c.benchmark_group(format!("security_headers/{header_count}_headers"));

    let mut rampart = BoxCloneService::new(SecurityHeadersLayer::new(api.clone()).layer(handler()));
    group.bench_function("rampart", |b| b.iter(|| black_box(call(&mut rampart))));

    let mut anchor = tower_http_stack(&api);
    group.bench_function("tower_http_set_response_header", |b| {
        b.iter(|| black_box(call(&mut anchor)))
    });

    let spa = SecurityHeaders::spa()
        .build()
        .expect("the spa preset is valid");
    let mut with_nonce = BoxCloneService::new(SecurityHeadersLayer::new(spa).layer(handler()));
    group.bench_function("rampart_spa_with_nonce", |b| {
        b.iter(|| black_box(call(&mut with_nonce)))
    });
    group.finish();
}

criterion_group!(benches, bench_headers);
criterion_main!(benches);
