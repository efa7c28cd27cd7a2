//! What the read-side test suites share: a repository with real uploads, the real server on
//! 127.0.0.1:0, and a small HTTP/1.1 client over a TCP socket (so that the tests can send
//! requests a polite client would not, such as `..` segments).

#![allow(dead_code)]

use std::error::Error;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use riverpan_repository::Repository;
use riverpan_server::{serve, ServerState};
use riverpan_store::{AuthorRecord, Store};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

pub type TestResult = Result<(), Box<dyn Error>>;

/// Every exchange gives up after this long instead of hanging the test run.
pub const TIMEOUT: Duration = Duration::from_secs(20);

/// A server running in the background, stopped by [`RunningServer::stop`].
pub struct RunningServer {
    pub addr: SocketAddr,
    stop: oneshot::Sender<()>,
    task: JoinHandle<std::io::Result<()>>,
}

impl RunningServer {
    /// Serves the data directory `data_dir` (read side only).
    pub async fn start(data_dir: &Path) -> Result<RunningServer, Box<dyn Error>> {
        let store = Store::open(data_dir)?;
        let state = ServerState::new("9.8.7-test", store);
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(serve(listener, state, async {
            let _ = stopped.await;
        }));
        Ok(RunningServer { addr, stop, task })
    }

    pub async fn stop(self) -> TestResult {
        let _ = self.stop.send(());
        tokio::time::timeout(TIMEOUT, self.task).await???;
        Ok(())
    }

    /// `GET path` without extra headers.
    pub async fn get(&self, path: &str) -> Result<HttpResponse, Box<dyn Error>> {
        request(self.addr, "GET", path, &[]).await
    }
}

/// A parsed HTTP response.
#[derive(Debug)]
pub struct HttpResponse {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl HttpResponse {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|error| {
            panic!("not JSON ({error}): {}", self.text());
        })
    }
}

/// Sends one request (`Connection: close`) with `headers`; `path` goes out exactly as given.
pub async fn request(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
) -> Result<HttpResponse, Box<dyn Error>> {
    let exchange = async {
        let mut stream = TcpStream::connect(addr).await?;
        let mut head = format!("{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n");
        for (name, value) in headers {
            head.push_str(&format!("{name}: {value}\r\n"));
        }
        head.push_str("\r\n");
        stream.write_all(head.as_bytes()).await?;
        let mut raw = Vec::new();
        stream.read_to_end(&mut raw).await?;
        Ok::<_, std::io::Error>(raw)
    };
    let raw = tokio::time::timeout(TIMEOUT, exchange).await??;
    parse_response(&raw)
}

fn parse_response(raw: &[u8]) -> Result<HttpResponse, Box<dyn Error>> {
    let split = raw
        .windows(4)
        .position(|window| window == b"\r\n\r\n")
        .ok_or("no end of headers")?;
    let head = std::str::from_utf8(&raw[..split])?;
    let mut body = raw[split + 4..].to_vec();
    let mut lines = head.split("\r\n");
    let status_line = lines.next().ok_or("no status line")?;
    let status = status_line
        .split(' ')
        .nth(1)
        .ok_or("no status code")?
        .parse()?;
    let headers: Vec<(String, String)> = lines
        .filter_map(|line| line.split_once(':'))
        .map(|(name, value)| (name.trim().to_owned(), value.trim().to_owned()))
        .collect();
    let chunked = headers.iter().any(|(name, value)| {
        name.eq_ignore_ascii_case("transfer-encoding") && value.contains("chunked")
    });
    if chunked {
        body = dechunk(&body)?;
    }
    Ok(HttpResponse {
        status,
        headers,
        body,
    })
}

fn dechunk(mut raw: &[u8]) -> Result<Vec<u8>, Box<dyn Error>> {
    let mut out = Vec::new();
    loop {
        let line_end = raw
            .windows(2)
            .position(|window| window == b"\r\n")
            .ok_or("bad chunk")?;
        let size = usize::from_str_radix(std::str::from_utf8(&raw[..line_end])?.trim(), 16)?;
        raw = &raw[line_end + 2..];
        if size == 0 {
            return Ok(out);
        }
        out.extend_from_slice(&raw[..size]);
        raw = &raw[size + 2..];
    }
}

/// `dir/NAME-VERSION.tar.gz` made with GNU tar: a plain META.json (no prerequisites) and one
/// module per package at `version`.
pub fn make_dist(
    dir: &Path,
    name: &str,
    version: &str,
    packages: &[&str],
) -> Result<PathBuf, Box<dyn Error>> {
    let meta = serde_json::json!({
        "name": name, "version": version, "abstract": "test",
        "author": ["A <a@example.org>"], "license": ["perl_5"],
        "dynamic_config": 0, "release_status": "stable", "meta-spec": {"version": 2},
    });
    make_dist_with_meta(dir, name, version, packages, &meta)
}

/// `dir/NAME-VERSION.tar.gz` made with GNU tar: `meta` as META.json, and one module per
/// package at `version`.
pub fn make_dist_with_meta(
    dir: &Path,
    name: &str,
    version: &str,
    packages: &[&str],
    meta: &serde_json::Value,
) -> Result<PathBuf, Box<dyn Error>> {
    let root = format!("{name}-{version}");
    let src = dir.join(format!("src-{root}"));
    std::fs::create_dir_all(src.join(&root))?;
    std::fs::write(src.join(&root).join("META.json"), meta.to_string())?;
    for package in packages {
        let file = src
            .join(&root)
            .join("lib")
            .join(format!("{}.pm", package.replace("::", "/")));
        std::fs::create_dir_all(file.parent().ok_or("no parent")?)?;
        std::fs::write(
            &file,
            format!("package {package};\nour $VERSION = '{version}';\n1;\n"),
        )?;
    }
    let archive = dir.join(format!("{root}.tar.gz"));
    let status = Command::new("tar")
        .arg("-C")
        .arg(&src)
        .arg("-czf")
        .arg(&archive)
        .arg(&root)
        .status()?;
    if !status.success() {
        return Err(format!("tar failed: {status}").into());
    }
    Ok(archive)
}

/// A repository in `data` with the author `userid`.
pub fn repository_with_author(data: &Path, userid: &str) -> Result<Repository, Box<dyn Error>> {
    let mut repository = Repository::open(data)?;
    repository.add_author(&AuthorRecord {
        userid: userid.into(),
        fullname: format!("{userid} Person"),
        email: Some(format!("{}@example.org", userid.to_lowercase())),
        pumpking: false,
    })?;
    Ok(repository)
}

/// Uploads `NAME-VERSION` with `packages` as `userid` (stored, indexed, published).
pub fn upload(
    repository: &mut Repository,
    work: &Path,
    userid: &str,
    name: &str,
    version: &str,
    packages: &[&str],
) -> Result<i64, Box<dyn Error>> {
    let archive = make_dist(work, name, version, packages)?;
    Ok(repository.upload(userid, &archive)?.upload_id)
}

/// Asks `path` until `check` accepts the answer (the in-memory index follows the store within
/// a fraction of a second).
pub async fn eventually(
    server: &RunningServer,
    path: &str,
    check: impl Fn(&HttpResponse) -> bool,
) -> Result<HttpResponse, Box<dyn Error>> {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let response = server.get(path).await?;
        if check(&response) || tokio::time::Instant::now() > deadline {
            return Ok(response);
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
