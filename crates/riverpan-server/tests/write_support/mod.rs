//! Shared by the write-side tests: a real server on 127.0.0.1:0 with uploads enabled (its own
//! tokio runtime on a thread, so that the tests can run blocking clients such as curl), authors
//! with passwords and tokens, distributions built with tar, curl as the HTTP client, and a fake
//! SMTP relay that keeps what it is sent.

#![allow(dead_code)]

use std::error::Error;
use std::io::{BufRead, BufReader, Write};
use std::net::SocketAddr;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use riverpan_repository::Repository;
use riverpan_server::{ServerState, TokenScope, WriteHandle, WriteOptions};
use riverpan_store::{AccountRecord, AuthorRecord, Store};

pub type TestResult = Result<(), Box<dyn Error>>;

/// How long a test waits for the worker before failing.
pub const WAIT: Duration = Duration::from_secs(30);

pub const PASSWORD: &str = "correct horse battery staple";

/// A running server with uploads enabled.
pub struct TestServer {
    pub addr: SocketAddr,
    pub data_dir: PathBuf,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
    writes: Option<WriteHandle>,
}

impl TestServer {
    /// Starts a server on `data_dir` with `options`.
    pub fn start(data_dir: &Path, options: WriteOptions) -> Result<TestServer, Box<dyn Error>> {
        let store = Store::open(data_dir)?;
        let state = ServerState::new("0.0.0-test", store);
        let writes = state.enable_writes(options)?;
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()?;
        let std_listener = std::net::TcpListener::bind("127.0.0.1:0")?;
        std_listener.set_nonblocking(true)?;
        let addr = std_listener.local_addr()?;
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let thread = std::thread::spawn(move || {
            runtime.block_on(async move {
                let listener =
                    tokio::net::TcpListener::from_std(std_listener).expect("listener into tokio");
                riverpan_server::serve(listener, state, async {
                    let _ = stopped.await;
                })
                .await
                .expect("server");
            });
        });
        Ok(TestServer {
            addr,
            data_dir: data_dir.to_path_buf(),
            stop: Some(stop),
            thread: Some(thread),
            writes: Some(writes),
        })
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// Indexing passes that indexed something (each publishes once).
    pub fn indexing_passes(&self) -> u64 {
        self.writes.as_ref().map_or(0, WriteHandle::indexing_passes)
    }

    /// Stops the server and its worker (whatever is queued stays queued).
    pub fn stop(mut self) {
        self.shutdown();
    }

    fn shutdown(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
        if let Some(writes) = self.writes.take() {
            writes.shutdown();
        }
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        self.shutdown();
    }
}

/// Registers `userid` as an author with [`PASSWORD`] (and the admin flag).
pub fn add_account(data_dir: &Path, userid: &str, is_admin: bool) -> TestResult {
    let mut repository = Repository::open(data_dir)?;
    repository.add_author(&AuthorRecord {
        userid: userid.into(),
        fullname: format!("{userid} Tester"),
        email: None,
        pumpking: false,
    })?;
    repository.store().upsert_account(
        &AccountRecord {
            userid: userid.into(),
            password_hash: Some(riverpan_server::hash_password(PASSWORD)?),
            is_admin,
        },
        1,
    )?;
    Ok(())
}

/// Creates a token and returns its text (`USER:ID:SECRET`) and id.
pub fn add_token(
    data_dir: &Path,
    userid: &str,
    scope: &str,
    expires_at: Option<i64>,
) -> Result<(String, String), Box<dyn Error>> {
    let store = Store::open(data_dir)?;
    let token = riverpan_server::generate_token(
        userid,
        &TokenScope::parse(scope)?,
        expires_at,
        "test",
        now(),
    )?;
    store.insert_token(&token.record)?;
    Ok((token.shown, token.record.token_id))
}

pub fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

/// Builds `DIST-VERSION.tar.gz` in `dir` with one module `PACKAGE` (dist name `-` → `::`),
/// a META.json and a Makefile.PL, plus `padding` bytes of incompressible data if asked.
pub fn make_dist(
    dir: &Path,
    dist: &str,
    version: &str,
    padding: usize,
) -> Result<PathBuf, Box<dyn Error>> {
    let package = dist.replace('-', "::");
    let root_name = format!("{dist}-{version}");
    let root = dir.join(&root_name);
    let module = root
        .join("lib")
        .join(format!("{}.pm", package.replace("::", "/")));
    std::fs::create_dir_all(module.parent().ok_or("no parent")?)?;
    std::fs::write(
        &module,
        format!("package {package};\nour $VERSION = '{version}';\n1;\n"),
    )?;
    std::fs::write(
        root.join("META.json"),
        format!(
            r#"{{"name":"{dist}","version":"{version}","abstract":"test","author":["T"],
"license":["perl_5"],"dynamic_config":0,"release_status":"stable","generated_by":"hand",
"meta-spec":{{"version":2}}}}"#
        ),
    )?;
    std::fs::write(
        root.join("Makefile.PL"),
        "use ExtUtils::MakeMaker;\nWriteMakefile(NAME => 'x');\n",
    )?;
    if padding > 0 {
        let mut bytes = vec![0u8; padding];
        // A simple LCG: incompressible enough that the tarball stays about `padding` bytes.
        let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
        for byte in &mut bytes {
            x = x
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            *byte = (x >> 33) as u8;
        }
        std::fs::write(root.join("padding.bin"), bytes)?;
    }
    let archive = dir.join(format!("{root_name}.tar.gz"));
    let status = Command::new("tar")
        .arg("czf")
        .arg(&archive)
        .arg("-C")
        .arg(dir)
        .arg(&root_name)
        .status()?;
    if !status.success() {
        return Err("tar failed".into());
    }
    Ok(archive)
}

/// A curl answer.
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub headers: String,
    pub body: String,
}

impl Answer {
    pub fn header(&self, name: &str) -> Option<String> {
        self.headers.lines().find_map(|line| {
            let (key, value) = line.split_once(':')?;
            key.trim()
                .eq_ignore_ascii_case(name)
                .then(|| value.trim().to_string())
        })
    }

    pub fn json(&self) -> Result<serde_json::Value, Box<dyn Error>> {
        Ok(serde_json::from_str(&self.body)?)
    }
}

/// Runs curl with `args` (plus the URL) and returns status, headers and body.
pub fn curl(url: &str, args: &[&str]) -> Result<Answer, Box<dyn Error>> {
    let scratch = tempfile::tempdir()?;
    let headers = scratch.path().join("headers");
    let body = scratch.path().join("body");
    let output = Command::new("curl")
        .args(["-sS", "--max-time", "60", "-o"])
        .arg(&body)
        .arg("-D")
        .arg(&headers)
        .args(["-w", "%{http_code}"])
        .args(args)
        .arg(url)
        .output()?;
    let status: u16 = String::from_utf8_lossy(&output.stdout).trim().parse()?;
    Ok(Answer {
        status,
        headers: std::fs::read_to_string(&headers).unwrap_or_default(),
        body: std::fs::read_to_string(&body).unwrap_or_default(),
    })
}

/// CPAN::Uploader's form for `file`, in the order given by `order` (it sends a Perl hash, so
/// any order happens), as curl arguments.
pub fn pause_form(file: &Path, hidden_name: &str, file_first: bool) -> Vec<String> {
    let base = file
        .file_name()
        .map(|name| name.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut fields = vec![
        format!("HIDDENNAME={hidden_name}"),
        "CAN_MULTIPART=1".to_string(),
        format!("pause99_add_uri_upload={base}"),
        "pause99_add_uri_uri=".to_string(),
        "SUBMIT_pause99_add_uri_httpupload= Upload this file from my disk ".to_string(),
    ];
    let file_field = format!("pause99_add_uri_httpupload=@{}", file.display());
    if file_first {
        fields.insert(0, file_field);
    } else {
        fields.push(file_field);
    }
    fields
        .into_iter()
        .flat_map(|field| ["-F".to_string(), field])
        .collect()
}

/// `pause_form` as `&str`s for [`curl`].
/// The value `NAME=value` of the answer's first `Set-Cookie` header for `name`.
pub fn cookie_value(answer: &Answer, name: &str) -> Option<String> {
    answer.headers.lines().find_map(|line| {
        let (key, value) = line.split_once(':')?;
        if !key.trim().eq_ignore_ascii_case("set-cookie") {
            return None;
        }
        let (cookie, value) = value.trim().split(';').next()?.split_once('=')?;
        (cookie == name).then(|| value.to_string())
    })
}

/// The value of the first `name="NAME" value="…"` of a page (a form's hidden field, such as
/// its `csrf` token).
pub fn field_in(body: &str, name: &str) -> Option<String> {
    let marker = format!(r#"name="{name}" value=""#);
    let start = body.find(&marker)? + marker.len();
    let end = body[start..].find('"')?;
    Some(body[start..start + end].to_string())
}

pub fn as_args(args: &[String]) -> Vec<&str> {
    args.iter().map(String::as_str).collect()
}

/// Waits until `check` is true (polling), or fails after [`WAIT`].
pub fn wait_for(what: &str, mut check: impl FnMut() -> Result<bool, Box<dyn Error>>) -> TestResult {
    let deadline = Instant::now() + WAIT;
    loop {
        if check()? {
            return Ok(());
        }
        if Instant::now() > deadline {
            return Err(format!("timed out waiting for {what}").into());
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// The state of upload `id` in the store (`stored` = queued, `indexed`).
pub fn upload_state(data_dir: &Path, id: i64) -> Result<Option<String>, Box<dyn Error>> {
    let store = Store::open(data_dir)?;
    let upload = store.reader().upload_by_id(id)?;
    Ok(upload.map(|upload| upload.state))
}

/// How many uploads the store has.
pub fn upload_count(data_dir: &Path) -> Result<usize, Box<dyn Error>> {
    Ok(Store::open(data_dir)?.reader().uploads()?.len())
}

/// The decompressed 02packages.details.txt of the repository.
pub fn packages_details(data_dir: &Path) -> Result<String, Box<dyn Error>> {
    let gz = data_dir.join("cpan/modules/02packages.details.txt.gz");
    let output = Command::new("gzip").arg("-dc").arg(&gz).output()?;
    Ok(String::from_utf8_lossy(&output.stdout).into_owned())
}

/// Every file below `dir`, relative, sorted.
pub fn files_below(dir: &Path) -> Vec<String> {
    fn walk(root: &Path, dir: &Path, out: &mut Vec<String>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                walk(root, &path, out);
            } else if let Ok(relative) = path.strip_prefix(root) {
                out.push(relative.to_string_lossy().into_owned());
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, dir, &mut out);
    out.sort();
    out
}

/// A fake SMTP relay on 127.0.0.1 that accepts everything and keeps each message's text.
pub struct FakeRelay {
    pub addr: String,
    pub messages: Arc<Mutex<Vec<String>>>,
}

impl FakeRelay {
    pub fn start() -> Result<FakeRelay, Box<dyn Error>> {
        let listener = TcpListener::bind("127.0.0.1:0")?;
        let addr = listener.local_addr()?.to_string();
        let messages: Arc<Mutex<Vec<String>>> = Arc::default();
        let kept = Arc::clone(&messages);
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let kept = Arc::clone(&kept);
                std::thread::spawn(move || {
                    let _ = serve_smtp(stream, &kept);
                });
            }
        });
        Ok(FakeRelay { addr, messages })
    }

    pub fn count(&self) -> usize {
        self.messages.lock().map_or(0, |messages| messages.len())
    }

    pub fn last(&self) -> String {
        self.messages
            .lock()
            .ok()
            .and_then(|messages| messages.last().cloned())
            .unwrap_or_default()
    }
}

fn serve_smtp(stream: std::net::TcpStream, kept: &Arc<Mutex<Vec<String>>>) -> std::io::Result<()> {
    let mut writer = stream.try_clone()?;
    let mut reader = BufReader::new(stream);
    writer.write_all(b"220 fake\r\n")?;
    let mut line = String::new();
    loop {
        line.clear();
        if reader.read_line(&mut line)? == 0 {
            return Ok(());
        }
        let command = line.trim_end().to_ascii_uppercase();
        if command.starts_with("DATA") {
            writer.write_all(b"354 go on\r\n")?;
            let mut message = String::new();
            loop {
                line.clear();
                if reader.read_line(&mut line)? == 0 {
                    return Ok(());
                }
                if line.trim_end() == "." {
                    break;
                }
                message.push_str(&line);
            }
            if let Ok(mut messages) = kept.lock() {
                messages.push(message);
            }
            writer.write_all(b"250 kept\r\n")?;
        } else if command.starts_with("QUIT") {
            writer.write_all(b"221 bye\r\n")?;
            return Ok(());
        } else {
            writer.write_all(b"250 ok\r\n")?;
        }
    }
}
