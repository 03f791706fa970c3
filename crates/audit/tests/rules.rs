//! Threat rules and automated responses: thresholds fire exactly at their
//! count, windows slide, alerts are de-duplicated, memory stays bounded, and
//! in a log every alert and every response (failed ones included) lands in
//! the verified chain.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use rampart_audit::rules::{
    Alert, DistinctValues, Hours, KeyBy, OffHours, RateBaseline, Respond, ResponseTask, RuleEngine,
    SelfEscalation, Threshold,
};
use rampart_audit::{
    AuditEvent, AuditLog, FileSink, FileSinkOptions, HttpFacts, MemorySink, Outcome, SigningKey,
    SubjectKeys, VerifyOptions, types, verify,
};
use rampart_core::{ManualClock, ResponseAction, ResponseError, ResponseOutcome};
use serde_json::Value;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

const MIN: Duration = Duration::from_secs(60);
/// Monday 2024-01-01 10:00 UTC.
const START: u64 = 1_704_103_200;

fn engine(rule: impl rampart_audit::rules::Rule, clock: &ManualClock) -> RuleEngine {
    RuleEngine::builder()
        .clear_rules()
        .rule(rule)
        .clock(clock.shared())
        .build()
        .unwrap()
}

fn failure(subject: &str, ip: &str) -> AuditEvent {
    AuditEvent::new(types::AUTH_LOGIN_FAILURE)
        .subject(subject)
        .client_ip(ip)
}

/// Feeds `n` copies of `event`, returning every alert raised.
fn feed(engine: &mut RuleEngine, n: usize, event: impl Fn(usize) -> AuditEvent) -> Vec<Alert> {
    (0..n).flat_map(|i| engine.observe(&event(i))).collect()
}

type MakeEvent = Box<dyn Fn(usize) -> AuditEvent>;

#[test]
fn each_threshold_preset_fires_at_its_count_and_not_one_below() {
    let cases: Vec<(Threshold, u32, MakeEvent, &str)> = vec![
        (
            Threshold::failed_logins_per_subject(),
            5,
            Box::new(|i| failure("alice", &format!("198.51.100.{i}"))),
            types::SECURITY_ALERT_BRUTE_FORCE,
        ),
        (
            Threshold::failed_logins_per_ip(),
            20,
            Box::new(|i| failure(&format!("user{i}"), "203.0.113.9")),
            types::SECURITY_ALERT_BRUTE_FORCE,
        ),
        (
            Threshold::attack_detected(),
            1,
            Box::new(|_| AuditEvent::new(types::INPUT_ATTACK_DETECTED).client_ip("203.0.113.9")),
            types::SECURITY_ALERT_ATTACK,
        ),
        (
            Threshold::rate_limited_per_client(),
            10,
            Box::new(|_| AuditEvent::new(types::RATELIMIT_LIMITED).client_ip("203.0.113.9")),
            types::SECURITY_ALERT_RATE_LIMIT_ABUSE,
        ),
        (
            Threshold::denials_per_subject(),
            10,
            Box::new(|_| AuditEvent::new(types::AUTHZ_DENIED).subject("bob")),
            types::SECURITY_ALERT_REPEATED_DENIALS,
        ),
    ];
    for (rule, count, event, alert_type) in cases {
        let clock = ManualClock::at_unix(START);
        let mut e = engine(rule, &clock);
        let below = feed(&mut e, count as usize - 1, &event);
        assert!(below.is_empty(), "{alert_type}: fired below {count}");
        let at = e.observe(&event(count as usize));
        assert_eq!(at.len(), 1, "{alert_type}: did not fire at {count}");
        assert_eq!(at[0].alert_type, alert_type);
        assert_eq!((at[0].count, at[0].threshold), (count.into(), count.into()));
    }
}

#[test]
fn the_per_ip_rule_keys_on_the_address_and_reads_the_throttles_metadata_field() {
    let clock = ManualClock::at_unix(START);
    let mut e = engine(Threshold::failed_logins_per_ip(), &clock);
    // LoginThrottle events carry the address as metadata.
    let alerts = feed(&mut e, 20, |i| {
        AuditEvent::new(types::AUTH_LOGIN_FAILURE)
            .subject(format!("u{i}"))
            .meta("client_ip", "192.0.2.77")
    });
    assert_eq!(alerts.len(), 1);
    assert_eq!(alerts[0].client_ip.as_deref(), Some("192.0.2.77"));
    assert_eq!(alerts[0].key_by, Some(KeyBy::ClientIp));
    // Other addresses have their own counts.
    assert!(feed(&mut e, 19, |_| failure("x", "192.0.2.78")).is_empty());
}

#[test]
fn the_window_slides() {
    let clock = ManualClock::at_unix(START);
    let mut e = engine(Threshold::failed_logins_per_subject(), &clock);
    // Four failures a minute apart, then wait until the first has left the window.
    for _ in 0..4 {
        assert!(e.observe(&failure("alice", "192.0.2.1")).is_empty());
        clock.advance(MIN);
    }
    // t=4 min; the first (t=0) expires at t=15 min exactly.
    clock.advance(11 * MIN - Duration::from_millis(1));
    assert_eq!(
        e.observe(&failure("alice", "192.0.2.1")).len(),
        1,
        "the first failure still counts 1 ms before it leaves"
    );

    let clock = ManualClock::at_unix(START);
    let mut e = engine(Threshold::failed_logins_per_subject(), &clock);
    for _ in 0..4 {
        e.observe(&failure("alice", "192.0.2.1"));
        clock.advance(MIN);
    }
    clock.advance(11 * MIN);
    assert!(
        e.observe(&failure("alice", "192.0.2.1")).is_empty(),
        "the first failure has left the window: 4 in the window"
    );
    assert_eq!(e.observe(&failure("alice", "192.0.2.1")).len(), 1);
}

#[test]
fn one_alert_per_key_per_window_with_the_rest_folded_in() {
    let clock = ManualClock::at_unix(START);
    let mut e = engine(Threshold::failed_logins_per_subject(), &clock);
    let mut alerts = Vec::new();
    // 100 failures over 14 minutes: one alert.
    for _ in 0..100 {
        alerts.extend(e.observe(&failure("alice", "192.0.2.1")));
        clock.advance(Duration::from_millis(8_400));
    }
    assert_eq!(alerts.len(), 1);
    // Another key is not muted by alice's alert.
    assert_eq!(feed(&mut e, 5, |_| failure("bob", "192.0.2.1")).len(), 1);
    // The attack goes on past the window: one more alert, reporting what it folded in.
    // Alerted at 33.6 s, so muted until 933.6 s.
    clock.set_unix(START + 933);
    assert!(e.observe(&failure("alice", "192.0.2.1")).is_empty());
    clock.set_unix(START + 934);
    let next = e.observe(&failure("alice", "192.0.2.1"));
    assert_eq!(next.len(), 1);
    assert_eq!(next[0].suppressed, 96);
}

#[test]
fn attacks_without_an_address_still_alert() {
    let clock = ManualClock::at_unix(START);
    let mut e = engine(Threshold::attack_detected(), &clock);
    let alerts = e.observe(&AuditEvent::new(types::INPUT_ATTACK_DETECTED).subject("mallory"));
    assert_eq!(alerts.len(), 1);
    assert_eq!(alerts[0].client_ip, None, "no made-up address to block");
    assert_eq!(alerts[0].subject.as_deref(), Some("mallory"));
}

#[test]
fn the_memory_of_a_rule_stays_bounded_under_100k_distinct_keys() {
    let clock = ManualClock::at_unix(START);
    let mut e = engine(
        Threshold::failed_logins_per_subject().max_keys(10_000),
        &clock,
    );
    let stats = e.stats();
    // An attacker's four guesses at the victim, then a flood to push them out.
    for _ in 0..4 {
        e.observe(&failure("victim", "192.0.2.1"));
    }
    for i in 0..100_000 {
        e.observe(&failure(&format!("flood-{i}"), "192.0.2.2"));
        clock.advance(Duration::from_millis(1));
    }
    assert!(stats.tracked_keys() <= 10_000, "{}", stats.tracked_keys());
    assert!(stats.evicted_keys() >= 90_000);
    assert_eq!(stats.alerts(), 0);
    assert_eq!(
        e.observe(&failure("victim", "192.0.2.1")).len(),
        1,
        "the key with evidence survived the flood"
    );
}

#[test]
fn distinct_values_count_endpoints_tenants_and_records() {
    let clock = ManualClock::at_unix(START);
    let mut e = engine(DistinctValues::endpoints_per_subject(), &clock);
    let request = |route: String| {
        AuditEvent::new("http.request")
            .subject("scanner")
            .http(HttpFacts {
                method: "GET".into(),
                route,
                ..HttpFacts::default()
            })
    };
    // The same endpoint again and again is not scanning.
    assert!(feed(&mut e, 100, |_| request("/items".into())).is_empty());
    assert!(feed(&mut e, 28, |i| request(format!("/probe/{i}"))).is_empty());
    let alerts = e.observe(&request("/admin".into()));
    assert_eq!(alerts.len(), 1, "30 distinct endpoints");
    assert_eq!(alerts[0].alert_type, types::SECURITY_ALERT_SCANNING);
    let meta = serde_json::to_string(&alerts[0].to_event().metadata).unwrap();
    assert!(!meta.contains("/probe"), "values are not written: {meta}");

    let mut e = engine(DistinctValues::tenants_per_subject(), &clock);
    let act = |t: &str| AuditEvent::new(types::DATA_READ).subject("eve").tenant(t);
    assert!(e.observe(&act("a")).is_empty());
    assert!(e.observe(&act("b")).is_empty());
    assert!(e.observe(&act("a")).is_empty());
    assert_eq!(e.observe(&act("c")).len(), 1);

    let mut e = engine(DistinctValues::records_per_subject().limit(50), &clock);
    let read = |i: usize| {
        AuditEvent::new(types::DATA_READ)
            .subject("eve")
            .target("invoice", i.to_string())
    };
    assert!(feed(&mut e, 49, read).is_empty());
    // Values leave the window: 49 seen 16 minutes ago no longer count.
    clock.advance(16 * MIN);
    assert!(e.observe(&read(999)).is_empty());
    assert_eq!(feed(&mut e, 49, |i| read(1_000 + i)).len(), 1);
}

#[test]
fn a_rate_far_above_its_baseline_alerts_once_per_bucket() {
    let clock = ManualClock::at_unix(START);
    let rule = RateBaseline::new("surge", [types::AUTH_LOGIN_FAILURE])
        .factor(3.0)
        .minimum(5)
        .warmup(5);
    let mut e = engine(rule, &clock);
    // Ten a minute for ten minutes: the baseline settles at 10.
    for _ in 0..10 {
        assert!(feed(&mut e, 10, |_| failure("a", "192.0.2.1")).is_empty());
        clock.advance(MIN);
    }
    assert!(feed(&mut e, 29, |_| failure("a", "192.0.2.1")).is_empty());
    let alerts = feed(&mut e, 1, |_| failure("a", "192.0.2.1"));
    assert_eq!(alerts.len(), 1, "30 = 3 × 10");
    assert_eq!(alerts[0].threshold, 30);
    assert!(feed(&mut e, 100, |_| failure("a", "192.0.2.1")).is_empty());
    // Other types are not counted.
    assert!(feed(&mut e, 100, |_| AuditEvent::new(types::DATA_READ)).is_empty());
}

#[test]
fn no_baseline_alert_during_warmup_and_the_minimum_holds() {
    let clock = ManualClock::at_unix(START);
    let rule = RateBaseline::new("surge", ["*"]).minimum(20).warmup(2);
    let mut e = engine(rule, &clock);
    assert!(feed(&mut e, 1_000, |_| AuditEvent::new("x")).is_empty());
    clock.advance(MIN);
    clock.advance(MIN);
    clock.advance(MIN);
    // Baseline decayed over two empty buckets, but never below the minimum of 20.
    let alerts = feed(&mut e, 1, |_| AuditEvent::new("x"));
    assert!(alerts.is_empty());
    assert!(feed(&mut e, 10_000, |_| AuditEvent::new("x")).len() <= 1);
}

#[test]
fn off_hours_per_tenant_and_globally() {
    let clock = ManualClock::at_unix(START); // Monday 10:00 UTC
    let rule = OffHours::new(Some(Hours::new(8, 18)))
        .tenant("tokyo", Hours::new(9, 18).utc_offset_minutes(9 * 60));
    let mut e = engine(rule, &clock);
    let act = |s: &str, t: &str| AuditEvent::new(types::DATA_READ).subject(s).tenant(t);
    assert!(e.observe(&act("alice", "acme")).is_empty(), "10:00 UTC");
    let alerts = e.observe(&act("kenji", "tokyo"));
    assert_eq!(alerts.len(), 1, "19:00 in Tokyo");
    assert_eq!(alerts[0].alert_type, types::SECURITY_ALERT_OFF_HOURS);
    assert!(
        e.observe(&act("kenji", "tokyo")).is_empty(),
        "de-duplicated per subject"
    );
    clock.set_unix(START + 9 * 3600); // 19:00 UTC
    assert_eq!(e.observe(&act("alice", "acme")).len(), 1);
    assert!(
        e.observe(&AuditEvent::new(types::DATA_READ)).is_empty(),
        "no subject, no activity"
    );
}

#[test]
fn privilege_changes_on_ones_own_account_alert() {
    let clock = ManualClock::at_unix(START);
    let mut e = engine(SelfEscalation::new(), &clock);
    let grant = |actor: &str, target: &str| {
        AuditEvent::new(types::ADMIN_ROLE_GRANTED)
            .subject(actor)
            .target("role_binding", format!("{target}:admin"))
            .outcome(Outcome::Success)
    };
    assert!(e.observe(&grant("alice", "bob")).is_empty());
    let alerts = e.observe(&grant("mallory", "Mallory"));
    assert_eq!(alerts.len(), 1);
    assert_eq!(
        alerts[0].alert_type,
        types::SECURITY_ALERT_PRIVILEGE_ESCALATION
    );
    assert_eq!(alerts[0].subject.as_deref(), Some("mallory"));
    assert!(
        e.observe(
            &AuditEvent::new("admin.permission.added")
                .subject("eve")
                .meta("target_subject", "eve")
        )
        .len()
            == 1
    );
    // Not a role change: ignored.
    assert!(
        e.observe(
            &AuditEvent::new(types::DATA_WRITE)
                .subject("eve")
                .target("user", "eve")
        )
        .is_empty()
    );
}

#[test]
fn bad_settings_are_refused_at_build_naming_the_rule() {
    let err = |b: rampart_audit::rules::RuleEngineBuilder| b.build().unwrap_err().to_string();
    let e = err(RuleEngine::builder().respond_to("typo", Respond::RevokeTokens));
    assert!(e.contains("typo"), "{e}");
    let e = err(RuleEngine::builder().rule(Threshold::failed_logins_per_ip()));
    assert!(e.contains("two rules"), "{e}");
    let e = err(RuleEngine::builder().clear_rules().rule(Threshold::new(
        "zero",
        ["x"],
        KeyBy::Subject,
        0,
        MIN,
    )));
    assert!(e.contains("zero"), "{e}");
    let e = err(RuleEngine::builder().clear_rules().rule(Threshold::new(
        "glob",
        ["auth*"],
        KeyBy::Subject,
        1,
        MIN,
    )));
    assert!(e.contains("auth*"), "{e}");
    let e = err(RuleEngine::builder()
        .clear_rules()
        .rule(OffHours::new(None)));
    assert!(e.contains("no hours"), "{e}");
    let e = err(RuleEngine::builder()
        .clear_rules()
        .rule(RateBaseline::new("b", ["*"]).factor(f64::NAN)));
    assert!(e.contains("factor"), "{e}");
    let e = err(RuleEngine::builder()
        .respond_to("failed_logins_per_ip", Respond::BlockClient(Duration::ZERO)));
    assert!(e.contains("duration"), "{e}");
}

#[test]
fn alert_handlers_hear_every_alert() {
    let heard = Arc::new(Mutex::new(Vec::new()));
    let h = heard.clone();
    let mut e = RuleEngine::builder()
        .alert_handler(move |a: &Alert| h.lock().unwrap().push(a.alert_type.clone()))
        .build()
        .unwrap();
    e.observe(&AuditEvent::new(types::INPUT_ATTACK_DETECTED).client_ip("192.0.2.1"));
    assert_eq!(*heard.lock().unwrap(), [types::SECURITY_ALERT_ATTACK]);
}

// ---- in a log ----

type Calls = Arc<Mutex<Vec<ResponseAction>>>;

fn recording(calls: &Calls) -> impl rampart_core::SecurityResponder + use<> {
    let calls = calls.clone();
    move |action: ResponseAction| {
        let calls = calls.clone();
        async move {
            calls.lock().unwrap().push(action.clone());
            Ok(ResponseOutcome::Applied {
                detail: format!("{} done", action.kind()),
            })
        }
    }
}

fn dir(name: &str) -> PathBuf {
    let d = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("rules-{name}"));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn records(lines: &[String]) -> Vec<Value> {
    lines
        .iter()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .filter(|v| v.get("checkpoint").is_none())
        .map(|v| v["event"].clone())
        .collect()
}

fn of_type<'a>(events: &'a [Value], t: &str) -> Vec<&'a Value> {
    events.iter().filter(|e| e["type"] == t).collect()
}

#[test]
fn alerts_and_responses_land_in_the_verified_chain() {
    let d = dir("chain");
    let path = d.join("audit.jsonl");
    let (key, _) = SigningKey::generate().unwrap();
    let public = key.verifying_key();
    let calls = Calls::default();
    let rules = RuleEngine::builder()
        .recommended_responses()
        .responder(recording(&calls))
        .build()
        .unwrap();
    let stats = rules.stats();
    let log = AuditLog::builder(FileSink::new(&path, FileSinkOptions::default()), key)
        .rules(rules)
        .build()
        .unwrap();
    for i in 0..20 {
        log.record(failure(&format!("user{i}"), "203.0.113.9"))
            .unwrap();
    }
    for _ in 0..5 {
        log.record(failure("alice", "198.51.100.1")).unwrap();
    }
    log.record(
        AuditEvent::new(types::ADMIN_ROLE_GRANTED)
            .subject("mallory")
            .target("role_binding", "mallory:admin"),
    )
    .unwrap();
    log.flush().unwrap();
    let mut got = calls.lock().unwrap().clone();
    got.sort_by_key(|a| a.kind());
    assert_eq!(
        got,
        [
            ResponseAction::BlockClient {
                ip: "203.0.113.9".parse().unwrap(),
                duration: Duration::from_secs(3600)
            },
            ResponseAction::LockAccount {
                subject: "alice".into(),
                duration: Duration::from_secs(1800)
            },
            ResponseAction::RevokeTokens {
                subject: "mallory".into()
            },
        ]
    );
    log.shutdown().unwrap();
    let lines: Vec<String> = std::fs::read_to_string(&path)
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect();
    let events = records(&lines);
    assert_eq!(of_type(&events, types::SECURITY_ALERT_BRUTE_FORCE).len(), 2);
    assert_eq!(
        of_type(&events, types::SECURITY_ALERT_PRIVILEGE_ESCALATION).len(),
        1
    );
    let block = of_type(&events, types::SECURITY_RESPONSE_BLOCK_CLIENT);
    assert_eq!(block.len(), 1);
    assert_eq!(block[0]["outcome"], "success");
    assert_eq!(block[0]["client"]["ip"], "203.0.113.9");
    assert_eq!(block[0]["metadata"]["duration_secs"], 3600);
    assert_eq!(block[0]["reason"], "block_client done");
    // The response names the alert it answers, which precedes it in the chain.
    let alert_id = block[0]["metadata"]["alert_id"].as_str().unwrap();
    let alert_pos = events.iter().position(|e| e["id"] == alert_id).unwrap();
    let block_pos = events.iter().position(|e| e == block[0]).unwrap();
    assert!(alert_pos < block_pos);
    assert_eq!(
        of_type(&events, types::SECURITY_RESPONSE_LOCK_ACCOUNT)[0]["actor"]["subject"],
        "alice"
    );
    assert_eq!(
        of_type(&events, types::SECURITY_RESPONSE_REVOKE_TOKENS).len(),
        1
    );
    assert_eq!(stats.alerts(), 3);
    assert_eq!(stats.responses_applied(), 3);
    let m = log.metrics();
    assert_eq!(m.written, m.enqueued, "{m:?}");
    assert_eq!(m.written, 26 + 3 + 3);
    let report = verify(
        &path,
        &public,
        VerifyOptions::default().require_sealed(true),
    )
    .unwrap();
    assert!(report.ok, "{:?}", report.failure);
    assert_eq!(report.events, 32);
}

#[test]
fn a_failing_responder_is_recorded_as_failed_and_the_pipeline_goes_on() {
    let calls = Calls::default();
    let failing = |_: ResponseAction| async {
        Err::<ResponseOutcome, _>(ResponseError("revocation store unreachable".into()))
    };
    let panicking = |_: ResponseAction| async {
        if true {
            panic!("responder bug");
        }
        Ok(ResponseOutcome::Unsupported)
    };
    let rules = RuleEngine::builder()
        .respond_to("attack_detected", Respond::BlockClient(MIN))
        .responder(failing)
        .responder(panicking)
        .responder(recording(&calls))
        .build()
        .unwrap();
    let stats = rules.stats();
    let sink = MemorySink::new();
    let (key, _) = SigningKey::generate().unwrap();
    let log = AuditLog::builder(sink.clone(), key)
        .rules(rules)
        .build()
        .unwrap();
    log.record(AuditEvent::new(types::INPUT_ATTACK_DETECTED).client_ip("192.0.2.5"))
        .unwrap();
    log.flush().unwrap();
    for i in 0..10 {
        log.record(AuditEvent::new(types::DATA_READ).subject(format!("u{i}")))
            .unwrap();
    }
    log.shutdown().unwrap();
    let events = records(&sink.lines());
    let responses = of_type(&events, types::SECURITY_RESPONSE_BLOCK_CLIENT);
    assert_eq!(responses.len(), 3, "one per responder");
    let outcomes: Vec<(&str, &str)> = responses
        .iter()
        .map(|r| {
            (
                r["outcome"].as_str().unwrap(),
                r["reason"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        outcomes[0],
        ("failure", "response failed: revocation store unreachable")
    );
    assert_eq!(
        outcomes[1],
        ("failure", "response failed: the responder panicked")
    );
    assert_eq!(outcomes[2].0, "success", "later responders still ran");
    assert_eq!(calls.lock().unwrap().len(), 1);
    assert_eq!(of_type(&events, types::DATA_READ).len(), 10);
    assert_eq!(
        (stats.responses_failed(), stats.responses_applied()),
        (2, 1)
    );
}

#[test]
fn a_slow_responder_times_out_without_holding_up_the_trail() {
    let slow = |_: ResponseAction| std::future::pending::<Result<ResponseOutcome, ResponseError>>();
    let rules = RuleEngine::builder()
        .respond_to("attack_detected", Respond::BlockClient(MIN))
        .responder(slow)
        .response_timeout(Duration::from_secs(2))
        .build()
        .unwrap();
    let sink = MemorySink::new();
    let (key, _) = SigningKey::generate().unwrap();
    let log = AuditLog::builder(sink.clone(), key)
        .rules(rules)
        .build()
        .unwrap();
    log.record(AuditEvent::new(types::INPUT_ATTACK_DETECTED).client_ip("192.0.2.5"))
        .unwrap();
    // Events keep being written while the responder hangs.
    for i in 0..50 {
        log.record(AuditEvent::new(types::DATA_READ).subject(format!("u{i}")))
            .unwrap();
    }
    let started = std::time::Instant::now();
    while records(&sink.lines()).len() < 52 {
        assert!(started.elapsed() < Duration::from_secs(1), "writer held up");
        std::thread::sleep(Duration::from_millis(1));
    }
    log.shutdown().unwrap();
    let events = records(&sink.lines());
    let r = of_type(&events, types::SECURITY_RESPONSE_BLOCK_CLIENT);
    assert_eq!(r.len(), 1);
    assert_eq!(r[0]["outcome"], "failure");
    assert!(r[0]["reason"].as_str().unwrap().contains("within 2000 ms"));
}

#[test]
fn unusable_alerts_and_missing_responders_are_recorded_not_dropped() {
    let rules = RuleEngine::builder()
        .respond_to("attack_detected", Respond::BlockClient(MIN))
        .respond_to("denials_per_subject", Respond::RevokeTokens)
        .build()
        .unwrap();
    let sink = MemorySink::new();
    let (key, _) = SigningKey::generate().unwrap();
    let log = AuditLog::builder(sink.clone(), key)
        .rules(rules)
        .build()
        .unwrap();
    // The address is whatever the application wrote: here not an address.
    log.record(AuditEvent::new(types::INPUT_ATTACK_DETECTED).client_ip("<script>"))
        .unwrap();
    for _ in 0..10 {
        log.record(AuditEvent::new(types::AUTHZ_DENIED).subject("bob"))
            .unwrap();
    }
    log.shutdown().unwrap();
    let events = records(&sink.lines());
    let block = of_type(&events, types::SECURITY_RESPONSE_BLOCK_CLIENT);
    assert_eq!(block[0]["outcome"], "failure");
    assert!(
        block[0]["reason"]
            .as_str()
            .unwrap()
            .contains("not an IP address")
    );
    let revoke = of_type(&events, types::SECURITY_RESPONSE_REVOKE_TOKENS);
    assert_eq!(revoke[0]["outcome"], "failure");
    assert_eq!(revoke[0]["reason"], "no responder takes this action");
}

#[test]
fn alerts_and_responses_about_a_subject_are_erased_with_them() {
    let calls = Calls::default();
    let rules = RuleEngine::builder()
        .respond_to("failed_logins_per_subject", Respond::RevokeTokens)
        .responder(recording(&calls))
        .build()
        .unwrap();
    let sink = MemorySink::new();
    let (key, _) = SigningKey::generate().unwrap();
    let log = AuditLog::builder(sink.clone(), key)
        .subject_keys(SubjectKeys::in_memory())
        .rules(rules)
        .build()
        .unwrap();
    for _ in 0..5 {
        log.record(failure("alice@example.com", "198.51.100.1"))
            .unwrap();
    }
    log.shutdown().unwrap();
    assert_eq!(
        calls.lock().unwrap().len(),
        1,
        "rules saw the clear subject"
    );
    let lines = sink.lines().join("\n");
    assert!(lines.contains(types::SECURITY_ALERT_BRUTE_FORCE));
    assert!(lines.contains(types::SECURITY_RESPONSE_REVOKE_TOKENS));
    assert!(!lines.contains("alice@example.com"), "{lines}");
    assert!(!lines.contains("198.51.100.1"));
}

#[test]
fn responses_run_on_a_given_executor() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let handle = runtime.handle().clone();
    let calls = Calls::default();
    let c = calls.clone();
    // A responder whose future needs the runtime (a timer).
    let needs_runtime = move |action: ResponseAction| {
        let c = c.clone();
        async move {
            tokio::task::yield_now().await;
            c.lock().unwrap().push(action);
            Ok(ResponseOutcome::Applied {
                detail: "ok".into(),
            })
        }
    };
    let panics = |_: ResponseAction| async {
        if true {
            panic!("bug");
        }
        Ok(ResponseOutcome::Unsupported)
    };
    let rules = RuleEngine::builder()
        .respond_to("attack_detected", Respond::BlockClient(MIN))
        .responder(needs_runtime)
        .responder(panics)
        .spawn_with(move |task: ResponseTask| {
            handle.spawn(task);
        })
        .build()
        .unwrap();
    let sink = MemorySink::new();
    let (key, _) = SigningKey::generate().unwrap();
    let log = AuditLog::builder(sink.clone(), key)
        .rules(rules)
        .build()
        .unwrap();
    log.record(AuditEvent::new(types::INPUT_ATTACK_DETECTED).client_ip("192.0.2.5"))
        .unwrap();
    log.flush().unwrap();
    assert_eq!(calls.lock().unwrap().len(), 1);
    log.shutdown().unwrap();
    let events = records(&sink.lines());
    let r = of_type(&events, types::SECURITY_RESPONSE_BLOCK_CLIENT);
    assert_eq!(r.len(), 2, "{r:?}");
    assert_eq!(r[0]["outcome"], "success");
    assert_eq!(r[1]["outcome"], "failure", "a panicking task still reports");
}

#[test]
fn a_flood_of_alerts_beyond_the_response_queue_is_recorded_as_failed() {
    let gate = Arc::new(std::sync::Barrier::new(2));
    let g = gate.clone();
    let first = Arc::new(std::sync::atomic::AtomicBool::new(true));
    let blocking = move |_: ResponseAction| {
        let (g, first) = (g.clone(), first.clone());
        async move {
            if first.swap(false, std::sync::atomic::Ordering::SeqCst) {
                g.wait();
            }
            Ok(ResponseOutcome::Applied {
                detail: "ok".into(),
            })
        }
    };
    let rules = RuleEngine::builder()
        .respond_to("attack_detected", Respond::BlockClient(MIN))
        .responder(blocking)
        .response_queue(4)
        .build()
        .unwrap();
    let sink = MemorySink::new();
    let (key, _) = SigningKey::generate().unwrap();
    let log = AuditLog::builder(sink.clone(), key)
        .rules(rules)
        .build()
        .unwrap();
    for i in 0..10 {
        log.record(AuditEvent::new(types::INPUT_ATTACK_DETECTED).client_ip(format!("192.0.2.{i}")))
            .unwrap();
    }
    // Wait until all ten alerts are written, then let the responder go.
    while of_type(&records(&sink.lines()), types::SECURITY_ALERT_ATTACK).len() < 10 {
        std::thread::sleep(Duration::from_millis(1));
    }
    gate.wait();
    log.shutdown().unwrap();
    let events = records(&sink.lines());
    let r = of_type(&events, types::SECURITY_RESPONSE_BLOCK_CLIENT);
    assert_eq!(r.len(), 10, "every alert's response is recorded");
    let failed = r.iter().filter(|e| e["outcome"] == "failure").count();
    assert_eq!(failed, 6, "four fit the queue");
    assert!(
        r.iter()
            .any(|e| e["reason"].as_str().unwrap().contains("too many responses"))
    );
}

#[test]
fn the_real_responders_block_the_address_and_lock_the_account() {
    use rampart_auth::revocation::{RevocationStore, Revoked, TokenRef};
    use rampart_auth::{MemoryStore, RevocationResponder};
    use rampart_ratelimit::LoginThrottle;

    let clock = ManualClock::at_unix(START);
    let throttle = LoginThrottle::builder()
        .clock(clock.shared())
        .build()
        .unwrap();
    let store = Arc::new(MemoryStore::new(clock.shared()));
    let revocation = RevocationResponder::new(store.clone(), Duration::from_secs(86_400))
        .unwrap()
        .clock(clock.shared());
    let rules = RuleEngine::builder()
        .recommended_responses()
        .responder(throttle.clone())
        .responder(revocation)
        .clock(clock.shared())
        .build()
        .unwrap();
    let sink = MemorySink::new();
    let (key, _) = SigningKey::generate().unwrap();
    let log = AuditLog::builder(sink.clone(), key)
        .rules(rules)
        .build()
        .unwrap();
    for i in 0..20 {
        log.record(failure(&format!("user{i}"), "203.0.113.9"))
            .unwrap();
    }
    for _ in 0..5 {
        log.record(failure("alice", "198.51.100.1")).unwrap();
    }
    log.shutdown().unwrap();

    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    rt.block_on(async {
        assert!(
            !throttle
                .check("anyone", "203.0.113.9".parse().unwrap())
                .await
                .is_allowed()
        );
        assert!(
            throttle
                .check("anyone", "203.0.113.8".parse().unwrap())
                .await
                .is_allowed()
        );
        let t = TokenRef {
            subject: "alice",
            jti: Some("j"),
            family: None,
            issued_at: START,
        };
        assert_eq!(store.check(t, START).await.unwrap(), Some(Revoked::Subject));
    });
    let events = records(&sink.lines());
    for t in [
        types::SECURITY_RESPONSE_BLOCK_CLIENT,
        types::SECURITY_RESPONSE_LOCK_ACCOUNT,
    ] {
        let r = of_type(&events, t);
        assert_eq!(
            r.len(),
            1,
            "{t}: one event, from the responder that took it"
        );
        assert_eq!(r[0]["outcome"], "success", "{t}");
    }
    assert_eq!(
        of_type(&events, types::SECURITY_RESPONSE_BLOCK_CLIENT)[0]["metadata"]["responder"],
        "rampart::ratelimit::LoginThrottle"
    );
    assert_eq!(
        of_type(&events, types::SECURITY_RESPONSE_LOCK_ACCOUNT)[0]["metadata"]["responder"],
        "rampart::auth::RevocationResponder"
    );
}

#[test]
fn concurrent_writers_get_one_alert_per_key_and_a_contiguous_chain() {
    let rules = RuleEngine::builder().build().unwrap();
    let stats = rules.stats();
    let sink = MemorySink::new();
    let (key, _) = SigningKey::generate().unwrap();
    let log = AuditLog::builder(sink.clone(), key)
        .rules(rules)
        .build()
        .unwrap();
    let threads: Vec<_> = (0..8)
        .map(|t| {
            let log = log.clone();
            std::thread::spawn(move || {
                for _ in 0..5 {
                    log.record(failure(&format!("user{t}"), "203.0.113.9"))
                        .unwrap();
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    log.shutdown().unwrap();
    let lines = sink.lines();
    let all: Vec<Value> = lines
        .iter()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .filter(|v| v.get("checkpoint").is_none())
        .collect();
    let seqs: Vec<u64> = all.iter().map(|r| r["seq"].as_u64().unwrap()).collect();
    assert_eq!(seqs, (1..=seqs.len() as u64).collect::<Vec<_>>());
    let events: Vec<Value> = all.into_iter().map(|r| r["event"].clone()).collect();
    let alerts = of_type(&events, types::SECURITY_ALERT_BRUTE_FORCE);
    let per_ip = alerts
        .iter()
        .filter(|a| a["metadata"]["key_by"] == "client_ip")
        .count();
    assert_eq!((alerts.len(), per_ip), (9, 1), "8 subjects and 1 address");
    assert_eq!(stats.alerts(), 9);
    assert_eq!(events.len(), 40 + 9);
}
