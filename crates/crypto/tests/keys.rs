//! Key lifecycle: rotation by age and usage with events, envelope storage,
//! and tenant isolation.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use rampart_core::{EventKind, ManualClock, MemorySink, Severity};
use rampart_crypto::{
    CHANGE_ENCRYPTION_KEY, ConfigError, Context, CryptoError, FieldCipher, FieldKey, KeyProvider,
    KeyRotation, KeyStatus, Keyring, LocalMasterKey, TenantKeys,
};
use std::sync::Arc;
use std::time::Duration;

const DAY: u64 = 24 * 3600;
const T0: u64 = 1_700_000_000;

#[test]
fn rotates_by_age_on_the_clock_and_reports_each_step() {
    let clock = ManualClock::at_unix(T0);
    let ring = Keyring::new_at(1, FieldKey::generate().unwrap(), T0).unwrap();
    let sink = MemorySink::new();
    let rotation = KeyRotation::builder(ring.clone())
        .rotate_after(Duration::from_secs(30 * DAY))
        .clock(clock.shared())
        .event_sink(Arc::new(sink.clone()))
        .build()
        .unwrap();
    let cipher = FieldCipher::new(ring.clone());
    let ctx = Context::new("user", "ssn", "1");
    let before = cipher.encrypt(&ctx, b"v").unwrap();

    clock.advance(Duration::from_secs(30 * DAY - 1));
    assert_eq!(rotation.tick().unwrap(), None);
    clock.advance(Duration::from_secs(1));
    let done = rotation.tick().unwrap().unwrap();
    assert_eq!((done.previous_key_id, done.new_key_id), (1, 2));
    assert!(done.stored.is_none());
    assert_eq!(rotation.tick().unwrap(), None, "the new key is fresh");
    let listed = ring.list();
    assert_eq!(listed[1].created_at_unix, T0 + 30 * DAY);
    assert_eq!(listed[0].status, KeyStatus::DecryptOnly);

    let events = sink.take();
    assert_eq!(events.len(), 1);
    let e = &events[0];
    assert_eq!(e.kind, EventKind::ConfigurationChanged);
    assert_eq!(e.severity, Severity::Info);
    assert_eq!(e.at_unix_ms, (T0 + 30 * DAY) * 1000);
    assert_eq!(e.fields["change"], CHANGE_ENCRYPTION_KEY);
    assert_eq!(e.fields["step"], "rotated");
    assert_eq!(e.fields["kid"], "2");
    assert_eq!(e.fields["previous_kid"], "1");
    assert_eq!(e.fields["trigger"], "age");

    // Old fields decrypt, get re-encrypted, and then the old key is retired.
    let after = cipher.reencrypt(&ctx, &before).unwrap().unwrap();
    rotation.retire(1).unwrap();
    assert_eq!(sink.take()[0].fields["step"], "retired");
    assert_eq!(
        cipher.decrypt(&ctx, &before),
        Err(CryptoError::RetiredKey(1))
    );
    assert_eq!(&*cipher.decrypt(&ctx, &after).unwrap(), b"v");
    assert_eq!(rotation.retire(2), Err(ConfigError::RetirePrimary(2)));
    assert!(
        sink.events().is_empty(),
        "a refused retirement is not reported"
    );

    clock.advance(Duration::from_secs(30 * DAY));
    assert_eq!(rotation.tick().unwrap().unwrap().new_key_id, 3);
}

#[test]
fn rotates_by_usage_and_wraps_new_keys_for_storage() {
    let master = Arc::new(LocalMasterKey::generate().unwrap());
    let ring = Keyring::new(1, FieldKey::generate().unwrap()).unwrap();
    let rotation = KeyRotation::builder(ring.clone())
        .rotate_at_messages(3)
        .provider(master.clone())
        .event_sink(Arc::new(MemorySink::new()))
        .build()
        .unwrap();
    let cipher = FieldCipher::new(ring.clone());
    for _ in 0..2 {
        cipher.encrypt(&Context::new("a", "b", "c"), b"x").unwrap();
    }
    assert_eq!(rotation.tick().unwrap(), None);
    cipher.encrypt(&Context::new("a", "b", "c"), b"x").unwrap();
    let done = rotation.tick().unwrap().unwrap();
    let stored = done.stored.unwrap();
    assert!(stored.primary);
    assert_eq!(stored.id, 2);
    let unwrapped = master.unwrap(2, &stored.wrapped).unwrap();
    assert!(unwrapped.ct_eq(&ring.key(2).unwrap()));
}

#[test]
fn rotation_settings_are_checked() {
    let ring = Keyring::new(1, FieldKey::generate().unwrap()).unwrap();
    assert!(matches!(
        KeyRotation::builder(ring.clone())
            .rotate_after(Duration::from_secs(1))
            .build(),
        Err(ConfigError::Range { .. })
    ));
    assert!(matches!(
        KeyRotation::builder(ring).rotate_at_messages(0).build(),
        Err(ConfigError::Range { .. })
    ));
}

#[test]
fn manual_rotation_reports_its_trigger() {
    let ring = Keyring::new(1, FieldKey::generate().unwrap()).unwrap();
    let sink = MemorySink::new();
    let rotation = KeyRotation::builder(ring.clone())
        .event_sink(Arc::new(sink.clone()))
        .build()
        .unwrap();
    rotation.rotate_now().unwrap();
    assert_eq!(ring.primary_id(), 2);
    assert_eq!(sink.events()[0].fields["trigger"], "requested");
}

#[test]
fn a_tenants_ciphertext_never_decrypts_under_another_tenant() {
    let tenants = TenantKeys::new(Keyring::new(1, FieldKey::generate().unwrap()).unwrap());
    let acme = tenants.cipher("acme").unwrap();
    let globex = tenants.cipher("globex").unwrap();
    // Same record coordinates, even the same tenant name in the context:
    // only the key differs, and that is enough.
    let ctx = Context::new("user", "ssn", "1").tenant("acme");
    let sealed = acme.encrypt(&ctx, b"123-45-6789").unwrap();
    assert_eq!(
        globex.decrypt(&ctx, &sealed),
        Err(CryptoError::Authentication)
    );
    assert_eq!(&*acme.decrypt(&ctx, &sealed).unwrap(), b"123-45-6789");
    // The master keyring itself does not open tenant fields either.
    let master = FieldCipher::new(tenants.master().clone());
    assert_eq!(
        master.decrypt(&ctx, &sealed),
        Err(CryptoError::Authentication)
    );
    // And tenant ciphers are cached, sharing usage counters.
    assert_eq!(tenants.cipher("acme").unwrap().usage()[0].messages, 1);
    // Tenant names that differ only in case or padding are different tenants.
    let upper = tenants.cipher("ACME").unwrap();
    assert!(upper.decrypt(&ctx, &sealed).is_err());
}

#[test]
fn envelope_storage_survives_a_restart() {
    let master_key = FieldKey::generate().unwrap();
    let master = LocalMasterKey::from_base64(&master_key.to_base64()).unwrap();
    let ring = Keyring::new(1, FieldKey::generate().unwrap()).unwrap();
    let cipher = FieldCipher::new(ring.clone());
    let ctx = Context::new("user", "ssn", "1");
    let sealed = cipher.encrypt(&ctx, b"v").unwrap();
    let stored = serde_json::to_string(&ring.to_stored(&master).unwrap()).unwrap();
    assert!(!stored.contains(&*ring.key(1).unwrap().to_base64()));

    // "Restart": only the master key and the stored JSON survive.
    let master = LocalMasterKey::from_base64(&master_key.to_base64()).unwrap();
    let loaded =
        Keyring::from_stored(&master, &serde_json::from_str::<Vec<_>>(&stored).unwrap()).unwrap();
    assert_eq!(
        &*FieldCipher::new(loaded).decrypt(&ctx, &sealed).unwrap(),
        b"v"
    );

    let wrong = LocalMasterKey::generate().unwrap();
    assert!(matches!(
        Keyring::from_stored(&wrong, &serde_json::from_str::<Vec<_>>(&stored).unwrap()),
        Err(CryptoError::Provider(_))
    ));
}
