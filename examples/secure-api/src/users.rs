//! The demo user directory: users from the config, passwords hashed with
//! argon2id at start-up and never kept in clear.

use argon2::Argon2;
use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use serde::Deserialize;
use std::collections::HashMap;
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

/// The users, by name.
#[derive(Debug)]
pub struct UserDirectory {
    users: HashMap<String, User>,
    /// Verified when the name is unknown, so that a miss costs as much as a hit
    /// and response times do not reveal which names exist.
    decoy_hash: String,
}

impl UserDirectory {
    /// Hashes the configured passwords.
    ///
    /// # Errors
    /// A message naming the user whose entry is unusable.
    pub fn new(configs: &[UserConfig]) -> Result<Self, String> {
        let mut users = HashMap::with_capacity(configs.len());
        for config in configs {
            let hash = match (&config.password, &config.password_hash) {
                (Some(clear), None) => hash(clear)
                    .map_err(|e| format!("user {}: cannot hash password: {e}", config.username))?,
                (None, Some(phc)) => {
                    PasswordHash::new(phc).map_err(|e| {
                        format!(
                            "user {}: password_hash is not a PHC string: {e}",
                            config.username
                        )
                    })?;
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
        let decoy_hash = hash("decoy password for unknown users")
            .map_err(|e| format!("cannot hash the decoy password: {e}"))?;
        Ok(Self { users, decoy_hash })
    }

    /// The user whose name and password match.
    pub fn authenticate(&self, username: &str, password: &str) -> Option<&User> {
        let user = self.users.get(username);
        let hash = user.map_or(self.decoy_hash.as_str(), |u| u.password_hash.as_str());
        let verified = PasswordHash::new(hash).is_ok_and(|parsed| {
            Argon2::default()
                .verify_password(password.as_bytes(), &parsed)
                .is_ok()
        });
        if verified { user } else { None }
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

fn hash(clear: &str) -> Result<String, String> {
    let clear = Zeroizing::new(clear.as_bytes().to_vec());
    Argon2::default()
        .hash_password(&clear)
        .map(|h| h.to_string())
        .map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(name: &str, password: &str) -> UserConfig {
        UserConfig {
            username: name.into(),
            password: Some(password.into()),
            password_hash: None,
            roles: vec!["viewer".into()],
            tenant: None,
        }
    }

    #[test]
    fn right_password_only() {
        let dir = UserDirectory::new(&[user("alice", "pw-1")]).unwrap();
        assert!(dir.authenticate("alice", "pw-1").is_some());
        assert!(dir.authenticate("alice", "pw-2").is_none());
        assert!(dir.authenticate("bob", "pw-1").is_none());
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
        assert!(UserDirectory::new(&[both]).unwrap_err().contains("carol"));
        let twice = UserDirectory::new(&[user("d", "x"), user("d", "y")]).unwrap_err();
        assert!(twice.contains("twice"));
    }
}
