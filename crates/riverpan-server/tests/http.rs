//! Starts the real server on 127.0.0.1:0 and talks HTTP/1.1 to it over a TCP socket.

use std::error::Error;
use std::net::SocketAddr;
use std::path::Path;
use std::time::Duration;

use riverpan_server::{serve, ServerState};
use riverpan_store::Store;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

type TestResult = Result<(), Box<dyn Error>>;

/// Every test gives up after this long instead of hanging the test run.
const TIMEOUT: Duration = Duration::from_secs(20);

/// A server running in the background, stopped by [`RunningServer::stop`].
struct RunningServer {
    addr: SocketAddr,
    stop: oneshot::Sender<()>,
    task: JoinHandle<std::io::Result<()>>,
}

impl RunningServer {
    async fn start(data_dir: &Path) -> Result<RunningServer, Box<dyn Error>> {
        let store = Store::open(data_dir)?;
        let state = ServerState::new("9.8.7-test", store);
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(serve(listener, state, async {
            // A dropped sender stops the server as well.
            let _ = stopped.await;
        }));
        Ok(RunningServer { addr, stop, task })
    }

    async fn stop(self) -> TestResult {
        let _ = self.stop.send(());
        tokio::time::timeout(TIMEOUT, self.task).await???;
        Ok(())
    }
}

/// A parsed HTTP response.
#[derive(Debug)]
struct HttpResponse {
    status: u16,
    headers: Vec<(String, String)>,
    body: String,
}

impl HttpResponse {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
    }
}

async fn request(
    addr: SocketAddr,
    method: &str,
    path: &str,
) -> Result<HttpResponse, Box<dyn Error>> {
    let exchange = async {
        let mut stream = TcpStream::connect(addr).await?;
        let head = format!("{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
        stream.write_all(head.as_bytes()).await?;
        let mut raw = Vec::new();
        stream.read_to_end(&mut raw).await?;
        Ok::<_, std::io::Error>(raw)
    };
    let raw = tokio::time::timeout(TIMEOUT, exchange).await??;
    parse_response(&raw)
}

async fn get(addr: SocketAddr, path: &str) -> Result<HttpResponse, Box<dyn Error>> {
    request(addr, "GET", path).await
}

fn parse_response(raw: &[u8]) -> Result<HttpResponse, Box<dyn Error>> {
    let text = std::str::from_utf8(raw)?;
    let (head, body) = text.split_once("\r\n\r\n").ok_or("no end of headers")?;
    let mut lines = head.split("\r\n");
    let status_line = lines.next().ok_or("empty response")?;
    let status = status_line
        .split(' ')
        .nth(1)
        .ok_or("no status code")?
        .parse()?;
    let headers: Vec<(String, String)> = lines
        .filter_map(|line| line.split_once(':'))
        .map(|(key, value)| (key.trim().to_owned(), value.trim().to_owned()))
        .collect();
    let mut response = HttpResponse {
        status,
        headers,
        body: body.to_owned(),
    };
    if response
        .header("transfer-encoding")
        .is_some_and(|value| value.eq_ignore_ascii_case("chunked"))
    {
        response.body = decode_chunked(body)?;
    }
    Ok(response)
}

fn decode_chunked(mut rest: &str) -> Result<String, Box<dyn Error>> {
    let mut body = String::new();
    loop {
        let (size_line, after) = rest.split_once("\r\n").ok_or("bad chunk")?;
        let size = usize::from_str_radix(size_line.trim(), 16)?;
        if size == 0 {
            return Ok(body);
        }
        body.push_str(after.get(..size).ok_or("short chunk")?);
        rest = after.get(size + 2..).ok_or("short chunk")?;
    }
}

#[tokio::test]
async fn healthz_answers_ok() -> TestResult {
    let dir = tempfile::tempdir()?;
    let server = RunningServer::start(dir.path()).await?;
    let response = get(server.addr, "/healthz").await?;
    assert_eq!(response.status, 200);
    assert_eq!(
        response.header("content-type"),
        Some("text/plain; charset=utf-8")
    );
    assert_eq!(response.body, "ok");
    server.stop().await
}

#[tokio::test]
async fn status_page_is_html_with_the_facts() -> TestResult {
    let dir = tempfile::tempdir()?;
    let server = RunningServer::start(dir.path()).await?;
    let response = get(server.addr, "/status").await?;
    assert_eq!(response.status, 200);
    assert_eq!(
        response.header("content-type"),
        Some("text/html; charset=utf-8")
    );
    let body = &response.body;
    assert!(body.starts_with("<!DOCTYPE html>"), "{body}");
    assert!(body.contains("<title>Status · riverpan</title>"), "{body}");
    assert!(
        body.contains("<tr><th>Version</th><td>9.8.7-test</td></tr>"),
        "{body}"
    );
    assert!(body.contains(&dir.path().display().to_string()), "{body}");
    assert!(
        body.contains(&format!(
            "<tr><th>Store schema version</th><td>{}</td></tr>",
            riverpan_store::SCHEMA_VERSION
        )),
        "{body}"
    );
    assert!(body.contains("riverpan 9.8.7-test, up "), "{body}");
    assert!(body.contains("mirror is not published yet"), "{body}");
    server.stop().await
}

#[tokio::test]
async fn status_page_escapes_the_data_directory() -> TestResult {
    let parent = tempfile::tempdir()?;
    let hostile = parent.path().join("<script>alert(\"&\")</script>");
    let server = RunningServer::start(&hostile).await?;
    let body = get(server.addr, "/status").await?.body;
    assert!(!body.contains("<script>"), "{body}");
    assert!(
        body.contains("&lt;script&gt;alert(&quot;&amp;&quot;)&lt;/script&gt;"),
        "{body}"
    );
    server.stop().await
}

#[tokio::test]
async fn status_json_has_the_same_facts() -> TestResult {
    let dir = tempfile::tempdir()?;
    let server = RunningServer::start(dir.path()).await?;
    let response = get(server.addr, "/api/v1/status").await?;
    assert_eq!(response.status, 200);
    assert_eq!(response.header("content-type"), Some("application/json"));
    let status: serde_json::Value = serde_json::from_str(&response.body)?;
    assert_eq!(status["name"], "riverpan");
    assert_eq!(status["version"], "9.8.7-test");
    assert_eq!(status["data_dir"], dir.path().display().to_string());
    assert_eq!(
        status["store"]["schema_version"],
        riverpan_store::SCHEMA_VERSION
    );
    assert!(status["store"]["created_at"].is_string(), "{status}");
    assert!(status["uptime_seconds"].is_u64(), "{status}");
    assert_eq!(status["mirror"]["published"], false);
    // Keys come in a fixed, readable order (the struct's field order).
    assert!(
        response
            .body
            .starts_with(r#"{"name":"riverpan","version":"9.8.7-test","data_dir":"#),
        "{}",
        response.body
    );
    server.stop().await
}

#[tokio::test]
async fn unknown_paths_are_404() -> TestResult {
    let dir = tempfile::tempdir()?;
    let server = RunningServer::start(dir.path()).await?;
    for path in [
        "/nope",
        "/api/v1",
        "/api/v1/status/extra",
        "/modules/02packages.details.txt.gz",
    ] {
        let response = get(server.addr, path).await?;
        assert_eq!(response.status, 404, "{path}");
        assert_eq!(response.body, "not found\n", "{path}");
    }
    // A known path with a method it does not serve.
    let response = request(server.addr, "POST", "/healthz").await?;
    assert_eq!(response.status, 405);
    server.stop().await
}

#[tokio::test]
async fn head_requests_get_headers_only() -> TestResult {
    let dir = tempfile::tempdir()?;
    let server = RunningServer::start(dir.path()).await?;
    let response = request(server.addr, "HEAD", "/healthz").await?;
    assert_eq!(response.status, 200);
    assert_eq!(response.body, "");
    server.stop().await
}

#[tokio::test]
async fn metrics_count_requests_by_route_and_status() -> TestResult {
    let dir = tempfile::tempdir()?;
    let server = RunningServer::start(dir.path()).await?;
    get(server.addr, "/healthz").await?;
    get(server.addr, "/healthz").await?;
    get(server.addr, "/").await?;
    get(server.addr, "/no/such/page").await?;
    get(server.addr, "/another-missing-page").await?;
    let response = get(server.addr, "/metrics").await?;
    assert_eq!(response.status, 200);
    assert_eq!(
        response.header("content-type"),
        Some("text/plain; version=0.0.4; charset=utf-8")
    );
    let body = &response.body;
    for expected in [
        "riverpan_up 1\n",
        "riverpan_build_info{version=\"9.8.7-test\"} 1\n",
        "# TYPE riverpan_http_requests_total counter\n",
        "riverpan_http_requests_total{path=\"/healthz\",status=\"200\"} 2\n",
        "riverpan_http_requests_total{path=\"/\",status=\"200\"} 1\n",
        // Unmatched paths share one label instead of one series each.
        "riverpan_http_requests_total{path=\"unmatched\",status=\"404\"} 2\n",
    ] {
        assert!(body.contains(expected), "missing {expected:?} in\n{body}");
    }
    assert!(!body.contains("no/such/page"), "{body}");
    // The /metrics request itself is counted once it has been answered.
    let body = get(server.addr, "/metrics").await?.body;
    assert!(
        body.contains("riverpan_http_requests_total{path=\"/metrics\",status=\"200\"} 1\n"),
        "{body}"
    );
    server.stop().await
}

#[tokio::test]
async fn shutdown_stops_accepting_connections() -> TestResult {
    let dir = tempfile::tempdir()?;
    let server = RunningServer::start(dir.path()).await?;
    let addr = server.addr;
    assert_eq!(get(addr, "/healthz").await?.status, 200);
    server.stop().await?;
    assert!(
        TcpStream::connect(addr).await.is_err(),
        "still listening after shutdown"
    );
    Ok(())
}
