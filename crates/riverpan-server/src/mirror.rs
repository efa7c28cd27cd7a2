//! The CPAN mirror: `GET`/`HEAD` of `/authors/…` and `/modules/…` from the published tree
//! `DIR/cpan/`, and of `/backpan/authors/…` from `DIR/backpan/authors/…` (deleted files) with the
//! live tree behind it, so that `/backpan` is a whole BackPAN as backpan.perl.org is.
//!
//! What CPAN clients rely on (`shared/reference/ecosystem.md` §1.7):
//! * `Last-Modified` and a strong `ETag`; `If-None-Match`, else `If-Modified-Since`, answer
//!   304.  `If-Modified-Since` must equal `Last-Modified` exactly: "not modified since" would
//!   keep a client on a newer index after a rollback.
//! * one byte range (`Range`, `If-Range`) → 206, or 416 when it is past the end; several
//!   ranges are answered with the whole file, which RFC 9110 allows.
//! * the files as they are, never `Content-Encoding: gzip`: archives and `.gz` indexes are
//!   compressed already, and a client checks CHECKSUMS against the bytes it receives.
//! * index files and CHECKSUMS change with every upload (`Cache-Control: no-cache`, i.e.
//!   revalidate, which is one cheap 304); archive names are never reused, so archives may be
//!   cached for a day.
//!
//! Paths are checked segment by segment before they touch the file system: `.`, `..`, empty
//! segments, encoded `/` or `\`, and NUL are refused (400), and a file reached through a
//! symbolic link that leaves the tree is not found (404).

use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::body::Body;
use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;

use crate::ServerState;

/// Bodies up to this size are read in one go on the blocking pool; larger ones are streamed.
const READ_WHOLE_LIMIT: u64 = 8 * 1024 * 1024;

/// Chunk size of streamed bodies.
const STREAM_CHUNK: usize = 256 * 1024;

/// `Cache-Control` of files whose content changes (indexes, CHECKSUMS, READMEs).
const REVALIDATE: &str = "no-cache";

/// `Cache-Control` of release archives, whose names PAUSE never lets anyone reuse.
const IMMUTABLE_NAME: &str = "public, max-age=86400";

/// The routes of this module.
pub(crate) fn routes() -> Router<ServerState> {
    Router::new()
        .route("/authors/{*path}", get(authors))
        .route("/modules/{*path}", get(modules))
        .route("/backpan/authors/{*path}", get(backpan))
}

async fn authors(
    State(state): State<ServerState>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    let cpan = state.inner.data_dir.join("cpan");
    serve(vec![cpan.clone()], cpan, "/", method, uri, headers).await
}

async fn modules(
    State(state): State<ServerState>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    let cpan = state.inner.data_dir.join("cpan");
    serve(vec![cpan.clone()], cpan, "/", method, uri, headers).await
}

async fn backpan(
    State(state): State<ServerState>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    let data_dir = &state.inner.data_dir;
    // Deleted files first, then the live tree: BackPAN has every file ever uploaded.
    let roots = vec![data_dir.join("backpan"), data_dir.join("cpan")];
    serve(roots, data_dir.clone(), "/backpan/", method, uri, headers).await
}

/// Why a path is not served.
#[derive(Debug, PartialEq, Eq)]
enum Refusal {
    /// A path that tries to leave the tree or is not a clean path: 400.
    BadPath(&'static str),
    /// Nothing there (or a directory, or a link out of the tree): 404.
    NotFound,
}

/// The segments of the request path below `prefix`, each percent-decoded and checked.
fn clean_segments(raw_path: &str, prefix: &str) -> Result<Vec<String>, Refusal> {
    let relative = raw_path.strip_prefix(prefix).ok_or(Refusal::NotFound)?;
    let mut segments = Vec::new();
    for raw in relative.split('/') {
        let decoded = percent_decode(raw).ok_or(Refusal::BadPath("bad percent-encoding"))?;
        let text = String::from_utf8(decoded).map_err(|_| Refusal::BadPath("not UTF-8"))?;
        match text.as_str() {
            "." | ".." => return Err(Refusal::BadPath("dot segments are not allowed")),
            // A trailing slash asks for a directory listing, which the mirror does not serve.
            "" => return Err(Refusal::NotFound),
            _ => {}
        }
        if text.contains(['/', '\\', '\0']) {
            return Err(Refusal::BadPath("encoded separators are not allowed"));
        }
        segments.push(text);
    }
    Ok(segments)
}

/// `%XX` decoding; `None` for a `%` not followed by two hex digits.
fn percent_decode(text: &str) -> Option<Vec<u8>> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = bytes.get(i + 1..i + 3)?;
            let hex = std::str::from_utf8(hex).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    Some(out)
}

/// An open file to answer with.
struct Found {
    file: File,
    path: PathBuf,
    len: u64,
    modified: SystemTime,
}

/// Finds `segments` below the first root that has them, refusing links out of `jail`.
fn find(roots: &[PathBuf], jail: &Path, segments: &[String]) -> Result<Found, Refusal> {
    let jail = jail.canonicalize().map_err(|_| Refusal::NotFound)?;
    for root in roots {
        let mut candidate = root.clone();
        candidate.extend(segments);
        let Ok(real) = candidate.canonicalize() else {
            continue;
        };
        if !real.starts_with(&jail) {
            tracing::warn!(path = %candidate.display(), "refused: a link out of the tree");
            return Err(Refusal::NotFound);
        }
        let Ok(file) = File::open(&real) else {
            continue;
        };
        // Metadata of the open file, so that size and date belong to the bytes sent even when
        // the publisher replaces the file right now.
        let Ok(metadata) = file.metadata() else {
            continue;
        };
        if !metadata.is_file() {
            return Err(Refusal::NotFound);
        }
        return Ok(Found {
            file,
            path: real,
            len: metadata.len(),
            modified: metadata.modified().unwrap_or(UNIX_EPOCH),
        });
    }
    Err(Refusal::NotFound)
}

/// The `Content-Type` of a mirror file.
fn content_type(name: &str) -> &'static str {
    let lower = name.to_ascii_lowercase();
    let text = "text/plain; charset=utf-8";
    if lower.ends_with(".gz") || lower.ends_with(".tgz") {
        "application/x-gzip"
    } else if lower.ends_with(".bz2") {
        "application/x-bzip2"
    } else if lower.ends_with(".xz") {
        "application/x-xz"
    } else if lower.ends_with(".zip") {
        "application/zip"
    } else if lower.ends_with(".tar") {
        "application/x-tar"
    } else if lower.ends_with(".json") {
        "application/json"
    } else if lower == "checksums"
        || [
            ".txt", ".readme", ".meta", ".data", ".yml", ".yaml", ".asc", ".pod", ".md",
        ]
        .iter()
        .any(|suffix| lower.ends_with(suffix))
        || lower.ends_with("readme")
    {
        text
    } else {
        "application/octet-stream"
    }
}

/// `Cache-Control` of a mirror file.
fn cache_control(name: &str) -> &'static str {
    let lower = name.to_ascii_lowercase();
    let archive = [".tar.gz", ".tgz", ".tar.bz2", ".tar.xz", ".zip", ".tar"]
        .iter()
        .any(|suffix| lower.ends_with(suffix));
    // The index files are `.gz` too, but never under authors/id/ with a release-like name;
    // 01mailrc.txt.gz, 02packages…, 06perms… end in `.txt.gz`.
    if archive && !lower.ends_with(".txt.gz") {
        IMMUTABLE_NAME
    } else {
        REVALIDATE
    }
}

/// A strong validator from what changes whenever the file's bytes can have changed: the
/// publisher replaces files by renaming a new one over them, which sets a new mtime.
fn entity_tag(found: &Found) -> String {
    let since_epoch = found
        .modified
        .duration_since(UNIX_EPOCH)
        .unwrap_or(Duration::ZERO);
    format!(
        "\"{:x}-{:x}-{:x}\"",
        since_epoch.as_secs(),
        since_epoch.subsec_nanos(),
        found.len
    )
}

/// `Last-Modified` has whole seconds; comparisons use the same truncation.
fn whole_seconds(time: SystemTime) -> u64 {
    time.duration_since(UNIX_EPOCH)
        .map_or(0, |duration| duration.as_secs())
}

/// Whether an `If-None-Match` list matches `etag` (weak comparison, as RFC 9110 asks for it).
fn none_match(header_value: &str, etag: &str) -> bool {
    let bare = |tag: &str| tag.trim().trim_start_matches("W/").to_owned();
    let ours = bare(etag);
    header_value
        .split(',')
        .any(|candidate| candidate.trim() == "*" || bare(candidate) == ours)
}

/// The single byte range of a `Range` header: `Ok(None)` when it is absent, has several
/// ranges or is not in bytes (then the whole file is sent), `Err(())` when it cannot be
/// satisfied (416).
fn byte_range(header_value: &str, len: u64) -> Result<Option<(u64, u64)>, ()> {
    let Some(spec) = header_value.trim().strip_prefix("bytes=") else {
        return Ok(None);
    };
    if spec.contains(',') {
        return Ok(None);
    }
    let Some((first, last)) = spec.trim().split_once('-') else {
        return Ok(None);
    };
    let (first, last) = (first.trim(), last.trim());
    if first.is_empty() {
        // A suffix: the last N bytes.
        let Ok(suffix) = last.parse::<u64>() else {
            return Ok(None);
        };
        if suffix == 0 || len == 0 {
            return Err(());
        }
        return Ok(Some((len.saturating_sub(suffix), len - 1)));
    }
    let Ok(start) = first.parse::<u64>() else {
        return Ok(None);
    };
    let end = if last.is_empty() {
        len.saturating_sub(1)
    } else {
        match last.parse::<u64>() {
            Ok(end) if end >= start => end.min(len.saturating_sub(1)),
            _ => return Ok(None),
        }
    };
    if start >= len {
        return Err(());
    }
    Ok(Some((start, end)))
}

/// Which answer a request gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Answer {
    /// 304.
    NotModified,
    /// 416.
    Unsatisfiable,
    /// 200 with the whole file.
    Whole,
    /// 206 with bytes `start..=end`.
    Part(u64, u64),
}

/// What the blocking part found: the answer, and the body when it is small.
struct Prepared {
    found: Found,
    answer: Answer,
    body: Option<Vec<u8>>,
}

async fn serve(
    roots: Vec<PathBuf>,
    jail: PathBuf,
    prefix: &'static str,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    let segments = match clean_segments(uri.path(), prefix) {
        Ok(segments) => segments,
        Err(refusal) => return refused(&refusal),
    };
    let name = segments.last().cloned().unwrap_or_default();
    let head_only = method == Method::HEAD;
    let range_header = headers
        .get(header::RANGE)
        .and_then(|value| value.to_str().ok())
        .map(str::to_owned);
    let if_range = headers
        .get(header::IF_RANGE)
        .and_then(|value| value.to_str().ok())
        .map(str::to_owned);
    let if_none_match = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|value| value.to_str().ok())
        .map(str::to_owned);
    let if_modified_since = headers
        .get(header::IF_MODIFIED_SINCE)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| httpdate::parse_http_date(value).ok());

    let prepared = tokio::task::spawn_blocking(move || -> Result<Prepared, Refusal> {
        let mut found = find(&roots, &jail, &segments)?;
        let etag = entity_tag(&found);
        let modified = whole_seconds(found.modified);
        let not_modified = match (&if_none_match, if_modified_since) {
            (Some(list), _) => none_match(list, &etag),
            (None, Some(since)) => whole_seconds(since) == modified,
            (None, None) => false,
        };
        if not_modified {
            return Ok(Prepared {
                found,
                answer: Answer::NotModified,
                body: None,
            });
        }
        let range_applies = match &if_range {
            None => true,
            Some(value) if value.trim_start().starts_with('"') => value.trim() == etag,
            Some(value) => {
                httpdate::parse_http_date(value).is_ok_and(|date| whole_seconds(date) == modified)
            }
        };
        let range = match range_header.as_deref().filter(|_| range_applies) {
            Some(value) => match byte_range(value, found.len) {
                Ok(range) => range,
                Err(()) => {
                    return Ok(Prepared {
                        found,
                        answer: Answer::Unsatisfiable,
                        body: None,
                    })
                }
            },
            None => None,
        };
        let (start, end) = range.unwrap_or((0, found.len.saturating_sub(1)));
        let length = if found.len == 0 { 0 } else { end - start + 1 };
        let body = if head_only || length > READ_WHOLE_LIMIT {
            None
        } else {
            let mut bytes = Vec::with_capacity(length as usize);
            found
                .file
                .seek(SeekFrom::Start(start))
                .and_then(|_| (&mut found.file).take(length).read_to_end(&mut bytes))
                .map_err(|error| {
                    tracing::error!(path = %found.path.display(), %error, "cannot read");
                    Refusal::NotFound
                })?;
            Some(bytes)
        };
        let answer = match range {
            Some((start, end)) => Answer::Part(start, end),
            None => Answer::Whole,
        };
        Ok(Prepared {
            found,
            answer,
            body,
        })
    })
    .await;

    let prepared = match prepared {
        Ok(Ok(prepared)) => prepared,
        Ok(Err(refusal)) => return refused(&refusal),
        Err(error) => return crate::api::internal_error(&error.to_string()),
    };
    respond(prepared, &name, head_only)
}

fn respond(prepared: Prepared, name: &str, head_only: bool) -> Response {
    let Prepared {
        found,
        answer,
        body,
    } = prepared;
    let etag = entity_tag(&found);
    let mut builder = Response::builder()
        .header(header::ETAG, &etag)
        .header(
            header::LAST_MODIFIED,
            httpdate::fmt_http_date(found.modified),
        )
        .header(header::CACHE_CONTROL, cache_control(name))
        .header(header::ACCEPT_RANGES, "bytes")
        // Authors choose file names and contents: never let a browser guess HTML.
        .header(header::X_CONTENT_TYPE_OPTIONS, "nosniff");
    let len = found.len;
    let (status, start, length) = match answer {
        Answer::NotModified => (StatusCode::NOT_MODIFIED, 0, 0),
        Answer::Unsatisfiable => (StatusCode::RANGE_NOT_SATISFIABLE, 0, 0),
        Answer::Part(start, end) => (StatusCode::PARTIAL_CONTENT, start, end - start + 1),
        Answer::Whole => (StatusCode::OK, 0, len),
    };
    builder = builder.status(status);
    match status {
        StatusCode::NOT_MODIFIED => {
            return builder
                .body(Body::empty())
                .unwrap_or_else(|error| crate::api::internal_error(&error.to_string()));
        }
        StatusCode::RANGE_NOT_SATISFIABLE => {
            return builder
                .header(header::CONTENT_RANGE, format!("bytes */{len}"))
                .body(Body::empty())
                .unwrap_or_else(|error| crate::api::internal_error(&error.to_string()));
        }
        StatusCode::PARTIAL_CONTENT => {
            builder = builder.header(
                header::CONTENT_RANGE,
                format!("bytes {start}-{}/{len}", start + length - 1),
            );
        }
        _ => {}
    }
    builder = builder
        .header(
            header::CONTENT_TYPE,
            HeaderValue::from_static(content_type(name)),
        )
        .header(header::CONTENT_LENGTH, length);
    let body = if head_only {
        Body::empty()
    } else if let Some(bytes) = body {
        Body::from(bytes)
    } else {
        stream_body(found.file, start, length)
    };
    builder
        .body(body)
        .unwrap_or_else(|error| crate::api::internal_error(&error.to_string()))
}

/// A body that reads `length` bytes from `start` of `file` in chunks on the blocking pool.
fn stream_body(file: File, start: u64, length: u64) -> Body {
    let file = tokio::fs::File::from_std(file);
    let state = (file, start, length, false);
    let stream =
        futures_util::stream::unfold(state, |(mut file, start, left, seeked)| async move {
            use tokio::io::{AsyncReadExt, AsyncSeekExt};
            if left == 0 {
                return None;
            }
            if !seeked {
                if let Err(error) = file.seek(SeekFrom::Start(start)).await {
                    return Some((Err(error), (file, start, 0, true)));
                }
            }
            let want = usize::try_from(left).map_or(STREAM_CHUNK, |left| left.min(STREAM_CHUNK));
            let mut chunk = vec![0u8; want];
            match file.read(&mut chunk).await {
                // The file shrank under us: end the body, the length check of the client catches it.
                Ok(0) => None,
                Ok(read) => {
                    chunk.truncate(read);
                    Some((Ok(chunk), (file, start, left - read as u64, true)))
                }
                Err(error) => Some((Err(error), (file, start, 0, true))),
            }
        });
    Body::from_stream(stream)
}

fn refused(refusal: &Refusal) -> Response {
    let (status, message) = match refusal {
        Refusal::BadPath(why) => (StatusCode::BAD_REQUEST, format!("bad path: {why}\n")),
        Refusal::NotFound => (StatusCode::NOT_FOUND, "not found\n".to_owned()),
    };
    (
        status,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        message,
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn segments_are_decoded_and_checked() {
        assert_eq!(
            clean_segments("/authors/id/A/AB/ABC/Foo%2D1.0.tar.gz", "/"),
            Ok(vec![
                "authors".to_owned(),
                "id".into(),
                "A".into(),
                "AB".into(),
                "ABC".into(),
                "Foo-1.0.tar.gz".into()
            ])
        );
        for bad in [
            "/authors/../riverpan.sqlite",
            "/authors/%2e%2e/riverpan.sqlite",
            "/authors/%2E%2e/x",
            "/authors/id/a%2fb",
            "/authors/id/a%5cb",
            "/authors/id/a%00b",
            "/authors/./id",
            "/authors/id/%zz",
        ] {
            assert!(
                matches!(clean_segments(bad, "/"), Err(Refusal::BadPath(_))),
                "{bad}"
            );
        }
        assert_eq!(clean_segments("/authors/id/", "/"), Err(Refusal::NotFound));
        assert_eq!(clean_segments("/authors//id", "/"), Err(Refusal::NotFound));
    }

    #[test]
    fn ranges() {
        assert_eq!(byte_range("bytes=0-9", 100), Ok(Some((0, 9))));
        assert_eq!(byte_range("bytes=90-", 100), Ok(Some((90, 99))));
        assert_eq!(byte_range("bytes=-10", 100), Ok(Some((90, 99))));
        assert_eq!(byte_range("bytes=-1000", 100), Ok(Some((0, 99))));
        assert_eq!(byte_range("bytes=50-1000", 100), Ok(Some((50, 99))));
        assert_eq!(byte_range("bytes=100-", 100), Err(()));
        assert_eq!(byte_range("bytes=0-1,5-6", 100), Ok(None));
        assert_eq!(byte_range("items=0-1", 100), Ok(None));
        assert_eq!(byte_range("bytes=9-1", 100), Ok(None));
    }

    #[test]
    fn content_types_and_caching() {
        assert_eq!(content_type("Foo-1.0.tar.gz"), "application/x-gzip");
        assert_eq!(content_type("Foo-1.0.tgz"), "application/x-gzip");
        assert_eq!(content_type("Foo-1.0.tar.bz2"), "application/x-bzip2");
        assert_eq!(content_type("Foo-1.0.zip"), "application/zip");
        assert_eq!(content_type("CHECKSUMS"), "text/plain; charset=utf-8");
        assert_eq!(
            content_type("02packages.details.txt"),
            "text/plain; charset=utf-8"
        );
        assert_eq!(content_type("Foo-1.0.meta"), "text/plain; charset=utf-8");
        assert_eq!(content_type("blob"), "application/octet-stream");
        assert_eq!(cache_control("Foo-1.0.tar.gz"), IMMUTABLE_NAME);
        assert_eq!(cache_control("02packages.details.txt.gz"), REVALIDATE);
        assert_eq!(cache_control("CHECKSUMS"), REVALIDATE);
    }

    #[test]
    fn if_none_match_lists() {
        assert!(none_match("\"a\"", "\"a\""));
        assert!(none_match("W/\"a\", \"b\"", "\"a\""));
        assert!(none_match("*", "\"a\""));
        assert!(!none_match("\"b\"", "\"a\""));
    }
}
