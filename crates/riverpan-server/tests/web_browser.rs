//! End to end with a real browser: headless Chromium, driven over the DevTools protocol, signs
//! in through the form, uploads a distribution through the upload form, and opens the account,
//! the distribution page, its test matrix, the Blead Breaks CPAN dashboard and the status page,
//! asserting on the DOM each time and saving a screenshot of each under
//! `$CARGO_TARGET_DIR/screenshots/` (default `target/screenshots/`).
//!
//! Skipped (with a message) when `RIVERPAN_SKIP_BROWSER=1` or when no `chromium` is installed
//! (`RIVERPAN_CHROMIUM` names another binary).

mod write_support;

use std::error::Error;
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use base64::Engine;
use riverpan_server::WriteOptions;
use serde_json::{json, Value};
use tungstenite::{Message, WebSocket};
use write_support::*;

/// The Chromium binary, unless the test is to be skipped.
fn chromium() -> Option<PathBuf> {
    if std::env::var("RIVERPAN_SKIP_BROWSER").is_ok_and(|value| value == "1") {
        eprintln!("web_browser: skipped (RIVERPAN_SKIP_BROWSER=1)");
        return None;
    }
    let candidates = std::env::var("RIVERPAN_CHROMIUM")
        .map(|path| vec![path])
        .unwrap_or_else(|_| vec!["chromium".into(), "chromium-browser".into()]);
    for candidate in candidates {
        let found = Command::new(&candidate)
            .arg("--version")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|status| status.success());
        if found {
            return Some(PathBuf::from(candidate));
        }
    }
    eprintln!(
        "web_browser: skipped: no chromium (apt-get install chromium, or set RIVERPAN_CHROMIUM)"
    );
    None
}

/// Where screenshots go: `$CARGO_TARGET_DIR/screenshots`, else the workspace's `target/`.
fn screenshot_dir() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target"));
    target.join("screenshots")
}

/// A headless Chromium and a DevTools connection to its one page.
struct Browser {
    child: Child,
    socket: WebSocket<TcpStream>,
    next_id: u64,
    _profile: tempfile::TempDir,
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Browser {
    fn start(binary: &Path) -> Result<Browser, Box<dyn Error>> {
        let profile = tempfile::tempdir()?;
        let child = Command::new(binary)
            .args([
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--no-first-run",
                "--window-size=1200,900",
                "--remote-debugging-port=0",
            ])
            .arg(format!("--user-data-dir={}", profile.path().display()))
            .arg("about:blank")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()?;
        // Chromium writes the port it chose (and the browser's path) once it listens.
        let port_file = profile.path().join("DevToolsActivePort");
        let started = Instant::now();
        let port: u16 = loop {
            if let Ok(text) = std::fs::read_to_string(&port_file) {
                if let Some(port) = text.lines().next().and_then(|line| line.parse().ok()) {
                    break port;
                }
            }
            if started.elapsed() > WAIT {
                return Err("chromium did not write DevToolsActivePort".into());
            }
            std::thread::sleep(Duration::from_millis(50));
        };
        // The page target opened with about:blank.
        let page_url = loop {
            let list = curl(&format!("http://127.0.0.1:{port}/json/list"), &[])?;
            let targets: Value = serde_json::from_str(&list.body).unwrap_or(Value::Null);
            let page = targets.as_array().and_then(|targets| {
                targets
                    .iter()
                    .find(|target| target["type"] == "page")
                    .and_then(|target| target["webSocketDebuggerUrl"].as_str())
                    .map(str::to_string)
            });
            if let Some(page) = page {
                break page;
            }
            if started.elapsed() > WAIT {
                return Err(format!("no page target: {}", list.body).into());
            }
            std::thread::sleep(Duration::from_millis(50));
        };
        let stream = TcpStream::connect(("127.0.0.1", port))?;
        stream.set_read_timeout(Some(WAIT))?;
        let (socket, _) = tungstenite::client(page_url.as_str(), stream)
            .map_err(|error| format!("websocket handshake: {error}"))?;
        let mut browser = Browser {
            child,
            socket,
            next_id: 0,
            _profile: profile,
        };
        browser.call("Page.enable", json!({}))?;
        browser.call("DOM.enable", json!({}))?;
        Ok(browser)
    }

    /// Sends a command and returns its result (events in between are skipped).
    fn call(&mut self, method: &str, params: Value) -> Result<Value, Box<dyn Error>> {
        self.next_id += 1;
        let id = self.next_id;
        let message = json!({ "id": id, "method": method, "params": params }).to_string();
        self.socket.send(Message::text(message))?;
        loop {
            let Message::Text(text) = self.socket.read()? else {
                continue;
            };
            let reply: Value = serde_json::from_str(text.as_ref())?;
            if reply["id"] == json!(id) {
                if let Some(error) = reply.get("error") {
                    return Err(format!("{method}: {error}").into());
                }
                return Ok(reply["result"].clone());
            }
        }
    }

    /// Evaluates `expression` in the page and returns its value.
    fn eval(&mut self, expression: &str) -> Result<Value, Box<dyn Error>> {
        let result = self.call(
            "Runtime.evaluate",
            json!({ "expression": expression, "returnByValue": true }),
        )?;
        if let Some(exception) = result.get("exceptionDetails") {
            return Err(format!("{expression}: {exception}").into());
        }
        Ok(result["result"]["value"].clone())
    }

    fn text(&mut self, expression: &str) -> Result<String, Box<dyn Error>> {
        Ok(self
            .eval(expression)?
            .as_str()
            .unwrap_or_default()
            .to_string())
    }

    /// Waits until the page at a URL for which `wanted` holds has loaded.
    fn wait_for_page(&mut self, wanted: impl Fn(&str) -> bool) -> Result<String, Box<dyn Error>> {
        let started = Instant::now();
        loop {
            let state = self.eval("[location.href, document.readyState]")?;
            let href = state[0].as_str().unwrap_or_default().to_string();
            if wanted(&href) && state[1] == "complete" {
                return Ok(href);
            }
            if started.elapsed() > WAIT {
                return Err(format!("page did not load: at {href}").into());
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Opens `url` and waits for it to load.
    fn open(&mut self, url: &str) -> Result<(), Box<dyn Error>> {
        self.call("Page.navigate", json!({ "url": url }))?;
        let wanted = url.to_string();
        self.wait_for_page(|href| href == wanted)?;
        Ok(())
    }

    /// Saves a PNG of the page as `name.png`.
    fn screenshot(&mut self, name: &str) -> Result<PathBuf, Box<dyn Error>> {
        let shot = self.call(
            "Page.captureScreenshot",
            json!({ "format": "png", "captureBeyondViewport": true }),
        )?;
        let data = shot["data"].as_str().ok_or("no screenshot data")?;
        let bytes = base64::engine::general_purpose::STANDARD.decode(data)?;
        assert!(bytes.starts_with(b"\x89PNG"), "{name} is not a PNG");
        let dir = screenshot_dir();
        std::fs::create_dir_all(&dir)?;
        let path = dir.join(format!("{name}.png"));
        std::fs::write(&path, bytes)?;
        Ok(path)
    }
}

/// Generated testers data: a few hundred reports of synthetic dists, and some for the dist the
/// test uploads (so that its matrix has cells).
fn add_reports(data_dir: &Path, dist: &str, version: &str) -> TestResult {
    let mut conn = riverpan_testers::store::open(data_dir)?;
    let mut generator = riverpan_testers::generate::Generator::new(8, 30);
    let reports = generator.batch(400);
    riverpan_testers::ingest::ingest(&mut conn, &reports)?;
    let ours: Vec<_> = generator
        .batch(60)
        .into_iter()
        .map(|mut report| {
            report.id = None;
            report.distribution.name = dist.to_string();
            report.distribution.version = version.to_string();
            report
        })
        .collect();
    riverpan_testers::ingest::ingest(&mut conn, &ours)?;
    Ok(())
}

#[test]
fn a_browser_signs_in_uploads_and_reads_the_dashboards() -> TestResult {
    let Some(binary) = chromium() else {
        return Ok(());
    };
    let dir = tempfile::tempdir()?;
    add_account(dir.path(), "NEILB", false)?;
    add_reports(dir.path(), "Browser-Dist", "1.0")?;
    let server = TestServer::start(dir.path(), WriteOptions::default())?;
    let scratch = tempfile::tempdir()?;
    let dist = make_dist(scratch.path(), "Browser-Dist", "1.0", 0)?;
    let mut browser = Browser::start(&binary)?;

    // Sign in through the form.
    browser.open(&server.url("/signin"))?;
    assert_eq!(
        browser.text("document.querySelector('h1').textContent")?,
        "Sign in"
    );
    browser.screenshot("01-signin")?;
    browser.eval(&format!(
        "document.querySelector('#userid').value = 'NEILB';
         document.querySelector('#password').value = {};
         document.querySelector('#signin button[type=submit]').click();",
        json!(PASSWORD)
    ))?;
    browser.wait_for_page(|href| href.ends_with("/account"))?;
    assert_eq!(
        browser.text("document.querySelector('h1').textContent")?,
        "NEILB"
    );
    assert_eq!(
        browser.text("document.querySelector('a[aria-current=page]').textContent")?,
        "NEILB"
    );
    browser.screenshot("02-account")?;

    // Upload through the form: the file input gets the tarball, the button submits.
    let document = browser.call("DOM.getDocument", json!({}))?;
    let root = document["root"]["nodeId"].clone();
    let input = browser.call(
        "DOM.querySelector",
        json!({ "nodeId": root, "selector": "#file" }),
    )?;
    browser.call(
        "DOM.setFileInputFiles",
        json!({ "nodeId": input["nodeId"], "files": [dist.display().to_string()] }),
    )?;
    browser.eval("document.querySelector('#upload-form button[type=submit]').click()")?;
    let upload_page = browser.wait_for_page(|href| href.contains("/account/uploads/"))?;
    assert!(browser
        .text("document.querySelector('.notice').textContent")?
        .contains("Browser-Dist-1.0.tar.gz stored and queued"));
    // Queued, then indexed: reload until the report is there.
    let started = Instant::now();
    loop {
        let state = browser.text("document.querySelector('#upload-state').textContent")?;
        if state == "indexed" {
            break;
        }
        assert!(started.elapsed() < WAIT, "still {state}");
        std::thread::sleep(Duration::from_millis(200));
        browser.open(&upload_page)?;
    }
    assert!(browser
        .text("document.querySelector('#report-text').textContent")?
        .contains("Browser::Dist"));
    browser.screenshot("03-upload-report")?;

    // The distribution page.
    browser.open(&server.url("/dist/Browser-Dist"))?;
    let heading =
        browser.text("document.querySelector('h1') && document.querySelector('h1').textContent")?;
    assert!(heading.contains("Browser-Dist"), "{heading}");
    assert!(browser.eval("document.body.textContent.includes('Browser::Dist')")? == json!(true));
    browser.screenshot("04-dist")?;

    // Its test matrix: a table with a cell per perl × OS that has reports.
    browser.open(&server.url("/dist/Browser-Dist/1.0/matrix"))?;
    let heading =
        browser.text("document.querySelector('h1') && document.querySelector('h1').textContent")?;
    assert!(
        heading.contains("Test matrix of Browser-Dist 1.0"),
        "{heading}"
    );
    let cells = browser.eval("document.querySelectorAll('table.matrix td').length")?;
    assert!(cells.as_u64().unwrap_or(0) > 0, "no matrix cells: {cells}");
    browser.screenshot("05-matrix")?;

    // Blead Breaks CPAN.
    browser.open(&server.url("/bbc"))?;
    assert_eq!(
        browser.text("document.querySelector('h1').textContent")?,
        "Blead Breaks CPAN"
    );
    browser.screenshot("06-bbc")?;

    // The status page, signed in.
    browser.open(&server.url("/status"))?;
    assert_eq!(
        browser.text("document.querySelector('h1').textContent")?,
        "Status"
    );
    let rows = browser.eval("document.querySelectorAll('#figures tbody tr').length")?;
    assert!(rows.as_u64().unwrap_or(0) >= 8, "{rows}");
    assert!(browser.eval("document.querySelectorAll('svg.spark').length > 0")? == json!(true));
    browser.screenshot("07-status")?;

    // On a phone (390 CSS pixels wide): nothing but wide tables (which scroll in their own box)
    // may make the page wider than the screen.
    browser.call(
        "Emulation.setDeviceMetricsOverride",
        json!({ "width": 390, "height": 844, "deviceScaleFactor": 2, "mobile": true }),
    )?;
    for (path, shot) in [
        ("/dist/Browser-Dist", "08-phone-dist"),
        ("/dist/Browser-Dist/1.0/matrix", "09-phone-matrix"),
        ("/bbc", "10-phone-bbc"),
    ] {
        browser.open(&server.url(path))?;
        let overflow = browser
            .eval("document.documentElement.scrollWidth - document.documentElement.clientWidth")?;
        assert!(
            overflow.as_i64().unwrap_or(i64::MAX) <= 0,
            "{path} is wider than a phone screen by {overflow} px"
        );
        browser.screenshot(shot)?;
    }
    browser.call("Emulation.clearDeviceMetricsOverride", json!({}))?;

    // No script ran from a page: the CSP forbids inline script, and the pages carry none.
    assert_eq!(browser.eval("document.scripts.length")?, json!(0));
    // Sign out through the navigation bar's form.
    browser.open(&server.url("/account"))?;
    browser.eval("document.querySelector('form[action=\"/signout\"] button').click()")?;
    let home = server.url("/");
    browser.wait_for_page(|href| href == home)?;
    // Signed out, the account page sends to the sign-in form.
    browser.call("Page.navigate", json!({ "url": server.url("/account") }))?;
    browser.wait_for_page(|href| href.ends_with("/signin"))?;
    eprintln!("web_browser: screenshots in {}", screenshot_dir().display());
    Ok(())
}
