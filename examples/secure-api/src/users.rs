//! The demo user directory: users from the config, passwords hashed with
//! argon2id at start-up and never kept in clear, checked under
//! [`rampart_auth::password::PasswordVerifier`]'s bound with a decoy for
//! unknown names.

use crate::config::PasswordsConfig;
use rampart_auth::password::{HashParams, PasswordError, PasswordVerifier};
use serde::Deserialize;
use std::collections::HashMap;
use std::time::Duration;
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
    /// An argon2 PHC string (`$argon2id$v=19$...`).
    #[serde(default)]
    pub password_hash: Option<String>,
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
#[derive(Debug, Clone)]
pub struct User {
    /// Login name, also the token subject.
    pub username: String,
    /// Roles.
    pub roles: Vec<String>,
    /// Tenant.
    pub tenant: Option<String>,
    password_hash: String,
}

impl User {
    /// The stored argon2 PHC string.
    pub fn password_hash(&self) -> &str {
        &self.password_hash
    }
}

/// The users, by name.
#[derive(Debug)]
pub struct UserDirectory {
    users: HashMap<String, User>,
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
                    HashParams::from_phc(phc)
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
                password_hash: hash,
            };
            if users.insert(config.username.clone(), user).is_some() {
                return Err(format!("user {} is configured twice", config.username));
            }
        }
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
        Ok(Self { users, verifier })
    }

    /// The user whose name and password match; `Ok(None)` for a wrong
    /// password or an unknown name alike.
    ///
    /// # Errors
    /// [`PasswordError::Busy`] when too many checks are in progress (answer
    /// `503` + `Retry-After`); another [`PasswordError`] when the check could
    /// not run.
    pub async fn authenticate(
        &self,
        username: &str,
        password: &str,
    ) -> Result<Option<&User>, PasswordError> {
        let user = self.users.get(username);
        let verified = self
            .verifier
            .verify(password.as_bytes(), user.map(User::password_hash))
            .await?;
        Ok(if verified { user } else { None })
    }

    /// Stored hashes whose argon2 parameters differ from the decoy's: a
    /// wrong password for these users takes a different time than an unknown
    /// name, which tells that they exist. Rehash them with the common parameters.
    pub fn users_unlike_decoy(&self) -> Vec<&str> {
        let decoy = self.verifier.decoy_params();
        let mut names: Vec<&str> = self
            .users
            .values()
            .filter(|u| HashParams::from_phc(&u.password_hash).ok().as_ref() != Some(decoy))
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
        assert!(dir.authenticate("alice", "pw-1").await.unwrap().is_some());
        assert!(dir.authenticate("alice", "pw-2").await.unwrap().is_none());
        assert!(dir.authenticate("bob", "pw-1").await.unwrap().is_none());
        assert!(
            dir.get("alice")
                .unwrap()
                .password_hash
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
        bad_hash.password_hash = Some("$2b$12$notargon".into());
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
            HashParams::from_phc(&dir.get("a").unwrap().password_hash).unwrap()
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
}
