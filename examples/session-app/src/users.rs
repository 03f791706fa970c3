//! The demo users, their passwords hashed at start-up with argon2id.

use rampart_auth::password::{PasswordError, PasswordVerifier};
use rampart_core::{AuthMethod, Principal};
use std::collections::HashMap;
use zeroize::Zeroizing;

/// One demo user as the directory keeps it: never the password itself.
#[derive(Debug, Clone)]
pub struct User {
    /// The argon2id PHC string.
    pub hash: String,
    /// The user's tenant.
    pub tenant: &'static str,
    /// The user's roles.
    pub roles: &'static [&'static str],
    /// Whether the account may sign in (an administrator can disable it).
    pub active: bool,
}

/// The demo users: `alice` / `alice-S3cure-demo!` (admin, tenant acme) and
/// `bob` / `bob-S3cure-demo!` (viewer, tenant globex). Demo only.
pub const DEMO: [(&str, &str, &[&str]); 2] = [
    ("alice", "acme", &["admin"]),
    ("bob", "globex", &["viewer"]),
];

/// The user directory.
#[derive(Debug)]
pub struct Directory {
    users: HashMap<String, User>,
    verifier: PasswordVerifier,
}

impl Directory {
    /// Hashes the demo users' passwords.
    ///
    /// # Errors
    /// When hashing fails (the system random source, say).
    pub fn demo(verifier: PasswordVerifier) -> Result<Self, PasswordError> {
        let mut users = HashMap::new();
        for (name, tenant, roles) in DEMO {
            let password = Zeroizing::new(format!("{name}-S3cure-demo!"));
            let hash = verifier.hash(password.as_bytes())?;
            users.insert(
                name.to_owned(),
                User {
                    hash,
                    tenant,
                    roles,
                    active: true,
                },
            );
        }
        Ok(Self { users, verifier })
    }

    /// The principal for `username` if `password` is theirs. Unknown users
    /// cost the same argon2 work as known ones.
    ///
    /// # Errors
    /// [`PasswordError::Busy`] when too many checks run at once.
    pub async fn authenticate(
        &self,
        username: &str,
        password: &str,
    ) -> Result<Option<Principal>, PasswordError> {
        let user = self.users.get(username);
        let ok = self
            .verifier
            .verify(password.as_bytes(), user.map(|u| u.hash.as_str()))
            .await?;
        Ok(user
            .filter(|u| ok && u.active)
            .map(|u| Self::to_principal(username, u)))
    }

    /// The principal of an active user, without a password: for the second
    /// step of a sign-in whose password was checked already.
    pub fn principal(&self, username: &str) -> Option<Principal> {
        self.users
            .get(username)
            .filter(|u| u.active)
            .map(|u| Self::to_principal(username, u))
    }

    fn to_principal(username: &str, user: &User) -> Principal {
        Principal::new(username, AuthMethod::Session)
            .with_tenant(user.tenant)
            .with_roles(user.roles.iter().copied())
    }
}
