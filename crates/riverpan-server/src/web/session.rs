//! Web sessions: a random 32-byte secret in an `HttpOnly; SameSite=Lax` cookie, stored as its
//! sha256 in the `web_sessions` table of the store file (created here, idempotently), with an
//! absolute expiry; and CSRF tokens, derived from the session secret, checked in constant time.
//!
//! The sign-in form has no session yet: it is protected by a double-submit token (a random
//! value in a short-lived cookie and in the form, which must agree).

use std::path::Path;
use std::time::Duration;

use axum::http::{header, HeaderMap, HeaderValue};
use riverpan_testers::rusqlite::{params, Connection, OptionalExtension};

use crate::auth::{random_hex, sha256_hex};

/// The session cookie.
pub(crate) const SESSION_COOKIE: &str = "riverpan_session";
/// The sign-in form's double-submit cookie.
pub(crate) const SIGNIN_COOKIE: &str = "riverpan_signin";
/// How long a session lasts after signing in (no sliding renewal: sign in again).
pub(crate) const SESSION_LIFETIME: Duration = Duration::from_secs(12 * 3600);
/// How long the sign-in form stays usable.
const SIGNIN_LIFETIME: Duration = Duration::from_secs(3600);
/// Bytes of randomness in a session secret.
const SESSION_BYTES: usize = 32;

/// A signed-in author.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Session {
    /// The PAUSE id.
    pub(crate) userid: String,
    /// Administrators may upload and delete for others.
    pub(crate) is_admin: bool,
    /// The token every form of this session must carry.
    pub(crate) csrf_token: String,
    /// The sha256 of the session secret: names the session without revealing it.
    pub(crate) id_sha256: String,
}

/// Why a session operation failed.
#[derive(Debug, thiserror::Error)]
pub(crate) enum SessionError {
    #[error("session store: {0}")]
    Sqlite(#[from] riverpan_testers::rusqlite::Error),
    #[error("{0}")]
    Random(#[from] crate::auth::CredentialError),
}

/// A connection to the store file (whose migration 7 made the sessions table; the store was
/// opened, and so migrated, when the server started).
pub(crate) fn open_store_file(data_dir: &Path) -> Result<Connection, SessionError> {
    let conn = Connection::open(data_dir.join(riverpan_store::STORE_FILE_NAME))?;
    conn.busy_timeout(Duration::from_secs(5))?;
    Ok(conn)
}

/// The CSRF token of the session whose secret is `secret`.
fn csrf_of(secret: &str) -> String {
    sha256_hex(&format!("riverpan csrf {secret}"))
}

/// Whether two tokens are equal, in time independent of where they differ.
pub(crate) fn tokens_match(expected: &str, given: &str) -> bool {
    expected.len() == given.len()
        && !expected.is_empty()
        && expected
            .bytes()
            .zip(given.bytes())
            .fold(0u8, |acc, (a, b)| acc | (a ^ b))
            == 0
}

/// Starts a session for `userid` at `now` (seconds); returns the secret for the cookie.
/// Expired sessions are removed on the way.
pub(crate) fn create(data_dir: &Path, userid: &str, now: i64) -> Result<String, SessionError> {
    let secret = random_hex(SESSION_BYTES)?;
    let conn = open_store_file(data_dir)?;
    conn.execute(
        "DELETE FROM web_sessions WHERE expires_at <= ?1",
        params![now],
    )?;
    conn.execute(
        "INSERT INTO web_sessions (id_sha256, userid, created_at, expires_at)
         VALUES (?1, ?2, ?3, ?4)",
        params![
            sha256_hex(&secret),
            userid,
            now,
            now + SESSION_LIFETIME.as_secs() as i64
        ],
    )?;
    Ok(secret)
}

/// The live session of `secret` at `now`, if any: unknown, expired sessions and sessions of
/// accounts that no longer exist or are set to `nologin` give `None`.
pub(crate) fn lookup(
    data_dir: &Path,
    secret: &str,
    now: i64,
) -> Result<Option<Session>, SessionError> {
    // Cookie values are 64 hex digits; anything else is not worth a query.
    if secret.len() != SESSION_BYTES * 2 || !secret.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Ok(None);
    }
    let id_sha256 = sha256_hex(secret);
    let conn = open_store_file(data_dir)?;
    let found = conn
        .query_row(
            "SELECT s.userid, a.is_admin, s.expires_at FROM web_sessions s
             JOIN accounts a ON a.userid = s.userid
             WHERE s.id_sha256 = ?1 AND a.state = 'active'",
            params![id_sha256],
            |row| {
                Ok((
                    row.get::<_, String>(0)?,
                    row.get::<_, i64>(1)?,
                    row.get::<_, i64>(2)?,
                ))
            },
        )
        .optional()?;
    match found {
        Some((userid, is_admin, expires_at)) if expires_at > now => Ok(Some(Session {
            userid,
            is_admin: is_admin != 0,
            csrf_token: csrf_of(secret),
            id_sha256,
        })),
        Some(_) => {
            conn.execute(
                "DELETE FROM web_sessions WHERE id_sha256 = ?1",
                params![id_sha256],
            )?;
            Ok(None)
        }
        None => Ok(None),
    }
}

/// Ends the session `id_sha256`.
pub(crate) fn delete(data_dir: &Path, id_sha256: &str) -> Result<(), SessionError> {
    open_store_file(data_dir)?.execute(
        "DELETE FROM web_sessions WHERE id_sha256 = ?1",
        params![id_sha256],
    )?;
    Ok(())
}

/// A fresh token for the sign-in form's double submit.
pub(crate) fn signin_token() -> Result<String, SessionError> {
    Ok(random_hex(16)?)
}

/// The value of cookie `name` in the request, if sent.
pub(crate) fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value.trim_matches('"').to_string())
}

/// Whether the request reached the proxy in front of riverpan over https.
pub(crate) fn came_over_https(headers: &HeaderMap) -> bool {
    headers
        .get("x-forwarded-proto")
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.split(',').next())
        .is_some_and(|proto| proto.trim().eq_ignore_ascii_case("https"))
}

/// A `Set-Cookie` value: `HttpOnly; SameSite=Lax; Path=/`, `Secure` over https, and `Max-Age`
/// (0 removes the cookie).
pub(crate) fn set_cookie(name: &str, value: &str, max_age: Duration, secure: bool) -> HeaderValue {
    let secure = if secure { "; Secure" } else { "" };
    let text = format!(
        "{name}={value}; Max-Age={}; Path=/; HttpOnly; SameSite=Lax{secure}",
        max_age.as_secs()
    );
    // Names are constants and values hex: always a valid header value.
    HeaderValue::from_str(&text).unwrap_or_else(|_| HeaderValue::from_static(""))
}

/// The `Set-Cookie` of a new session.
pub(crate) fn session_cookie(secret: &str, secure: bool) -> HeaderValue {
    set_cookie(SESSION_COOKIE, secret, SESSION_LIFETIME, secure)
}

/// The `Set-Cookie` of the sign-in form's token.
pub(crate) fn signin_cookie(token: &str, secure: bool) -> HeaderValue {
    set_cookie(SIGNIN_COOKIE, token, SIGNIN_LIFETIME, secure)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_compare_whole() {
        assert!(tokens_match("abc", "abc"));
        assert!(!tokens_match("abc", "abd"));
        assert!(!tokens_match("abc", "ab"));
        assert!(!tokens_match("", ""));
    }

    #[test]
    fn cookies_are_found_among_others() {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::COOKIE,
            HeaderValue::from_static("a=1; riverpan_session=abc ; b=2"),
        );
        assert_eq!(cookie(&headers, SESSION_COOKIE).as_deref(), Some("abc"));
        assert_eq!(cookie(&headers, "c"), None);
        assert!(!came_over_https(&headers));
        headers.insert("x-forwarded-proto", HeaderValue::from_static("https"));
        assert!(came_over_https(&headers));
        let set = session_cookie("ff", true);
        assert_eq!(
            set.to_str().ok(),
            Some("riverpan_session=ff; Max-Age=43200; Path=/; HttpOnly; SameSite=Lax; Secure")
        );
    }

    #[test]
    fn sessions_live_until_they_expire() -> Result<(), Box<dyn std::error::Error>> {
        let dir = tempfile::tempdir()?;
        let store = riverpan_store::Store::open(dir.path())?;
        store.upsert_account(
            &riverpan_store::AccountRecord {
                userid: "NEILB".into(),
                password_hash: None,
                is_admin: false,
            },
            1,
        )?;
        let secret = create(dir.path(), "NEILB", 1000)?;
        let session = lookup(dir.path(), &secret, 1001)?.ok_or("no session")?;
        assert_eq!(session.userid, "NEILB");
        assert_eq!(session.csrf_token.len(), 64);
        assert_ne!(session.csrf_token, secret);
        let expiry = 1000 + SESSION_LIFETIME.as_secs() as i64;
        assert!(lookup(dir.path(), &secret, expiry)?.is_none());
        // Expired sessions are deleted when seen.
        assert!(lookup(dir.path(), &secret, 1001)?.is_none());
        let other = create(dir.path(), "NEILB", 1000)?;
        let session = lookup(dir.path(), &other, 1001)?.ok_or("no session")?;
        delete(dir.path(), &session.id_sha256)?;
        assert!(lookup(dir.path(), &other, 1001)?.is_none());
        assert!(lookup(dir.path(), "not-hex", 1001)?.is_none());
        Ok(())
    }
}
