//! riverpan's web pages, rendered on the server.
//!
//! Everything here is pure: a page is a function from plain values (what the handlers read from
//! the store) to [`maud::Markup`]. maud escapes every interpolated string unless it is wrapped
//! in `PreEscaped`, so text that came from an upload (names, versions, META text, report text)
//! cannot become markup; the only `PreEscaped` values in this crate are SVG built by
//! [`svg`] from numbers and escaped labels.
//!
//! The pages need no JavaScript: links are plain URLs, forms post. The stylesheet is served from
//! `/static/riverpan.css` ([`STYLESHEET`]) so that the Content-Security-Policy
//! ([`CONTENT_SECURITY_POLICY`]) can forbid inline styles and scripts.

pub mod account;
pub mod author;
pub mod bbc;
pub mod dist;
pub mod format;
pub mod home;
pub mod ids;
pub mod layout;
pub mod perms;
pub mod river;
pub mod status;
pub mod svg;

pub use maud::{html, Markup, PreEscaped, DOCTYPE};

/// The stylesheet every page links to, served at [`STYLESHEET_PATH`].
pub const STYLESHEET: &str = include_str!("../assets/riverpan.css");

/// Where the stylesheet is served.
pub const STYLESHEET_PATH: &str = "/static/riverpan.css";

/// The Content-Security-Policy of every HTML page: nothing from elsewhere, no inline script or
/// style, no framing, forms only to this site.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; style-src 'self'; img-src 'self' data:; script-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// URL path segment escaping for links built from names (`Foo-Bar`, `Foo::Bar`, versions):
/// everything but unreserved characters and `:` is percent-encoded, so a name can never
/// leave its path segment.
pub fn path_segment(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~' | b':') {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// Query-string value escaping (as [`path_segment`], and `:` too).
pub fn query_value(text: &str) -> String {
    path_segment(text).replace(':', "%3A")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_segments_stay_segments() {
        assert_eq!(path_segment("Foo::Bar"), "Foo::Bar");
        assert_eq!(path_segment("Foo-Bar"), "Foo-Bar");
        assert_eq!(path_segment("../x"), "..%2Fx");
        assert_eq!(path_segment("a b?c#d"), "a%20b%3Fc%23d");
        assert_eq!(path_segment("\"><script>"), "%22%3E%3Cscript%3E");
        assert_eq!(query_value("Foo::Bar&x=1"), "Foo%3A%3ABar%26x%3D1");
    }

    #[test]
    fn interpolated_text_is_escaped() {
        let hostile = "<script>alert(1)</script>\"'&";
        let page = html! { p title=(hostile) { (hostile) } }.into_string();
        assert!(!page.contains("<script>"));
        assert!(page.contains("&lt;script&gt;"));
        assert!(page.contains("&quot;"));
    }
}
