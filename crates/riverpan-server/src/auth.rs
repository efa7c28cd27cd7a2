//! Accounts and API tokens: password hashing (argon2id), token generation and checking
//! (random secrets stored as sha256), token scopes, HTTP credential parsing and the
//! failed-login rate limiter.
//!
//! Credentials, as PAUSE accepts them (`pause.md` §1.1, §1.2):
//! * `Authorization: Basic base64(PAUSEID:PASSWORD)` — what CPAN::Uploader sends. The password
//!   may also be a token (`PAUSEID:TOKENID:SECRET` or `TOKENID:SECRET`), so that `cpan-upload -p`
//!   works with tokens too.
//! * `Authorization: Bearer PAUSEID:TOKENID:SECRET` — the 2026 PAUSE token API's shape
//!   (`TOKENID:SECRET` alone is accepted as well).

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use base64::Engine;
use riverpan_store::{Store, TokenRecord};
use sha2::{Digest, Sha256};

/// Bytes of randomness in a token secret (shown once as 64 hex digits).
const SECRET_BYTES: usize = 32;
/// Bytes of randomness in a token's public id (16 hex digits).
const TOKEN_ID_BYTES: usize = 8;

/// Why hashing or generating a secret failed (the OS random source or argon2 itself).
#[derive(Debug, thiserror::Error)]
pub enum CredentialError {
    /// The operating system's random source failed.
    #[error("no randomness available: {0}")]
    Random(String),
    /// argon2 refused its input.
    #[error("password hashing failed: {0}")]
    Hash(String),
    /// A token scope that is not `upload` or `upload:PATTERN,...`.
    #[error("{0}")]
    BadScope(String),
}

/// `count` random bytes as lower-case hex.
pub fn random_hex(count: usize) -> Result<String, CredentialError> {
    let mut bytes = vec![0u8; count];
    getrandom::fill(&mut bytes).map_err(|error| CredentialError::Random(error.to_string()))?;
    Ok(hex(&bytes))
}

/// A random password for generated accounts (the admin bootstrap, `riverpan passwd`).
pub fn random_password() -> Result<String, CredentialError> {
    random_hex(16)
}

/// The argon2id PHC string of `password` (random salt, the argon2 crate's default cost).
pub fn hash_password(password: &str) -> Result<String, CredentialError> {
    let mut salt = [0u8; 16];
    getrandom::fill(&mut salt).map_err(|error| CredentialError::Random(error.to_string()))?;
    let salt =
        SaltString::encode_b64(&salt).map_err(|error| CredentialError::Hash(error.to_string()))?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|hash| hash.to_string())
        .map_err(|error| CredentialError::Hash(error.to_string()))
}

/// Whether `password` matches the PHC string `hash` (any argon2 variant and cost it records).
pub fn verify_password(hash: &str, password: &str) -> bool {
    PasswordHash::new(hash).is_ok_and(|parsed| {
        Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok()
    })
}

/// A hash of a password no one knows, verified for unknown users so that a failed login takes
/// as long whether or not the account exists.
fn decoy_hash() -> &'static str {
    static DECOY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DECOY.get_or_init(|| hash_password("riverpan decoy password").unwrap_or_default())
}

/// sha256 of `text`, lower-case hex (how token secrets are stored).
pub fn sha256_hex(text: &str) -> String {
    hex(&Sha256::digest(text.as_bytes()))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// What a token may do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TokenScope {
    /// `upload`: upload (and delete) any of the owner's distributions.
    Upload,
    /// `upload:Foo::*,Bar`: only distributions whose main package (the dist name with `-` as
    /// `::`) is one of the names, or inside one of the `Name::*` namespaces.
    UploadLimited(Vec<String>),
    /// `perms`: permission management only (`/api/v1/permissions/…`, transfers, adoptions);
    /// no uploads or deletions.
    Perms,
}

impl TokenScope {
    /// Parses `upload` or `upload:PATTERN[,PATTERN…]`.
    pub fn parse(text: &str) -> Result<TokenScope, CredentialError> {
        let text = text.trim();
        if text == "upload" || text == "upload:distributions" {
            return Ok(TokenScope::Upload);
        }
        if text == "perms" {
            return Ok(TokenScope::Perms);
        }
        let Some(list) = text.strip_prefix("upload:") else {
            return Err(CredentialError::BadScope(format!(
                "unknown token scope {text:?}: use `upload`, `upload:Foo::*,Bar` or `perms`"
            )));
        };
        let mut patterns = Vec::new();
        for pattern in list.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let name = pattern.strip_suffix("::*").unwrap_or(pattern);
            let valid = !name.is_empty()
                && name.split("::").all(|part| {
                    !part.is_empty() && part.chars().all(|c| c.is_alphanumeric() || c == '_')
                });
            if !valid {
                return Err(CredentialError::BadScope(format!(
                    "{pattern:?} is not a package name or a `Name::*` namespace"
                )));
            }
            patterns.push(pattern.to_string());
        }
        if patterns.is_empty() {
            return Err(CredentialError::BadScope(
                "`upload:` needs at least one package or namespace".into(),
            ));
        }
        Ok(TokenScope::UploadLimited(patterns))
    }

    /// Whether a distribution whose main package is `package` falls in the scope.
    pub fn allows_package(&self, package: &str) -> bool {
        match self {
            TokenScope::Upload => true,
            TokenScope::Perms => false,
            TokenScope::UploadLimited(patterns) => {
                patterns
                    .iter()
                    .any(|pattern| match pattern.strip_suffix("::*") {
                        Some(namespace) => {
                            package == namespace
                                || package
                                    .strip_prefix(namespace)
                                    .is_some_and(|rest| rest.starts_with("::"))
                        }
                        None => package == pattern,
                    })
            }
        }
    }
}

impl std::fmt::Display for TokenScope {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            TokenScope::Upload => f.write_str("upload"),
            TokenScope::UploadLimited(patterns) => write!(f, "upload:{}", patterns.join(",")),
            TokenScope::Perms => f.write_str("perms"),
        }
    }
}

/// A freshly generated token: the record to store and the text shown once to its owner.
#[derive(Debug)]
pub struct NewToken {
    /// What the store keeps.
    pub record: TokenRecord,
    /// `PAUSEID:TOKENID:SECRET`, the form PAUSE shows; never stored.
    pub shown: String,
}

/// Generates a token for `userid` (32 random bytes of secret, stored as sha256).
pub fn generate_token(
    userid: &str,
    scope: &TokenScope,
    expires_at: Option<i64>,
    description: &str,
    now: i64,
) -> Result<NewToken, CredentialError> {
    let token_id = random_hex(TOKEN_ID_BYTES)?;
    let secret = random_hex(SECRET_BYTES)?;
    Ok(NewToken {
        shown: format!("{userid}:{token_id}:{secret}"),
        record: TokenRecord {
            token_id,
            userid: userid.to_string(),
            secret_sha256: sha256_hex(&secret),
            scope: scope.to_string(),
            description: description.to_string(),
            created_at: now,
            expires_at,
            revoked_at: None,
            last_used_at: None,
        },
    })
}

/// Who made a request, and with what.
#[derive(Debug, Clone)]
pub struct Principal {
    /// The authenticated PAUSE id.
    pub userid: String,
    /// Administrators may upload and delete for others.
    pub is_admin: bool,
    /// What the request may do: [`TokenScope::Upload`] for a password login.
    pub scope: TokenScope,
    /// The token used, `None` for a password login.
    pub token_id: Option<String>,
}

/// Credentials as found in the `Authorization` header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Credentials {
    /// Basic: user and password (which may be a token).
    Basic { userid: String, password: String },
    /// Bearer: the token text.
    Bearer(String),
}

/// Parses an `Authorization` header value; `None` when it is neither Basic nor Bearer or is
/// malformed.
pub(crate) fn parse_authorization(value: &str) -> Option<Credentials> {
    let (kind, rest) = value.trim().split_once(' ')?;
    let rest = rest.trim();
    if kind.eq_ignore_ascii_case("basic") {
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(rest)
            .ok()?;
        let decoded = String::from_utf8(decoded).ok()?;
        let (userid, password) = decoded.split_once(':')?;
        Some(Credentials::Basic {
            // PAUSE looks the user up as given, then upper-cased; ids are upper-case here.
            userid: userid.trim().to_ascii_uppercase(),
            password: password.to_string(),
        })
    } else if kind.eq_ignore_ascii_case("bearer") {
        Some(Credentials::Bearer(rest.to_string()))
    } else {
        None
    }
}

/// Splits token text `PAUSEID:TOKENID:SECRET` or `TOKENID:SECRET` (both hex parts of the
/// right length) into (userid if given, token id, secret).
fn split_token(text: &str) -> Option<(Option<&str>, &str, &str)> {
    let parts: Vec<&str> = text.split(':').collect();
    let (userid, token_id, secret) = match parts.as_slice() {
        [userid, token_id, secret] => (Some(*userid), *token_id, *secret),
        [token_id, secret] => (None, *token_id, *secret),
        _ => return None,
    };
    let is_hex = |s: &str, len: usize| s.len() == len && s.bytes().all(|b| b.is_ascii_hexdigit());
    (is_hex(token_id, TOKEN_ID_BYTES * 2) && is_hex(secret, SECRET_BYTES * 2))
        .then_some((userid, token_id, secret))
}

/// Why credentials were refused; the text is shown to the client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Refusal {
    /// Wrong user, password or token.
    Invalid(String),
}

/// Checks `credentials` against the store (blocking: argon2 and SQLite). `now` is in seconds.
pub(crate) fn check_credentials(
    store: &Store,
    credentials: &Credentials,
    now: i64,
) -> Result<Principal, CheckError> {
    match credentials {
        Credentials::Bearer(text) => check_token(store, None, text, now),
        Credentials::Basic { userid, password } => {
            if split_token(password).is_some() {
                return check_token(store, Some(userid), password, now);
            }
            let account = store.account(userid)?;
            let hash = account
                .as_ref()
                .and_then(|account| account.password_hash.as_deref());
            match (account.as_ref(), hash) {
                (Some(account), Some(hash)) if verify_password(hash, password) => {
                    // The state is told only to whoever knows the password.
                    refuse_nologin(store, &account.userid)?;
                    store.record_login(&account.userid, now)?;
                    Ok(Principal {
                        userid: account.userid.clone(),
                        is_admin: account.is_admin,
                        scope: TokenScope::Upload,
                        token_id: None,
                    })
                }
                _ => {
                    if hash.is_none() {
                        // Same work as a real check: no timing oracle for which ids exist.
                        let _ = verify_password(decoy_hash(), password);
                    }
                    Err(CheckError::Refused(Refusal::Invalid(
                        "wrong PAUSE id or password".into(),
                    )))
                }
            }
        }
    }
}

fn check_token(
    store: &Store,
    basic_user: Option<&str>,
    text: &str,
    now: i64,
) -> Result<Principal, CheckError> {
    let invalid = |why: &str| Err(CheckError::Refused(Refusal::Invalid(why.to_string())));
    let Some((named_user, token_id, secret)) = split_token(text) else {
        return invalid("invalid token (expected PAUSEID:TOKENID:SECRET)");
    };
    let Some(token) = store.token(token_id)? else {
        return invalid("invalid token");
    };
    let digest = sha256_hex(secret);
    // Compare digests, not secrets, in constant time over their (fixed) length.
    let same = digest.len() == token.secret_sha256.len()
        && digest
            .bytes()
            .zip(token.secret_sha256.bytes())
            .fold(0u8, |acc, (a, b)| acc | (a ^ b))
            == 0;
    let user_matches = [basic_user, named_user]
        .into_iter()
        .flatten()
        .all(|user| user.eq_ignore_ascii_case(&token.userid));
    if !same || !user_matches {
        return invalid("invalid token");
    }
    if token.revoked_at.is_some() {
        return invalid("this token was revoked");
    }
    if token.expires_at.is_some_and(|expires| expires <= now) {
        return invalid("this token has expired");
    }
    let scope = TokenScope::parse(&token.scope)
        .map_err(|error| CheckError::Refused(Refusal::Invalid(error.to_string())))?;
    let Some(account) = store.account(&token.userid)? else {
        return invalid("the token's account no longer exists");
    };
    refuse_nologin(store, &account.userid)?;
    store.touch_token(&token.token_id, now)?;
    Ok(Principal {
        userid: token.userid,
        is_admin: account.is_admin,
        scope,
        token_id: Some(token.token_id),
    })
}

/// Refuses an account set to `nologin` by an administrator (PAUSE's words: sign-in and
/// uploads, password or token, are refused).
fn refuse_nologin(store: &Store, userid: &str) -> Result<(), CheckError> {
    let nologin = store
        .account_state(userid)?
        .is_some_and(|state| state.state == "nologin");
    if nologin {
        tracing::info!(user = %userid, "credentials of a nologin account refused");
        return Err(CheckError::Refused(Refusal::Invalid(format!(
            "User '{userid}' set to nologin: the administrators have disabled this account; \
             talk to them"
        ))));
    }
    Ok(())
}

/// The outcome of a failed [`check_credentials`].
#[derive(Debug)]
pub(crate) enum CheckError {
    /// The credentials are wrong.
    Refused(Refusal),
    /// The store failed.
    Store(riverpan_store::StoreError),
}

impl From<riverpan_store::StoreError> for CheckError {
    fn from(error: riverpan_store::StoreError) -> CheckError {
        CheckError::Store(error)
    }
}

/// Failed logins per client address and per PAUSE id within a sliding window; over the limit,
/// further attempts are answered 429 without checking (so a password cannot be guessed fast).
pub(crate) struct FailureLimiter {
    limit: usize,
    window: Duration,
    failures: Mutex<HashMap<String, VecDeque<Instant>>>,
}

impl FailureLimiter {
    /// At most `limit` failures per `window` per key.
    pub(crate) fn new(limit: usize, window: Duration) -> FailureLimiter {
        FailureLimiter {
            limit,
            window,
            failures: Mutex::new(HashMap::new()),
        }
    }

    fn map(&self) -> std::sync::MutexGuard<'_, HashMap<String, VecDeque<Instant>>> {
        // Counters only: a panic elsewhere cannot leave them inconsistent in a harmful way.
        self.failures
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// `Some(wait)` when any of `keys` is over the limit.
    pub(crate) fn blocked(&self, keys: &[String]) -> Option<Duration> {
        let now = Instant::now();
        let mut map = self.map();
        let mut wait = None;
        for key in keys {
            if let Some(times) = map.get_mut(key) {
                while times
                    .front()
                    .is_some_and(|&first| now.duration_since(first) >= self.window)
                {
                    times.pop_front();
                }
                if times.len() >= self.limit {
                    if let Some(&first) = times.front() {
                        let left = self.window.saturating_sub(now.duration_since(first));
                        wait = Some(wait.map_or(left, |w: Duration| w.max(left)));
                    }
                }
            }
        }
        // Forget idle keys so that the map does not grow with every address ever seen.
        if map.len() > 10_000 {
            map.retain(|_, times| {
                times
                    .back()
                    .is_some_and(|&last| now.duration_since(last) < self.window)
            });
        }
        wait
    }

    /// Counts one failure against each of `keys`.
    pub(crate) fn record_failure(&self, keys: &[String]) {
        let now = Instant::now();
        let mut map = self.map();
        for key in keys {
            let times = map.entry(key.clone()).or_default();
            times.push_back(now);
            while times.len() > self.limit {
                times.pop_front();
            }
        }
    }

    /// Forgets the failures of a PAUSE id after it logged in.
    pub(crate) fn record_success(&self, user_key: &str) {
        self.map().remove(user_key);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_parse_and_match() -> Result<(), CredentialError> {
        assert_eq!(TokenScope::parse("upload")?, TokenScope::Upload);
        let scope = TokenScope::parse("upload:Foo::*,Bar")?;
        assert_eq!(scope.to_string(), "upload:Foo::*,Bar");
        assert!(scope.allows_package("Foo"));
        assert!(scope.allows_package("Foo::Baz::Quux"));
        assert!(!scope.allows_package("Foobar"));
        assert!(scope.allows_package("Bar"));
        assert!(!scope.allows_package("Bar::Baz"));
        assert!(TokenScope::parse("delete").is_err());
        assert_eq!(TokenScope::parse("perms")?, TokenScope::Perms);
        assert!(!TokenScope::Perms.allows_package("Foo"));
        assert!(TokenScope::parse("upload:").is_err());
        assert!(TokenScope::parse("upload:Foo-Bar").is_err());
        Ok(())
    }

    #[test]
    fn passwords_hash_and_verify() -> Result<(), CredentialError> {
        let hash = hash_password("s3cret")?;
        assert!(hash.starts_with("$argon2id$"), "{hash}");
        assert!(verify_password(&hash, "s3cret"));
        assert!(!verify_password(&hash, "S3cret"));
        assert!(!verify_password("not a hash", "s3cret"));
        Ok(())
    }

    #[test]
    fn authorization_headers_parse() {
        // "neilb:pw:with:colons"
        let header = format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode("neilb:pw:with:colons")
        );
        assert_eq!(
            parse_authorization(&header),
            Some(Credentials::Basic {
                userid: "NEILB".into(),
                password: "pw:with:colons".into()
            })
        );
        assert_eq!(
            parse_authorization("Bearer A:b:c"),
            Some(Credentials::Bearer("A:b:c".into()))
        );
        assert_eq!(parse_authorization("Digest x"), None);
        assert_eq!(parse_authorization("Basic !!!"), None);
    }

    #[test]
    fn limiter_blocks_after_the_limit() {
        let limiter = FailureLimiter::new(3, Duration::from_secs(60));
        let keys = vec!["ip:1".to_string(), "user:X".to_string()];
        for _ in 0..3 {
            assert!(limiter.blocked(&keys).is_none());
            limiter.record_failure(&keys);
        }
        let wait = limiter.blocked(&keys).expect("blocked after 3 failures");
        assert!(wait <= Duration::from_secs(60) && wait > Duration::from_secs(50));
        limiter.record_success("user:X");
        assert!(limiter.blocked(&["user:X".to_string()]).is_none());
        assert!(limiter.blocked(&["ip:1".to_string()]).is_some());
    }
}
