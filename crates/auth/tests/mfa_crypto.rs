//! TOTP secrets sealed with rampart-crypto's `FieldCipher`: bound to user
//! and tenant, readable across key rotation and sealed again under the new
//! primary key, secrets sealed the old way migrated, and nothing secret in
//! `Debug` output or events.
#![cfg(feature = "crypto")]
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

#[cfg(feature = "redis")]
use common::redis_and_cluster;
use rampart_auth::mfa::{MemoryMfaStore, Mfa, MfaError, MfaKey, SharedMfaStore, Totp, Verified};
use rampart_core::{ManualClock, MemorySink};
use rampart_crypto::{FieldCipher, FieldKey, Keyring};
use std::sync::Arc;
use std::time::Duration;

const NOW: u64 = 1_700_000_000;

struct Fx {
    store: SharedMfaStore,
    key: MfaKey,
    keyring: Keyring,
    clock: ManualClock,
    sink: MemorySink,
}

impl Fx {
    fn new() -> Self {
        Self {
            store: Arc::new(MemoryMfaStore::new()),
            key: MfaKey::generate().unwrap(),
            keyring: Keyring::new(1, FieldKey::generate().unwrap()).unwrap(),
            clock: ManualClock::at_unix(NOW),
            sink: MemorySink::new(),
        }
    }

    /// A service sealing with the field cipher for `tenant`, or with the
    /// `MfaKey` alone when `tenant` is `None` and `cipher` false.
    fn mfa(&self, cipher: bool, tenant: Option<&str>) -> Mfa {
        let mut builder = Mfa::builder("ACME", self.key.clone())
            .store(self.store.clone())
            .clock(self.clock.shared())
            .event_sink(Arc::new(self.sink.clone()));
        if cipher {
            builder = builder.field_cipher(FieldCipher::new(self.keyring.clone()), tenant);
        }
        builder.build().unwrap()
    }

    async fn sealed(&self, user: &str) -> Vec<u8> {
        self.store
            .load(user, NOW)
            .await
            .unwrap()
            .unwrap()
            .secret
            .unwrap()
    }

    fn step(&self) {
        self.clock.advance(Duration::from_secs(30));
    }

    fn now(&self) -> u64 {
        use rampart_core::Clock;
        self.clock.unix_secs()
    }
}

/// Enrols and confirms `user`; answers the secret's codes.
async fn enrol(fx: &Fx, mfa: &Mfa, user: &str) -> impl Fn(u64) -> String + use<> {
    let enrollment = mfa.enroll(user).await.unwrap();
    let secret = enrollment.secret.clone();
    let code = move |at: u64| Totp::default().code_at(&secret, at).to_string();
    mfa.confirm(user, &code(fx.now())).await.unwrap();
    code
}

/// The stored form's key id (rampart-crypto's header after the format byte).
fn key_id(sealed: &[u8]) -> u32 {
    assert_eq!(sealed[0], 2, "not sealed with the field cipher");
    FieldCipher::inspect(&sealed[1..]).unwrap().0
}

#[tokio::test]
async fn a_secret_sealed_for_one_user_does_not_open_for_another() {
    let fx = Fx::new();
    let mfa = fx.mfa(true, None);
    let code = enrol(&fx, &mfa, "alice").await;
    let alices = fx.sealed("alice").await;
    assert_eq!(key_id(&alices), 1);
    // Whoever can write the store copies Alice's sealed secret onto Bob.
    assert!(fx.store.begin("bob", &alices, &[]).await.unwrap());
    assert!(fx.store.confirm("bob", &alices, 0).await.unwrap());
    fx.step();
    assert_eq!(
        mfa.verify("bob", &code(fx.now())).await,
        Err(MfaError::Sealed)
    );
    assert_eq!(
        mfa.verify("alice", &code(fx.now())).await,
        Ok(Verified::Totp)
    );
}

#[tokio::test]
async fn a_secret_sealed_for_one_tenant_does_not_open_for_another() {
    let fx = Fx::new();
    let acme = fx.mfa(true, Some("acme"));
    let code = enrol(&fx, &acme, "alice").await;
    fx.step();
    let globex = fx.mfa(true, Some("globex"));
    assert_eq!(
        globex.verify("alice", &code(fx.now())).await,
        Err(MfaError::Sealed)
    );
    // Nor without a tenant.
    assert_eq!(
        fx.mfa(true, None).verify("alice", &code(fx.now())).await,
        Err(MfaError::Sealed)
    );
    assert_eq!(
        acme.verify("alice", &code(fx.now())).await,
        Ok(Verified::Totp)
    );
}

#[tokio::test]
async fn rotation_keeps_secrets_readable_and_moves_them_to_the_new_key() {
    let fx = Fx::new();
    let mfa = fx.mfa(true, None);
    let code = enrol(&fx, &mfa, "alice").await;
    let code_bob = enrol(&fx, &mfa, "bob").await;
    fx.keyring.rotate(2, FieldKey::generate().unwrap()).unwrap();
    fx.step();
    // Sealed under key 1, still opens; sealed again under key 2.
    assert_eq!(
        mfa.verify("alice", &code(fx.now())).await,
        Ok(Verified::Totp)
    );
    assert_eq!(key_id(&fx.sealed("alice").await), 2);
    // Bob has not signed in: the migration step moves him.
    assert_eq!(key_id(&fx.sealed("bob").await), 1);
    assert!(mfa.reseal("bob").await.unwrap());
    assert!(!mfa.reseal("bob").await.unwrap(), "already current");
    assert_eq!(key_id(&fx.sealed("bob").await), 2);
    // Key 1 can now go: both still sign in.
    fx.keyring.retire(1).unwrap();
    fx.step();
    assert_eq!(
        mfa.verify("alice", &code(fx.now())).await,
        Ok(Verified::Totp)
    );
    assert_eq!(
        mfa.verify("bob", &code_bob(fx.now())).await,
        Ok(Verified::Totp)
    );
}

#[tokio::test]
async fn secrets_sealed_under_the_mfa_key_still_open_and_migrate() {
    let fx = Fx::new();
    let before = fx.mfa(false, None);
    let code = enrol(&fx, &before, "alice").await;
    let code_bob = enrol(&fx, &before, "bob").await;
    assert_eq!(fx.sealed("alice").await[0], 1, "sealed the default way");
    let after = fx.mfa(true, None);
    fx.step();
    assert_eq!(
        after.verify("alice", &code(fx.now())).await,
        Ok(Verified::Totp)
    );
    assert_eq!(key_id(&fx.sealed("alice").await), 1);
    assert!(after.reseal("bob").await.unwrap());
    assert_eq!(key_id(&fx.sealed("bob").await), 1);
    fx.step();
    assert_eq!(
        after.verify("bob", &code_bob(fx.now())).await,
        Ok(Verified::Totp)
    );
    // Not enrolled: nothing to do. Without a cipher: nothing to do.
    assert!(!after.reseal("carol").await.unwrap());
    assert!(!before.reseal("bob").await.unwrap());
    // A service without the cipher cannot open the new form: fail closed.
    fx.step();
    assert_eq!(
        before.verify("alice", &code(fx.now())).await,
        Err(MfaError::Sealed)
    );
}

#[tokio::test]
async fn a_reset_during_resealing_is_not_undone() {
    let fx = Fx::new();
    let before = fx.mfa(false, None);
    let _ = enrol(&fx, &before, "alice").await;
    let old = fx.sealed("alice").await;
    before.disable("alice").await.unwrap();
    // The check-and-set refuses to write the old secret back.
    assert!(!fx.store.replace_secret("alice", &old, b"x").await.unwrap());
    assert!(
        fx.store
            .load("alice", NOW)
            .await
            .unwrap()
            .unwrap()
            .secret
            .is_none()
    );
}

#[tokio::test]
async fn the_secret_appears_in_no_debug_output_or_event() {
    let fx = Fx::new();
    let mfa = fx.mfa(true, Some("acme"));
    let enrollment = mfa.enroll("alice").await.unwrap();
    let base32 = enrollment.secret.to_base32().to_string();
    let code = Totp::default().code_at(&enrollment.secret, fx.now());
    let _ = mfa.verify("alice", "000000").await;
    mfa.confirm("alice", &code).await.unwrap();
    let record = fx.store.load("alice", NOW).await.unwrap().unwrap();
    let sealed = record.secret.clone().unwrap();
    assert!(
        !sealed
            .windows(enrollment.secret.as_bytes().len())
            .any(|w| w == enrollment.secret.as_bytes())
    );
    for text in [
        format!("{mfa:?}"),
        format!("{enrollment:?}"),
        format!("{:?}", enrollment.secret),
        format!("{record:?}"),
        serde_json::to_string(&fx.sink.events()).unwrap(),
    ] {
        assert!(!text.contains(&base32), "{text}");
    }
}

/// Redis re-seals by check-and-set too, on a single node and a cluster.
#[cfg(feature = "redis")]
mod redis_replaces_a_secret_only_if_unchanged {
    use super::*;
    use rampart_auth::mfa::MfaStore;

    redis_and_cluster!(redis_replaces_a_secret_only_if_unchanged);

    async fn on_redis(url: String) {
        let prefix = format!("rampart-test:mfa-crypto:{}", uuid::Uuid::new_v4().simple());
        let store = rampart_auth::mfa::RedisMfaStore::connect(&url, &prefix)
            .await
            .unwrap();
        assert!(!store.replace_secret("alice", b"old", b"new").await.unwrap());
        assert!(store.begin("alice", b"old", &[]).await.unwrap());
        assert!(store.confirm("alice", b"old", 0).await.unwrap());
        assert!(
            !store
                .replace_secret("alice", b"other", b"new")
                .await
                .unwrap()
        );
        assert!(store.replace_secret("alice", b"old", b"new").await.unwrap());
        let record = store.load("alice", NOW).await.unwrap().unwrap();
        assert_eq!(record.secret.as_deref(), Some(&b"new"[..]));
        store.remove("alice").await.unwrap();
    }
}
