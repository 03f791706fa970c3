//! Every step of a signing key rotation is a `ConfigurationChanged` event
//! naming its change, so the audit trail records it as a key rotation rather
//! than as some configuration change.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use rampart_auth::{Algorithm, KeyRotation, KeySet, SigningKey};
use rampart_core::{CHANGE_SIGNING_KEY, EventKind, ManualClock, MemorySink};
use std::sync::Arc;
use std::time::Duration;

#[test]
fn each_rotation_step_names_the_signing_key_change() {
    let clock = ManualClock::at_unix(1_700_000_000);
    let sink = MemorySink::new();
    let keys = KeySet::new(SigningKey::generate(Algorithm::EdDSA).unwrap());
    let rotation = KeyRotation::builder(keys)
        .rotate_after(Duration::from_secs(86_400))
        .publish_delay(Duration::from_secs(60))
        .retire_after(Duration::from_secs(3600))
        .clock(clock.shared())
        .event_sink(Arc::new(sink.clone()))
        .build()
        .unwrap();
    for step in [86_400, 60, 3600] {
        clock.advance(Duration::from_secs(step));
        rotation.tick().unwrap();
    }
    let events = sink.events();
    let steps: Vec<_> = events
        .iter()
        .map(|e| {
            assert_eq!(e.kind, EventKind::ConfigurationChanged);
            assert_eq!(e.source, "rampart::auth");
            assert_eq!(e.fields["change"], CHANGE_SIGNING_KEY);
            assert!(!e.fields["kid"].as_str().unwrap().is_empty());
            assert_eq!(e.fields["algorithm"], "EdDSA");
            e.fields["step"].as_str().unwrap()
        })
        .collect();
    assert_eq!(steps, ["publish", "activate", "retire"]);
}
