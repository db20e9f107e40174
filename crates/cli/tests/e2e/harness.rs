//! Starts a real `portico serve` on a config in a temp dir, and gives tests clients for it.
//!
//! In configs, `@fixtures` is the repo's `fixtures/` folder, `@python` the Python that has
//! the test clients (boto3, awslambdaric) and `@rust-hello` the `lambda_http` fixture binary.

use std::io::{BufRead, BufReader, Write};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

/// How long a test waits for something it is sure will happen before failing (never a pause).
pub const PATIENCE: Duration = Duration::from_secs(30);

pub fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .unwrap()
}

/// The Python interpreter with boto3 and awslambdaric (`scripts/test` makes it).
pub fn python() -> String {
    if let Ok(p) = std::env::var("PORTICO_TEST_PYTHON") {
        return p;
    }
    let venv = repo().join(".venv/bin/python");
    assert!(
        venv.exists(),
        "no test virtualenv at {}: run scripts/test, which installs boto3 and awslambdaric",
        venv.display()
    );
    venv.display().to_string()
}

/// The `lambda_http` fixture binary (`scripts/test` builds it).
pub fn rust_hello() -> String {
    let target = std::env::var("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|_| repo().join("target"));
    let bin = target.join("debug/rust-hello");
    assert!(
        bin.exists(),
        "{} is missing: run `cargo build -p rust-hello` (scripts/test does)",
        bin.display()
    );
    bin.display().to_string()
}

/// Portico's machine-wide cache for the tests: beside the build, reused from run to run.
pub fn test_cache() -> PathBuf {
    std::env::var("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|_| repo().join("target"))
        .join("portico-test-cache")
}

/// The axum web app fixture binary (`scripts/test` builds it).
pub fn web_axum() -> String {
    let target = std::env::var("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|_| repo().join("target"));
    let bin = target.join("debug/web-axum");
    assert!(
        bin.exists(),
        "{} is missing: run `cargo build -p web-axum` (scripts/test does)",
        bin.display()
    );
    bin.display().to_string()
}

/// The Lambda Web Adapter's binary (`scripts/test` builds it into `.tools/`).
pub fn lambda_adapter() -> PathBuf {
    let bin = std::env::var("PORTICO_TEST_LAMBDA_ADAPTER")
        .map(PathBuf::from)
        .unwrap_or_else(|_| repo().join(".tools/bin/lambda-adapter"));
    assert!(
        bin.exists(),
        "{} is missing: run scripts/test, which builds lambda_web_adapter from crates.io into .tools/",
        bin.display()
    );
    bin
}

pub fn expand(yaml: &str) -> String {
    let mut yaml = yaml
        .replace("@fixtures", &repo().join("fixtures").display().to_string())
        .replace("@python", &python())
        .replace("@rust-hello", &rust_hello());
    if yaml.contains("@web-axum") {
        yaml = yaml.replace("@web-axum", &web_axum());
    }
    yaml
}

/// Lines Portico wrote to stderr, shared with the reader thread.
#[derive(Default)]
struct Log {
    lines: Mutex<Vec<String>>,
    grew: Condvar,
}

pub struct Portico {
    child: Child,
    pub addr: SocketAddr,
    /// What Portico printed at start-up, up to "Press Ctrl-C".
    pub banner: String,
    /// The admin listener's address.
    pub admin: Option<SocketAddr>,
    log: Arc<Log>,
    /// The folder the config is in, when this Portico owns it.
    _dir: Option<tempfile::TempDir>,
    client: reqwest::Client,
}

impl Portico {
    /// Starts `portico serve` on `yaml` and waits until it prints its URLs.
    pub fn start(yaml: &str) -> Portico {
        Self::start_with(yaml, &[])
    }

    pub fn start_with(yaml: &str, args: &[&str]) -> Portico {
        Self::start_with_env(yaml, args, &[])
    }

    /// Starts Portico with extra environment variables (secrets a config refers to).
    pub fn start_with_env(yaml: &str, args: &[&str], env: &[(&str, &str)]) -> Portico {
        Self::start_in(tempfile::tempdir().unwrap(), yaml, args, env)
    }

    /// As [`Self::start_with_env`], with the config written into `dir` (beside files a
    /// test put there), which lives as long as Portico does.
    fn start_in(
        dir: tempfile::TempDir,
        yaml: &str,
        args: &[&str],
        env: &[(&str, &str)],
    ) -> Portico {
        let config = dir.path().join("portico.yaml");
        std::fs::write(&config, expand(yaml)).unwrap();
        let mut command = Command::new(env!("CARGO_BIN_EXE_portico"));
        command
            .arg("serve")
            .arg(&config)
            .args(args)
            .envs(env.iter().copied());
        Self::spawn(command, Some(dir))
    }

    /// Runs `portico serve ARGS` with the app folder `dir` as its working directory, as a
    /// user does who starts it in their app's own folder.
    pub fn serve_in(dir: tempfile::TempDir, args: &[&str]) -> Portico {
        let mut portico = Self::serve_at(dir.path(), args);
        portico._dir = Some(dir);
        portico
    }

    /// As [`Self::serve_in`], in a folder the test keeps.
    pub fn serve_at(dir: &Path, args: &[&str]) -> Portico {
        let mut command = Command::new(env!("CARGO_BIN_EXE_portico"));
        command.arg("serve").args(args).current_dir(dir);
        Self::spawn(command, None)
    }

    /// Starts `command` (a `portico serve`) on free loopback ports and waits until it prints
    /// its URLs; `dir` lives as long as Portico does.
    fn spawn(mut command: Command, dir: Option<tempfile::TempDir>) -> Portico {
        let mut child = command
            .args(["--listen", "127.0.0.1:0", "--admin-listen", "127.0.0.1:0"])
            .env("RUST_LOG", "info")
            // What Portico installs for every project (the AWS SDKs) stays with the build.
            .env("PORTICO_CACHE", test_cache())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let log = Arc::new(Log::default());
        let stderr = child.stderr.take().unwrap();
        let sink = log.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                sink.lines
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .push(line);
                sink.grew.notify_all();
            }
        });
        let mut stdout = BufReader::new(child.stdout.take().unwrap());
        let mut addr = None;
        let mut banner = String::new();
        let mut line = String::new();
        while stdout.read_line(&mut line).unwrap() > 0 {
            if let Some(rest) = line.split(" on http://").nth(1) {
                addr = rest.trim().parse().ok();
            }
            banner.push_str(&line);
            if line.contains("Press Ctrl-C") {
                break;
            }
            line.clear();
        }
        let Some(addr) = addr else {
            let _ = child.wait();
            panic!(
                "portico did not start:\n{}",
                log.lines
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .join("\n")
            );
        };
        // After the banner, stdout (stage access logs, say) joins the log too.
        let sink = log.clone();
        std::thread::spawn(move || {
            for line in stdout.lines().map_while(Result::ok) {
                sink.lines
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .push(line);
                sink.grew.notify_all();
            }
        });
        let admin = banner
            .lines()
            .find_map(|l| {
                l.trim()
                    .strip_prefix("Admin")?
                    .trim()
                    .strip_prefix("http://")
            })
            .and_then(|rest| rest.split('/').next()?.parse().ok());
        Portico {
            child,
            addr,
            admin,
            banner,
            log,
            _dir: dir,
            client: reqwest::Client::new(),
        }
    }

    /// The path-form Function URL of `function` for `path` (which starts with `/`).
    pub fn url(&self, function: &str, path: &str) -> String {
        format!("http://{}/lambda-url/{function}{path}", self.addr)
    }

    /// The Invoke API URL of `function`.
    pub fn invoke_url(&self, function: &str) -> String {
        format!(
            "{}/2015-03-31/functions/{function}/invocations",
            self.endpoint()
        )
    }

    pub fn endpoint(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn client(&self) -> &reqwest::Client {
        &self.client
    }

    /// Sends `request`: the status, the headers and the JSON body.
    pub async fn answer(
        request: reqwest::RequestBuilder,
    ) -> (u16, reqwest::header::HeaderMap, serde_json::Value) {
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        (status, headers, response.json().await.unwrap())
    }
}

/// What is left of a streamed answer's body, read to its end chunk by chunk.
pub async fn rest_of(response: &mut reqwest::Response) -> Vec<u8> {
    let mut rest = Vec::new();
    while let Some(chunk) = response.chunk().await.unwrap() {
        rest.extend_from_slice(&chunk);
    }
    rest
}

/// Sends a CORS preflight for `url` from `origin`, asking for `method` (and `headers`).
pub async fn preflight(
    client: &reqwest::Client,
    url: &str,
    origin: &str,
    method: &str,
    headers: Option<&str>,
) -> reqwest::Response {
    let mut request = client
        .request(reqwest::Method::OPTIONS, url)
        .header("origin", origin)
        .header("access-control-request-method", method);
    if let Some(headers) = headers {
        request = request.header("access-control-request-headers", headers);
    }
    request.send().await.unwrap()
}

/// The value of `name` in `headers`, as text.
pub fn header(headers: &reqwest::header::HeaderMap, name: &str) -> Option<String> {
    headers.get(name).map(|v| v.to_str().unwrap().to_string())
}

impl Portico {
    pub async fn get(&self, function: &str, path: &str) -> reqwest::Response {
        self.client
            .get(self.url(function, path))
            .send()
            .await
            .unwrap()
    }

    /// GET `path` of an HTTP API, in the path form: `<api>/<stage>/<route path>`.
    pub async fn api_get(&self, path: &str) -> reqwest::Response {
        let url = format!("{}/execute-api/{path}", self.endpoint());
        self.client.get(url).send().await.unwrap()
    }

    /// Calls the Invoke API with `payload` and extra headers.
    pub async fn invoke(
        &self,
        function: &str,
        payload: &str,
        headers: &[(&str, &str)],
    ) -> reqwest::Response {
        let mut req = self
            .client
            .post(self.invoke_url(function))
            .body(payload.to_string());
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        req.send().await.unwrap()
    }

    /// Everything Portico logged so far.
    pub fn logs(&self) -> String {
        self.log
            .lines
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .join("\n")
    }

    /// Waits until Portico logs a line containing `needle`; fails after [`PATIENCE`].
    pub fn wait_for_log(&self, needle: &str) -> String {
        self.wait_for_lines(needle, 1).pop().unwrap_or_default()
    }

    /// Waits until Portico has logged `count` lines containing `needle`, and returns them.
    pub fn wait_for_lines(&self, needle: &str, count: usize) -> Vec<String> {
        let deadline = Instant::now() + PATIENCE;
        let mut lines = self.log.lines.lock().unwrap_or_else(|e| e.into_inner());
        loop {
            let found: Vec<String> = lines
                .iter()
                .filter(|l| l.contains(needle))
                .cloned()
                .collect();
            if found.len() >= count {
                return found;
            }
            let left = deadline.saturating_duration_since(Instant::now());
            assert!(
                !left.is_zero(),
                "not {count} log lines with `{needle}` in:\n{}",
                lines.join("\n")
            );
            lines = self
                .log
                .grew
                .wait_timeout(lines, left)
                .unwrap_or_else(|e| e.into_inner())
                .0;
        }
    }

    /// Waits for the REPORT line of the invocation `response` answered, so that every line
    /// logged before it has been read.
    pub fn settle(&self, response: &reqwest::Response) {
        let id = response.headers()["x-amzn-requestid"].to_str().unwrap();
        self.wait_for_log(&format!("REPORT RequestId: {id}"));
    }

    /// Runs a Python client script from `tests/e2e/clients` against this Portico.
    pub fn python(&self, script: &str, args: &[&str]) -> serde_json::Value {
        let path = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/e2e/clients")
            .join(script);
        let out = Command::new(python())
            .arg(path)
            .arg(self.endpoint())
            .args(args)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{script} failed:\n{}\n{}\nportico:\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr),
            self.logs()
        );
        serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
            panic!(
                "{script} printed no JSON ({e}):\n{}",
                String::from_utf8_lossy(&out.stdout)
            )
        })
    }

    /// The file of Portico's local certificate authority (its TLS certificates' issuer).
    pub fn certificate_authority(&self) -> PathBuf {
        test_cache().join("tls/ca.pem")
    }

    /// Sends SIGINT (Ctrl-C) and waits for Portico to exit.
    pub fn interrupt(mut self) -> std::process::ExitStatus {
        signal(self.child.id(), nix::sys::signal::Signal::SIGINT);
        let status = self.child.wait().unwrap();
        std::mem::forget(self);
        status
    }

    /// Kills Portico with SIGKILL (no chance to clean up) and waits for it to be gone.
    pub fn kill_hard(mut self) {
        signal(self.child.id(), nix::sys::signal::Signal::SIGKILL);
        let _ = self.child.wait();
        std::mem::forget(self);
    }

    /// Portico's peak resident memory so far, in KiB (`VmHWM`).
    pub fn peak_memory_kb(&self) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).unwrap();
        let line = status.lines().find(|l| l.starts_with("VmHWM:")).unwrap();
        line.trim_start_matches("VmHWM:")
            .trim()
            .trim_end_matches("kB")
            .trim()
            .parse()
            .unwrap()
    }

    /// Sends SIGINT (Ctrl-C) without waiting.
    pub fn press_ctrl_c(&self) {
        signal(self.child.id(), nix::sys::signal::Signal::SIGINT);
    }
}

fn signal(pid: u32, sig: nix::sys::signal::Signal) {
    let _ = nix::sys::signal::kill(nix::unistd::Pid::from_raw(pid as i32), sig);
}

impl Drop for Portico {
    fn drop(&mut self) {
        // SIGTERM is graceful: Portico stops its function processes before it exits.
        signal(self.child.id(), nix::sys::signal::Signal::SIGTERM);
        let _ = self.child.wait();
    }
}

/// A loopback listener a fixture connects to and waits on: the test opens the gate by
/// sending one byte, so it can act between two steps of a running function.
pub struct Gate {
    listener: tokio::net::TcpListener,
    pub addr: String,
}

impl Gate {
    pub async fn new() -> Gate {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap().to_string();
        Gate { listener, addr }
    }

    /// Waits for the function to arrive at the gate and returns its connection, unopened.
    pub async fn arrival(&self) -> tokio::net::TcpStream {
        let (conn, _) = tokio::time::timeout(PATIENCE, self.listener.accept())
            .await
            .expect("the function never reached the gate")
            .unwrap();
        conn
    }

    /// Waits for the function to arrive at the gate, then lets it through.
    pub async fn open(self) {
        use tokio::io::AsyncWriteExt;
        let (mut conn, _) = tokio::time::timeout(PATIENCE, self.listener.accept())
            .await
            .expect("the function never reached the gate")
            .unwrap();
        conn.write_all(b"!").await.unwrap();
        conn.flush().await.unwrap();
    }
}

/// A Python helper server from `tests/e2e/clients` (an upstream, a JWT issuer): it prints one
/// line when ready, then answers a line on stdin with a line on stdout, until its stdin
/// closes, which dropping this does.
pub struct Helper {
    child: Child,
    output: BufReader<std::process::ChildStdout>,
    /// What it printed when ready.
    pub ready: String,
}

impl Helper {
    pub fn start(script: &str, args: &[&str]) -> Helper {
        let path = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/e2e/clients")
            .join(script);
        let mut child = Command::new(python())
            .arg(path)
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let mut output = BufReader::new(child.stdout.take().unwrap());
        let mut ready = String::new();
        output.read_line(&mut ready).unwrap();
        assert!(!ready.is_empty(), "{script} did not start");
        Helper {
            child,
            output,
            ready,
        }
    }

    /// Sends `line` and returns the line it answers.
    pub fn ask(&mut self, line: &str) -> String {
        let stdin = self.child.stdin.as_mut().unwrap();
        writeln!(stdin, "{line}").unwrap();
        stdin.flush().unwrap();
        let mut answer = String::new();
        self.output.read_line(&mut answer).unwrap();
        answer.trim().to_string()
    }
}

impl Drop for Helper {
    fn drop(&mut self) {
        drop(self.child.stdin.take());
        let _ = self.child.wait();
    }
}

/// A helper server's arguments: https with its CA written into `ca`, or plain http.
fn tls_args(ca: Option<&Path>) -> Vec<&str> {
    match ca {
        Some(dir) => vec!["--tls", dir.to_str().unwrap()],
        None => vec![],
    }
}

/// A JWT issuer the tests run (`clients/jwt_issuer.py`): its URL and the tokens it signed.
pub struct Issuer {
    pub server: Helper,
    pub url: String,
    pub tokens: serde_json::Value,
}

impl Issuer {
    /// Over https when `ca` is given: `clients/tls.py` writes the server's CA into that folder.
    pub fn start(ca: Option<&Path>) -> Issuer {
        Issuer::start_with(&tls_args(ca))
    }

    /// An issuer at the path `pool` of its server, as a Cognito user pool is.
    pub fn start_pool(pool: &str) -> Issuer {
        Issuer::start_with(&["--path", pool])
    }

    fn start_with(args: &[&str]) -> Issuer {
        let server = Helper::start("jwt_issuer.py", args);
        let first: serde_json::Value =
            serde_json::from_str(&server.ready).expect("the issuer printed its tokens");
        Issuer {
            url: first["issuer"].as_str().unwrap().to_string(),
            tokens: first["tokens"].clone(),
            server,
        }
    }
}

/// The loopback upstream of the proxy tests (`clients/upstream.py`).
pub struct Upstream {
    _server: Helper,
    pub port: u16,
}

impl Upstream {
    /// Over https when `ca` is given, as for [`Issuer::start`].
    pub fn start(ca: Option<&Path>) -> Upstream {
        let server = Helper::start("upstream.py", &tls_args(ca));
        Upstream {
            port: server
                .ready
                .trim()
                .parse()
                .expect("the upstream printed its port"),
            _server: server,
        }
    }

    /// Its host and port, for a URL.
    pub fn addr(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// Its URL, when it speaks plain http.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr())
    }
}

/// POSTs `{"via": "awscurl"}` to an API's `path` (`<api>/<stage>/<route path>`), signed by
/// awscurl (PyPI) with the test key and `secret`.
pub fn awscurl(p: &Portico, path: &str, secret: &str) -> std::process::Output {
    let python = PathBuf::from(python());
    Command::new(python.with_file_name("awscurl"))
        .args(["--service", "execute-api", "--region", "us-east-1"])
        .args(["--access_key", "AKIDPORTICOTEST", "--secret_key", secret])
        .args(["-X", "POST", "-d", r#"{"via": "awscurl"}"#])
        .arg(format!("{}/execute-api/{path}", p.endpoint()))
        .output()
        .unwrap()
}

/// A config put together as a test tells its scenario: the functions (from `fixtures/`), the
/// APIs that serve them, and what else it needs; [`Setup::serve`] starts Portico on it.
///
/// ```ignore
/// let p = Setup::new()
///     .python("echo", "app.echo_proxy")
///     .rest_api("guarded", "stages: {dev: {}}")
///     .openapi("fixtures/openapi/lambda-authorizers.yaml")
///     .serve();
/// ```
#[derive(Default)]
pub struct Setup {
    /// Top-level settings besides `functions` and `apis` (`credentials`, `limits`).
    config: String,
    functions: String,
    apis: Vec<Api>,
    replacements: Vec<(String, String)>,
    env: Vec<(String, String)>,
}

struct Api {
    name: String,
    protocol: &'static str,
    /// The OpenAPI document it is imported from, a path in the repo.
    openapi: Option<String>,
    settings: String,
}

impl Setup {
    pub fn new() -> Setup {
        Setup::default()
    }

    /// A Python function of `fixtures/python`, by its handler (`app.echo`).
    pub fn python(self, name: &str, handler: &str) -> Setup {
        self.function(
            name,
            &format!(r#"{{runtime: python3.12, handler: {handler}, code: "@fixtures/python"}}"#),
        )
    }

    /// A Node.js function of `fixtures/node`, by its handler (`calc.handler`).
    pub fn node(self, name: &str, handler: &str) -> Setup {
        self.function(
            name,
            &format!(r#"{{runtime: nodejs20.x, handler: {handler}, code: "@fixtures/node"}}"#),
        )
    }

    /// A function with all its settings, as a YAML flow mapping.
    pub fn function(mut self, name: &str, settings: &str) -> Setup {
        self.functions.push_str(&format!("  {name}: {settings}\n"));
        self
    }

    /// An HTTP API, with its settings (`routes`, `stages`, ...) as YAML.
    pub fn http_api(self, name: &str, settings: &str) -> Setup {
        self.api(name, "http", settings)
    }

    /// A REST API, with its settings as YAML.
    pub fn rest_api(self, name: &str, settings: &str) -> Setup {
        self.api(name, "rest", settings)
    }

    fn api(mut self, name: &str, protocol: &'static str, settings: &str) -> Setup {
        self.apis.push(Api {
            name: name.to_string(),
            protocol,
            openapi: None,
            settings: settings.to_string(),
        });
        self
    }

    /// The REST API named last is imported from the OpenAPI document at `document`, a path
    /// in the repo (`fixtures/openapi/...`).
    pub fn openapi(mut self, document: &str) -> Setup {
        let api = self
            .apis
            .last_mut()
            .expect("an API to import the document into");
        api.openapi = Some(document.to_string());
        self
    }

    /// More top-level settings, as YAML.
    pub fn config(mut self, yaml: &str) -> Setup {
        self.config.push_str(yaml.trim_start_matches('\n'));
        self.config.push('\n');
        self
    }

    /// Replaces `from` with `to` in the config and in the OpenAPI documents (an upstream's
    /// address, say).
    pub fn replace(mut self, from: &str, to: &str) -> Setup {
        self.replacements.push((from.to_string(), to.to_string()));
        self
    }

    /// An environment variable for Portico (a secret the config refers to).
    pub fn env(mut self, name: &str, value: &str) -> Setup {
        self.env.push((name.to_string(), value.to_string()));
        self
    }

    /// Starts Portico on the config.
    pub fn serve(self) -> Portico {
        let dir = tempfile::tempdir().unwrap();
        let mut yaml = self.config.clone();
        if !self.functions.is_empty() {
            yaml.push_str("functions:\n");
            yaml.push_str(&self.functions);
        }
        if !self.apis.is_empty() {
            yaml.push_str("apis:\n");
        }
        for api in &self.apis {
            yaml.push_str(&format!(
                "  {}:\n    protocol: {}\n",
                api.name, api.protocol
            ));
            if let Some(document) = &api.openapi {
                let path = self.place(document, dir.path());
                yaml.push_str(&format!("    openapi: \"{path}\"\n"));
            }
            for line in api.settings.lines().filter(|l| !l.trim().is_empty()) {
                yaml.push_str(&format!("    {line}\n"));
            }
        }
        let env: Vec<(&str, &str)> = self
            .env
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        Portico::start_in(dir, &self.replaced(&yaml), &[], &env)
    }

    /// Where the config finds `document`: the repo's file itself or, when the test replaces
    /// something in it, its replaced copy beside the config in `dir`.
    fn place(&self, document: &str, dir: &Path) -> String {
        let path = repo().join(document);
        let text =
            std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let replaced = self.replaced(&text);
        if replaced == text {
            return path.display().to_string();
        }
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        std::fs::write(dir.join(&name), replaced).unwrap();
        name
    }

    fn replaced(&self, text: &str) -> String {
        self.replacements
            .iter()
            .fold(text.to_string(), |text, (from, to)| text.replace(from, to))
    }
}
