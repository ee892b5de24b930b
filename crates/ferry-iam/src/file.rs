//! The IAM file (`ferry serve --iam FILE`): accounts, their users, each
//! user's access keys and identity-based policies.
//!
//! ```json
//! {"accounts": [{"id": "111122223333",
//!                "users": [{"name": "Dave",
//!                           "access_keys": [{"id": "AKIAEXAMPLEDAVE", "secret": "..."}],
//!                           "policies": [{"Version": "2012-10-17", "Statement": [...]}]}]}]}
//! ```
//!
//! [`Iam::parse`] checks it all at startup: 12-digit account ids, unique
//! account ids, user names and access key ids, non-empty secrets, well-formed
//! policies; each error names the account, user and policy at fault.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

use serde::Deserialize;

use crate::policy::{Policy, PolicyError, PolicyKind};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileSpec {
    accounts: Vec<AccountSpec>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct AccountSpec {
    id: String,
    #[serde(default)]
    users: Vec<UserSpec>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct UserSpec {
    name: String,
    #[serde(default)]
    access_keys: Vec<KeySpec>,
    #[serde(default)]
    policies: Vec<serde_json::Value>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct KeySpec {
    id: String,
    secret: String,
}

/// Why an IAM file was refused.
#[derive(Debug, thiserror::Error)]
pub enum IamFileError {
    #[error("reading {path}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("the IAM file is not valid: {0}")]
    Json(String),
    #[error("account id {0:?} is not 12 digits")]
    AccountId(String),
    #[error("account {0} is declared twice")]
    DuplicateAccount(String),
    #[error(
        "account {account}: user name {name:?} is not valid (1 to 64 of letters, digits and +=,.@_-)"
    )]
    UserName { account: String, name: String },
    #[error("account {account}: user {name} is declared twice")]
    DuplicateUser { account: String, name: String },
    #[error("access key id {0} is declared twice")]
    DuplicateAccessKey(String),
    #[error("access key {0}: id and secret must not be empty")]
    EmptyKey(String),
    #[error("account {account}, user {user}, policy {index}: {source}")]
    Policy {
        account: String,
        user: String,
        index: usize,
        #[source]
        source: PolicyError,
    },
}

/// One user, as requests signed with one of its keys act.
#[derive(Debug, Clone, PartialEq)]
pub struct User {
    pub account: String,
    pub name: String,
    /// `arn:aws:iam::<account>:user/<name>`.
    pub arn: String,
    pub policies: Vec<Policy>,
}

impl User {
    /// The global condition keys of a request this user signed from
    /// `source_ip`: `aws:username`, `aws:PrincipalAccount`,
    /// `aws:PrincipalArn`, `aws:PrincipalType`, `aws:SecureTransport`
    /// (Ferry serves plain HTTP) and `aws:SourceIp`.
    pub fn context(&self, source_ip: Option<std::net::IpAddr>) -> crate::Context {
        let mut ctx = crate::Context::new();
        ctx.set("aws:username", self.name.clone());
        ctx.set("aws:PrincipalAccount", self.account.clone());
        ctx.set("aws:PrincipalArn", self.arn.clone());
        ctx.set("aws:PrincipalType", "User");
        ctx.set("aws:SecureTransport", "false");
        if let Some(ip) = source_ip {
            ctx.set("aws:SourceIp", ip.to_string());
        }
        ctx
    }
}

/// A request's peer address, carried in the HTTP request's extensions from
/// the connection to whoever authorizes it (`aws:SourceIp`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PeerAddr(pub std::net::SocketAddr);

impl PeerAddr {
    /// The address as `aws:SourceIp` shows it (IPv4-mapped IPv6 as IPv4).
    pub fn source_ip(self) -> std::net::IpAddr {
        match self.0.ip() {
            std::net::IpAddr::V6(v6) => v6
                .to_ipv4_mapped()
                .map_or(std::net::IpAddr::V6(v6), std::net::IpAddr::V4),
            v4 => v4,
        }
    }
}

/// The loaded, checked IAM file (its `Debug` leaves the secrets out).
#[derive(Clone, Default)]
pub struct Iam {
    by_key: HashMap<String, (String, Arc<User>)>,
    accounts: Vec<String>,
}

impl std::fmt::Debug for Iam {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut keys: Vec<(&str, &str)> = self
            .by_key
            .iter()
            .map(|(k, (_, user))| (k.as_str(), user.arn.as_str()))
            .collect();
        keys.sort_unstable();
        f.debug_struct("Iam")
            .field("accounts", &self.accounts)
            .field("access_keys", &keys)
            .finish_non_exhaustive()
    }
}

/// True for a 12-digit AWS account id.
pub fn is_account_id(s: &str) -> bool {
    s.len() == 12 && s.bytes().all(|b| b.is_ascii_digit())
}

fn is_user_name(s: &str) -> bool {
    (1..=64).contains(&s.len())
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "+=,.@_-".contains(c))
}

impl Iam {
    /// Reads and checks an IAM file.
    pub fn from_file(path: &Path) -> Result<Iam, IamFileError> {
        let text = std::fs::read_to_string(path).map_err(|source| IamFileError::Io {
            path: path.display().to_string(),
            source,
        })?;
        Iam::parse(&text)
    }

    /// Parses and checks the text of an IAM file.
    pub fn parse(text: &str) -> Result<Iam, IamFileError> {
        let spec: FileSpec =
            serde_json::from_str(text).map_err(|e| IamFileError::Json(e.to_string()))?;
        let mut iam = Iam::default();
        for account in spec.accounts {
            if !is_account_id(&account.id) {
                return Err(IamFileError::AccountId(account.id));
            }
            if iam.accounts.contains(&account.id) {
                return Err(IamFileError::DuplicateAccount(account.id));
            }
            let mut names: Vec<&str> = Vec::new();
            for user in &account.users {
                if !is_user_name(&user.name) {
                    return Err(IamFileError::UserName {
                        account: account.id.clone(),
                        name: user.name.clone(),
                    });
                }
                // IAM user names are unique regardless of case.
                if names.iter().any(|n| n.eq_ignore_ascii_case(&user.name)) {
                    return Err(IamFileError::DuplicateUser {
                        account: account.id.clone(),
                        name: user.name.clone(),
                    });
                }
                names.push(&user.name);
                let policies = user
                    .policies
                    .iter()
                    .enumerate()
                    .map(|(index, p)| {
                        Policy::from_value(p, PolicyKind::Identity).map_err(|source| {
                            IamFileError::Policy {
                                account: account.id.clone(),
                                user: user.name.clone(),
                                index,
                                source,
                            }
                        })
                    })
                    .collect::<Result<Vec<_>, _>>()?;
                let resolved = Arc::new(User {
                    account: account.id.clone(),
                    name: user.name.clone(),
                    arn: format!("arn:aws:iam::{}:user/{}", account.id, user.name),
                    policies,
                });
                for key in &user.access_keys {
                    if key.id.is_empty() || key.secret.is_empty() {
                        return Err(IamFileError::EmptyKey(key.id.clone()));
                    }
                    if iam.by_key.contains_key(&key.id) {
                        return Err(IamFileError::DuplicateAccessKey(key.id.clone()));
                    }
                    iam.by_key
                        .insert(key.id.clone(), (key.secret.clone(), resolved.clone()));
                }
            }
            iam.accounts.push(account.id);
        }
        Ok(iam)
    }

    /// Every (access key id, secret) pair, for SigV4 verification.
    pub fn key_pairs(&self) -> impl Iterator<Item = (&str, &str)> {
        self.by_key
            .iter()
            .map(|(id, (secret, _))| (id.as_str(), secret.as_str()))
    }

    /// The user an access key belongs to.
    pub fn user_for_key(&self, access_key: &str) -> Option<&Arc<User>> {
        self.by_key.get(access_key).map(|(_, user)| user)
    }

    /// The declared account ids, in file order.
    pub fn accounts(&self) -> &[String] {
        &self.accounts
    }

    /// The account that owns what was made before accounts existed (data
    /// of a server started without an IAM file): the file's first account.
    pub fn default_account(&self) -> Option<&str> {
        self.accounts.first().map(String::as_str)
    }
}
