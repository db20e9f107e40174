//! Starting a function's process: the command for its runtime, the sandbox environment
//! Lambda gives, and Portico's bootstraps written out to disk.
//!
//! This is the only module that builds a `Command`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::SystemTime;

use portico_config::{Function, Runtime};
use tokio::process::{Child, Command};

const PYTHON_BOOTSTRAP: &str = include_str!("../bootstraps/python/bootstrap.py");
const NODE_BOOTSTRAP: &str = include_str!("../bootstraps/node/bootstrap.mjs");

/// Where the bootstraps live on disk, and which interpreters run them.
#[derive(Debug, Clone)]
pub struct Launcher {
    dir: PathBuf,
    region: String,
    /// Interpreter per runtime name (`python3.12` → `python3`), resolved once at start.
    interpreters: BTreeMap<String, String>,
}

/// A problem found while preparing to run functions (printed at start-up, not fatal).
pub type Warning = String;

impl Launcher {
    /// Writes the bootstraps to `dir` and finds an interpreter for each runtime in use.
    pub fn new<'a>(
        dir: PathBuf,
        region: &str,
        functions: impl IntoIterator<Item = &'a Function>,
    ) -> std::io::Result<(Launcher, Vec<Warning>)> {
        std::fs::create_dir_all(&dir)?;
        std::fs::write(dir.join("bootstrap.py"), PYTHON_BOOTSTRAP)?;
        std::fs::write(dir.join("bootstrap.mjs"), NODE_BOOTSTRAP)?;
        let mut interpreters = BTreeMap::new();
        let mut warnings = Vec::new();
        for f in functions {
            if interpreters.contains_key(&f.runtime_name) {
                continue;
            }
            let (exact, fallback) = match f.runtime {
                Runtime::Python { minor } => (format!("python3.{minor}"), "python3"),
                Runtime::Node { major } => (format!("node{major}"), "node"),
                Runtime::Provided => continue,
            };
            // Both asked at once: a version manager's shims take a while to answer.
            let (exact_found, fallback_found) = std::thread::scope(|scope| {
                let exact = scope.spawn(|| probe(&exact, &f.runtime));
                let fallback = probe(fallback, &f.runtime);
                (exact.join().ok().flatten(), fallback)
            });
            let chosen = if let Some(found) = exact_found {
                found.executable
            } else {
                let matches = match (&f.runtime, &fallback_found) {
                    (Runtime::Python { minor }, Some(found)) => {
                        found.version.starts_with(&format!("Python 3.{minor}."))
                    }
                    (Runtime::Node { major }, Some(found)) => {
                        found.version.starts_with(&format!("v{major}."))
                    }
                    _ => false,
                };
                match &fallback_found {
                    None => warnings.push(format!(
                        "{}: neither `{exact}` nor `{fallback}` is installed; functions on {} will fail to start",
                        f.runtime_name, f.runtime_name
                    )),
                    Some(found) if !matches => warnings.push(format!(
                        "{}: `{exact}` not found, using `{fallback}` ({})",
                        f.runtime_name, found.version
                    )),
                    Some(_) => {}
                }
                fallback_found.map_or_else(|| fallback.to_string(), |found| found.executable)
            };
            interpreters.insert(f.runtime_name.clone(), chosen);
        }
        Ok((
            Launcher {
                dir,
                region: region.to_string(),
                interpreters,
            },
            warnings,
        ))
    }

    /// Starts one instance of `function` talking to the Runtime API at `api` (host:port).
    pub fn spawn(&self, function: &Function, api: &str) -> std::io::Result<Child> {
        let (program, args): (String, Vec<String>) = match &function.runtime {
            Runtime::Python { .. } => (
                self.interpreter(function),
                vec![self.dir.join("bootstrap.py").display().to_string()],
            ),
            Runtime::Node { .. } => (
                self.interpreter(function),
                vec![self.dir.join("bootstrap.mjs").display().to_string()],
            ),
            Runtime::Provided => match &function.command {
                Some(command) if !command.is_empty() => (command[0].clone(), command[1..].to_vec()),
                _ => (
                    function.code.join("bootstrap").display().to_string(),
                    Vec::new(),
                ),
            },
        };
        let mut command = Command::new(program);
        command
            .args(args)
            .current_dir(&function.code)
            .envs(sandbox_env(function, &self.region, api, &self.dir))
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .process_group(0)
            .kill_on_drop(true);
        die_with_portico(&mut command);
        command.spawn()
    }

    fn interpreter(&self, function: &Function) -> String {
        self.interpreters
            .get(&function.runtime_name)
            .cloned()
            .unwrap_or_else(|| match function.runtime {
                Runtime::Node { .. } => "node".into(),
                _ => "python3".into(),
            })
    }
}

/// Makes the kernel kill the instance's process if Portico dies without stopping it
/// (SIGKILL, a crash), so that no function outlives Portico.
#[allow(unsafe_code)]
fn die_with_portico(command: &mut Command) {
    let set_death_signal = || {
        nix::sys::prctl::set_pdeathsig(nix::sys::signal::Signal::SIGKILL)
            .map_err(std::io::Error::from)
    };
    // SAFETY: the closure runs in the child between fork and exec, where only
    // async-signal-safe calls are allowed: it makes one prctl(2) system call and allocates
    // nothing.
    unsafe {
        command.pre_exec(set_death_signal);
    }
}

/// The environment Lambda gives a function's process, on top of Portico's own.
fn sandbox_env(
    function: &Function,
    region: &str,
    api: &str,
    runtime_dir: &Path,
) -> Vec<(String, String)> {
    let mut env: Vec<(String, String)> = function
        .environment
        .iter()
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    let mut set = |k: &str, v: String| env.push((k.to_string(), v));
    set("AWS_LAMBDA_RUNTIME_API", api.to_string());
    set("_HANDLER", function.handler.clone());
    set("LAMBDA_TASK_ROOT", function.code.display().to_string());
    set("LAMBDA_RUNTIME_DIR", runtime_dir.display().to_string());
    set("AWS_LAMBDA_FUNCTION_NAME", function.name.clone());
    set("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST".into());
    set(
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
        function.memory_mb.to_string(),
    );
    set(
        "AWS_LAMBDA_LOG_GROUP_NAME",
        format!("/aws/lambda/{}", function.name),
    );
    set("AWS_LAMBDA_LOG_STREAM_NAME", log_stream_name());
    set("AWS_LAMBDA_INITIALIZATION_TYPE", "on-demand".into());
    set("AWS_REGION", region.to_string());
    set("AWS_DEFAULT_REGION", region.to_string());
    set("AWS_XRAY_CONTEXT_MISSING", "LOG_ERROR".into());
    // Lambda gives every function its role's credentials; Portico passes on its own
    // environment's, or, without any, a placeholder pair that local services (Portico
    // itself, moto) accept, so that SDKs do not fail before their first call.
    if std::env::var_os("AWS_ACCESS_KEY_ID").is_none() {
        set("AWS_ACCESS_KEY_ID", "ASIAPORTICOLOCAL0000".into());
        set(
            "AWS_SECRET_ACCESS_KEY",
            "portico-local-secret-access-key".into(),
        );
        set("AWS_SESSION_TOKEN", "portico-local-session-token".into());
    }
    set("TZ", ":UTC".into());
    set("LANG", "en_US.UTF-8".into());
    for (name, value) in layer_paths(function) {
        set(name, value);
    }
    match function.runtime {
        Runtime::Provided => {}
        Runtime::Python { .. } => {
            set(
                "AWS_EXECUTION_ENV",
                format!("AWS_Lambda_{}", function.runtime_name),
            );
            set("PYTHONUNBUFFERED", "1".into());
        }
        Runtime::Node { .. } => {
            set(
                "AWS_EXECUTION_ENV",
                format!("AWS_Lambda_{}", function.runtime_name),
            );
        }
    }
    env
}

/// The search paths Lambda gives a function for what its layers put in `/opt`
/// (`python/`, `nodejs/node_modules/`, `bin/`, `lib/`), each layer's folder standing in for
/// `/opt`; a later layer's files win on Lambda, so its paths come first. A path the function's
/// own environment sets comes before them, and Portico's `PATH` after.
///
/// The AWS SDK Portico installed for the function (`function.sdk`) comes last, as the
/// runtime's own packages do on Lambda, so that a bundled or layered SDK wins.
fn layer_paths(function: &Function) -> Vec<(&'static str, String)> {
    let sdk = function.sdk.as_deref();
    if function.layers.is_empty() && sdk.is_none() {
        return Vec::new();
    }
    let layers: Vec<&Path> = function.layers.iter().rev().map(PathBuf::as_path).collect();
    let each = |parts: &[&str]| -> Vec<String> {
        layers
            .iter()
            .flat_map(|layer| {
                parts
                    .iter()
                    .map(move |part| layer.join(part).display().to_string())
            })
            .collect()
    };
    let joined = |name: &str, mut paths: Vec<String>, after: Option<String>| {
        if let Some(own) = function.environment.get(name) {
            paths.insert(0, own.clone());
        }
        paths.extend(after);
        paths.join(":")
    };
    let mut out = Vec::new();
    match function.runtime {
        Runtime::Python { minor } => {
            let site = format!("python/lib/python3.{minor}/site-packages");
            let sdk = sdk.map(|s| s.display().to_string());
            out.push((
                "PYTHONPATH",
                joined("PYTHONPATH", each(&[&site, "python"]), sdk),
            ));
        }
        Runtime::Node { major } => {
            let versioned = format!("nodejs/node{major}/node_modules");
            let paths = each(&[&versioned, "nodejs/node_modules"]);
            let sdk = sdk.map(|s| s.join("node_modules").display().to_string());
            out.push(("NODE_PATH", joined("NODE_PATH", paths, sdk)));
        }
        Runtime::Provided => {}
    }
    let system_path = std::env::var("PATH").ok();
    out.push(("PATH", joined("PATH", each(&["bin"]), system_path)));
    let system_libraries = std::env::var("LD_LIBRARY_PATH")
        .ok()
        .filter(|p| !p.is_empty());
    out.push((
        "LD_LIBRARY_PATH",
        joined("LD_LIBRARY_PATH", each(&["lib"]), system_libraries),
    ));
    out
}

/// `2024/01/31/[$LATEST]<32 hex>`, the form of Lambda's log stream names.
fn log_stream_name() -> String {
    let format = time::macros::format_description!("[year]/[month]/[day]");
    let date = time::OffsetDateTime::from(SystemTime::now())
        .format(&format)
        .unwrap_or_default();
    format!("{date}/[$LATEST]{}", uuid::Uuid::new_v4().simple())
}

/// An interpreter found on the path: its version (`Python 3.12.1`, `v20.11.0`) and its real
/// executable, which instances run directly (a version manager's shim, run at every start,
/// costs a tenth of a second or more).
struct Found {
    version: String,
    executable: String,
}

fn probe(program: &str, runtime: &Runtime) -> Option<Found> {
    let mut command = std::process::Command::new(program);
    match runtime {
        Runtime::Python { .. } => command.args([
            "-c",
            "import sys; print('Python ' + sys.version.split()[0]); print(sys.executable)",
        ]),
        _ => command.args(["-p", "process.version + '\\n' + process.execPath"]),
    };
    let out = command
        .stdin(Stdio::null())
        .output()
        .ok()
        .filter(|out| out.status.success())?;
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let mut lines = text.lines();
    let version = lines.next()?.trim().to_string();
    let executable = lines
        .next()
        .map(str::trim)
        .filter(|e| !e.is_empty())
        .unwrap_or(program)
        .to_string();
    Some(Found {
        version,
        executable,
    })
}
