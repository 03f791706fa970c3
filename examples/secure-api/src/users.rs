//! The demo user directory: users from the config, passwords hashed with
//! argon2id at start-up and never kept in clear, checked under
//! [`rampart_auth::password::PasswordVerifier`]'s bound with a decoy for
//! unknown names. Users migrated with a bcrypt, PBKDF2 or scrypt hash are
//! rehashed with argon2id at their first successful login; a password older
//! than the policy's `max_age_days` must be changed before the user is let in.

use crate::config::PasswordsConfig;
use rampart_auth::password::{
    HashParams, PasswordError, PasswordPolicies, PasswordVerifier, PolicyCheckError,
    PolicyViolations, UserContext, Verification, hash_scheme,
};
use serde::Deserialize;
use std::collections::HashMap;
use std::sync::RwLock;
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use zeroize::Zeroizing;

/// A `[[users]]` entry.
#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UserConfig {
    /// Login name.
    pub username: String,
    /// Demo password in clear, hashed at start-up. Use `password_hash` for real users.
    #[serde(default)]
    pub password: Option<String>,
    /// An argon2 PHC string (`$argon2id$v=19$...`), or a legacy bcrypt,
    /// PBKDF2-SHA256 or scrypt hash, replaced by argon2id at the next login.
    #[serde(default)]
    pub password_hash: Option<String>,
    /// When the password was set, in seconds since the Unix epoch. Default:
    /// start-up (a demo password is set when it is hashed).
    #[serde(default)]
    pub password_set_at: Option<u64>,
    /// Roles granted in the user's tokens.
    #[serde(default)]
    pub roles: Vec<String>,
    /// The tenant the user belongs to.
    #[serde(default)]
    pub tenant: Option<String>,
}

impl std::fmt::Debug for UserConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UserConfig")
            .field("username", &self.username)
            .field("password", &self.password.as_ref().map(|_| "[redacted]"))
            .field("roles", &self.roles)
            .field("tenant", &self.tenant)
            .finish_non_exhaustive()
    }
}

/// A user who may log in.
#[derive(Debug)]
pub struct User {
    /// Login name, also the token subject.
    pub username: String,
    /// Roles.
    pub roles: Vec<String>,
    /// Tenant.
    pub tenant: Option<String>,
    /// Replaced when a login upgrades it or the user changes it.
    password_hash: RwLock<String>,
    /// When the current password was set: a change resets the policy's maximum age.
    password_set_at: RwLock<SystemTime>,
    /// The previous hashes, newest first, for the policy's history rule.
    history: RwLock<Vec<String>>,
}

/// Previous hashes kept per user: the most any policy's history may ask for.
pub const MAX_HISTORY: usize = 24;

impl User {
    /// The stored hash (argon2 PHC, or a legacy hash until the next login).
    pub fn password_hash(&self) -> String {
        self.password_hash
            .read()
            .map_or_else(|poisoned| poisoned.into_inner().clone(), |h| h.clone())
    }

    fn set_at(&self) -> SystemTime {
        *self
            .password_set_at
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The current hash, then the previous ones, newest first.
    fn hashes(&self) -> Vec<String> {
        let mut all = vec![self.password_hash()];
        all.extend(
            self.history
                .read()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .iter()
                .cloned(),
        );
        all
    }
}

/// What a password change came to.
#[derive(Debug)]
pub enum Change {
    /// Changed: the new hash is stored, the old one joined the history.
    Done,
    /// The current password was wrong (or the user is unknown).
    WrongCurrent,
    /// The current password is not expired: the unauthenticated change is
    /// only for expired ones.
    NotExpired,
    /// The new password breaks the tenant's policy.
    Rejected(PolicyViolations),
}

/// Whether a change needs the old password to have expired.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChangeKind {
    /// A signed-in user changing their password.
    SignedIn,
    /// A user whose password expired, signing in with it to change it.
    Expired,
}

/// What a login attempt came to.
#[derive(Debug)]
pub enum Login<'a> {
    /// Right password: issue tokens.
    Accepted(&'a User),
    /// Right password, but expired: the user must change it first.
    MustChange,
    /// Unknown user or wrong password.
    Refused,
}

/// The users, by name.
#[derive(Debug)]
pub struct UserDirectory {
    users: HashMap<String, User>,
    /// `[passwords.policy]`, per tenant: the maximum age at login.
    policies: PasswordPolicies,
    /// Runs every check under the hashing bound; verifies a decoy made with
    /// the stored hashes' parameters when the name is unknown, so that a miss
    /// costs as much as a hit and response times do not reveal which names exist.
    verifier: PasswordVerifier,
}

impl UserDirectory {
    /// Hashes the configured passwords with `params` and sets up the verifier.
    ///
    /// # Errors
    /// A message naming the user whose entry is unusable, or the `[passwords]`
    /// setting that is.
    pub fn new(
        configs: &[UserConfig],
        params: &HashParams,
        limits: &PasswordsConfig,
    ) -> Result<Self, String> {
        let mut users = HashMap::with_capacity(configs.len());
        for config in configs {
            let hash = match (&config.password, &config.password_hash) {
                (Some(clear), None) => {
                    let clear = Zeroizing::new(clear.as_bytes().to_vec());
                    params.hash(&clear).map_err(|e| {
                        format!("user {}: cannot hash password: {e}", config.username)
                    })?
                }
                (None, Some(phc)) => {
                    hash_scheme(phc)
                        .map_err(|e| format!("user {}: password_hash: {e}", config.username))?;
                    phc.clone()
                }
                _ => {
                    return Err(format!(
                        "user {}: give exactly one of password and password_hash",
                        config.username
                    ));
                }
            };
            let user = User {
                username: config.username.clone(),
                roles: config.roles.clone(),
                tenant: config.tenant.clone(),
                password_hash: RwLock::new(hash),
                password_set_at: RwLock::new(
                    config.password_set_at.map_or_else(SystemTime::now, |secs| {
                        UNIX_EPOCH + Duration::from_secs(secs)
                    }),
                ),
                history: RwLock::new(Vec::new()),
            };
            if users.insert(config.username.clone(), user).is_some() {
                return Err(format!("user {} is configured twice", config.username));
            }
        }
        let policies = limits
            .policy
            .build()
            .map_err(|e| format!("[passwords.policy] {e}"))?;
        let mut builder = PasswordVerifier::builder()
            .params(params.clone())
            .decoy_like(users.values().map(User::password_hash));
        if let Some(n) = limits.max_concurrent {
            builder = builder.max_concurrent(n);
        }
        if let Some(n) = limits.max_queued {
            builder = builder.max_queued(n);
        }
        if let Some(secs) = limits.retry_after_secs {
            builder = builder.retry_after(Duration::from_secs(secs));
        }
        let verifier = builder.build().map_err(|e| format!("[passwords] {e}"))?;
        Ok(Self {
            users,
            policies,
            verifier,
        })
    }

    /// Checks a login: [`Login::Accepted`] with the user whose name and
    /// password match, [`Login::MustChange`] when the password is right but
    /// older than the tenant's policy allows, [`Login::Refused`] for a wrong
    /// password or an unknown name alike. A legacy or outdated hash is
    /// replaced by an argon2id one on success.
    ///
    /// # Errors
    /// [`PasswordError::Busy`] when too many checks are in progress (answer
    /// `503` + `Retry-After`); [`PasswordError::TooLongForBcrypt`] for a
    /// password over 72 bytes against a bcrypt hash; another
    /// [`PasswordError`] when the check could not run.
    pub async fn authenticate(
        &self,
        username: &str,
        password: &str,
    ) -> Result<Login<'_>, PasswordError> {
        let user = self.users.get(username);
        let stored = user.map(User::password_hash);
        let policy = self
            .policies
            .for_tenant(user.and_then(|u| u.tenant.as_deref()));
        let outcome = self
            .verifier
            .check_expiring(
                password.as_bytes(),
                stored.as_deref(),
                user.map(User::set_at),
                &policy,
                SystemTime::now(),
            )
            .await?;
        let Some(user) = user else {
            return Ok(Login::Refused);
        };
        Ok(match outcome {
            Verification::Valid => Login::Accepted(user),
            Verification::NeedsRehash(reason) => {
                // Busy or failed: the login stands, the upgrade waits for the next one.
                match self.verifier.hash_bounded(password.as_bytes()).await {
                    Ok(upgraded) => {
                        if let Ok(mut hash) = user.password_hash.write() {
                            *hash = upgraded;
                        }
                        tracing::info!(target: "secure_api", user = %user.username, ?reason, "password hash upgraded to argon2id");
                    }
                    Err(error) => {
                        tracing::warn!(target: "secure_api", user = %user.username, %error, "password hash upgrade deferred");
                    }
                }
                Login::Accepted(user)
            }
            Verification::MustChange => Login::MustChange,
            _ => Login::Refused,
        })
    }

    /// Changes `username`'s password from `current` to `new`: the current
    /// one is checked under the hashing bound (against the decoy for an
    /// unknown name, so the answer takes as long), the new one against the
    /// tenant's policy with the history (the current password and the
    /// previous ones count as used), then hashed with argon2id; the old hash
    /// joins the history and the maximum age starts again.
    ///
    /// # Errors
    /// [`PasswordError::Busy`] when too many checks are in progress; another
    /// [`PasswordError`] when a check could not run.
    pub async fn change_password(
        &self,
        username: &str,
        current: &str,
        new: &str,
        kind: ChangeKind,
    ) -> Result<Change, PasswordError> {
        let user = self.users.get(username);
        let stored = user.map(User::password_hash);
        let matched = match self
            .verifier
            .verify(current.as_bytes(), stored.as_deref())
            .await
        {
            Ok(matched) => matched,
            // Refused like a wrong password, as at login.
            Err(PasswordError::TooLongForBcrypt { .. }) => false,
            Err(error) => return Err(error),
        };
        let Some(user) = user.filter(|_| matched) else {
            return Ok(Change::WrongCurrent);
        };
        let policy = self.policies.for_tenant(user.tenant.as_deref());
        if kind == ChangeKind::Expired && !policy.is_expired(user.set_at(), SystemTime::now()) {
            return Ok(Change::NotExpired);
        }
        let context = UserContext::new(username);
        match policy
            .check_with_history(new, &context, &self.verifier, &user.hashes())
            .await
        {
            Ok(()) => {}
            Err(PolicyCheckError::Violations(violations)) => {
                return Ok(Change::Rejected(violations));
            }
            Err(PolicyCheckError::Verifier(error)) => return Err(error),
            Err(other) => {
                tracing::error!(target: "secure_api", error = %other, "password policy check failed");
                return Err(PasswordError::Hash(other.to_string()));
            }
        }
        let hash = self.verifier.hash_bounded(new.as_bytes()).await?;
        let old = {
            let mut stored = user
                .password_hash
                .write()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            std::mem::replace(&mut *stored, hash)
        };
        {
            let mut history = user
                .history
                .write()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            history.insert(0, old);
            history.truncate(MAX_HISTORY);
        }
        *user
            .password_set_at
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = SystemTime::now();
        Ok(Change::Done)
    }

    /// Stored hashes whose argon2 parameters differ from the decoy's: a
    /// wrong password for these users takes a different time than an unknown
    /// name, which tells that they exist. Rehash them with the common parameters.
    pub fn users_unlike_decoy(&self) -> Vec<&str> {
        let decoy = self.verifier.decoy_params();
        let mut names: Vec<&str> = self
            .users
            .values()
            .filter(|u| HashParams::from_phc(&u.password_hash()).ok().as_ref() != Some(decoy))
            .map(|u| u.username.as_str())
            .collect();
        names.sort_unstable();
        names
    }

    /// The verifier, for its decoy and its limiter's statistics.
    pub fn verifier(&self) -> &PasswordVerifier {
        &self.verifier
    }

    /// The user named `username`.
    pub fn get(&self, username: &str) -> Option<&User> {
        self.users.get(username)
    }

    /// How many users there are.
    pub fn len(&self) -> usize {
        self.users.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.users.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rampart_auth::password::argon2::Params;

    fn user(name: &str, password: &str) -> UserConfig {
        UserConfig {
            username: name.into(),
            password: Some(password.into()),
            password_hash: None,
            password_set_at: None,
            roles: vec!["viewer".into()],
            tenant: None,
        }
    }

    fn cheap(m_cost: u32) -> HashParams {
        let mut params = HashParams::default();
        params.params = Params::new(m_cost, 1, 1, None).unwrap();
        params
    }

    fn directory(users: &[UserConfig]) -> Result<UserDirectory, String> {
        UserDirectory::new(users, &cheap(64), &PasswordsConfig::default())
    }

    #[tokio::test]
    async fn right_password_only() {
        let dir = directory(&[user("alice", "pw-1")]).unwrap();
        assert!(
            matches!(dir.authenticate("alice", "pw-1").await.unwrap(), Login::Accepted(u) if u.username == "alice")
        );
        assert!(matches!(
            dir.authenticate("alice", "pw-2").await.unwrap(),
            Login::Refused
        ));
        assert!(matches!(
            dir.authenticate("bob", "pw-1").await.unwrap(),
            Login::Refused
        ));
        assert!(
            dir.get("alice")
                .unwrap()
                .password_hash()
                .starts_with("$argon2id$")
        );
    }

    #[test]
    fn bad_entries_are_named() {
        let mut both = user("carol", "x");
        both.password_hash = Some("$argon2id$...".into());
        assert!(directory(&[both]).unwrap_err().contains("carol"));
        let twice = directory(&[user("d", "x"), user("d", "y")]).unwrap_err();
        assert!(twice.contains("twice"));
        let mut bad_hash = user("erin", "x");
        bad_hash.password = None;
        bad_hash.password_hash = Some("$2b$12$notbcrypt".into());
        assert!(directory(&[bad_hash]).unwrap_err().contains("erin"));
        let zero = PasswordsConfig {
            max_concurrent: Some(0),
            ..PasswordsConfig::default()
        };
        let err = UserDirectory::new(&[user("f", "x")], &cheap(64), &zero).unwrap_err();
        assert!(err.contains("[passwords]"), "{err}");
    }

    /// A user configured with a stronger hash than the others: the decoy
    /// follows the hashes most users have, and the odd one is reported.
    #[test]
    fn the_decoy_has_the_stored_hashes_params() {
        let strong = cheap(512).hash(b"pw").unwrap();
        let mut dana = user("dana", "x");
        dana.password = None;
        dana.password_hash = Some(strong);
        let dir = directory(&[user("a", "1"), user("b", "2"), dana]).unwrap();
        let decoy = HashParams::from_phc(dir.verifier().decoy_hash()).unwrap();
        assert_eq!(
            decoy,
            HashParams::from_phc(&dir.get("a").unwrap().password_hash()).unwrap()
        );
        assert_eq!(decoy.params.m_cost(), 64);
        assert_eq!(dir.users_unlike_decoy(), ["dana"]);

        let only_strong = directory(&[{
            let mut u = user("s", "x");
            u.password = None;
            u.password_hash = Some(cheap(512).hash(b"pw").unwrap());
            u
        }])
        .unwrap();
        let decoy = HashParams::from_phc(only_strong.verifier().decoy_hash()).unwrap();
        assert_eq!(
            decoy.params.m_cost(),
            512,
            "decoy weaker than the only user's hash"
        );
        assert!(only_strong.users_unlike_decoy().is_empty());
    }

    /// A user migrated from the seeds with a cost-12 bcrypt hash logs in and
    /// leaves with an argon2id hash; a 73-byte password is refused, not truncated.
    #[tokio::test]
    async fn a_legacy_bcrypt_user_is_rehashed_at_login() {
        let seed = bcrypt::hash_with_salt("legacy-Pa55word", 12, [9; 16])
            .unwrap()
            .format_for_version(bcrypt::Version::TwoY);
        let mut old = user("olga", "x");
        old.password = None;
        old.password_hash = Some(seed.clone());
        let dir = directory(&[user("a", "1"), old]).unwrap();
        assert!(matches!(
            dir.authenticate("olga", "wrong").await.unwrap(),
            Login::Refused
        ));
        assert_eq!(dir.get("olga").unwrap().password_hash(), seed);
        let long = "x".repeat(73);
        assert_eq!(
            dir.authenticate("olga", &long).await.unwrap_err(),
            PasswordError::TooLongForBcrypt { len: 73 }
        );
        assert!(matches!(
            dir.authenticate("olga", "legacy-Pa55word").await.unwrap(),
            Login::Accepted(_)
        ));
        let upgraded = dir.get("olga").unwrap().password_hash();
        assert!(
            upgraded.starts_with("$argon2id$v=19$m=64,t=1,p=1$"),
            "{upgraded}"
        );
        assert!(!dir.verifier().needs_rehash(&upgraded));
        assert!(matches!(
            dir.authenticate("olga", "legacy-Pa55word").await.unwrap(),
            Login::Accepted(_)
        ));
    }

    /// With `max_age_days`, a right but old password must be changed; the
    /// tenant's own policy decides.
    #[tokio::test]
    async fn an_expired_password_must_be_changed() {
        let limits: PasswordsConfig =
            toml::from_str("[policy]\nmax_age_days = 90\n[policy.tenants.acme]\nmin_length = 12")
                .unwrap();
        let day = 86_400;
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_secs();
        let mut old = user("old", "pw-old");
        old.password_set_at = Some(now - 91 * day);
        let mut fresh = user("fresh", "pw-fresh");
        fresh.password_set_at = Some(now - 10 * day);
        let mut acme = user("acme-user", "pw-acme");
        acme.password_set_at = Some(now - 400 * day);
        acme.tenant = Some("acme".into());
        let dir = UserDirectory::new(&[old, fresh, acme], &cheap(64), &limits).unwrap();
        assert!(matches!(
            dir.authenticate("old", "pw-old").await.unwrap(),
            Login::MustChange
        ));
        assert!(matches!(
            dir.authenticate("old", "wrong").await.unwrap(),
            Login::Refused
        ));
        assert!(matches!(
            dir.authenticate("fresh", "pw-fresh").await.unwrap(),
            Login::Accepted(_)
        ));
        // acme's policy has no maximum age.
        assert!(matches!(
            dir.authenticate("acme-user", "pw-acme").await.unwrap(),
            Login::Accepted(_)
        ));
    }
}
