//! Starting a function's process: the command for its runtime, the sandbox environment
//! Lambda gives, and Portico's bootstraps written out to disk.
//!
//! This is the only module that builds a `Command`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::SystemTime;

use std::os::fd::OwnedFd;

use portico_config::{Function, Runtime};
use tokio::net::unix::pipe;
use tokio::process::{Child, Command};

use crate::credentials::Credentials;

const PYTHON_BOOTSTRAP: &str = include_str!("../bootstraps/python/bootstrap.py");
const NODE_BOOTSTRAP: &str = include_str!("../bootstraps/node/bootstrap.mjs");

/// Where the bootstraps live on disk, and which interpreters run them.
#[derive(Debug, Clone)]
pub struct Launcher {
    dir: PathBuf,
    region: String,
    credentials: Credentials,
    /// Interpreter per runtime name (`python3.12` → `python3`), resolved once at start.
    interpreters: BTreeMap<String, String>,
}

/// A problem found while preparing to run functions (printed at start-up, not fatal).
pub type Warning = String;

/// The variable that names a script to start the runtime through (`<wrapper> <runtime>`).
pub const EXEC_WRAPPER: &str = "AWS_LAMBDA_EXEC_WRAPPER";

/// Variables Lambda gives the runtime but not its extensions.
const RUNTIME_ONLY: &[&str] = &[
    "AWS_EXECUTION_ENV",
    "AWS_LAMBDA_LOG_GROUP_NAME",
    "AWS_LAMBDA_LOG_STREAM_NAME",
    "AWS_XRAY_CONTEXT_MISSING",
    "AWS_XRAY_DAEMON_ADDRESS",
    "LAMBDA_RUNTIME_DIR",
    "LAMBDA_TASK_ROOT",
    "_AWS_XRAY_DAEMON_ADDRESS",
    "_AWS_XRAY_DAEMON_PORT",
    "_HANDLER",
];

/// One instance's processes, all in process group `group`, their output in two pipes.
pub struct Started {
    pub group: u32,
    pub runtime: Child,
    /// External extensions by file name.
    pub extensions: Vec<(String, Child)>,
    pub stdout: pipe::Receiver,
    pub stderr: pipe::Receiver,
}

/// Spawns `command` into process group `group` (a new one when `None`), its output into the
/// pipes, dying with Portico.
fn spawn_in(
    command: &mut Command,
    group: Option<u32>,
    stdout: &std::io::PipeWriter,
    stderr: &std::io::PipeWriter,
) -> std::io::Result<Child> {
    command
        .stdin(Stdio::null())
        .stdout(Stdio::from(stdout.try_clone()?))
        .stderr(Stdio::from(stderr.try_clone()?))
        .process_group(group.map_or(0, |g| g as i32))
        .kill_on_drop(true);
    die_with_portico(command);
    command.spawn()
}

/// The executables in the function's layers' `extensions/` folders (Lambda's
/// `/opt/extensions/`), by file name, a later layer's winning, in name order.
fn external_extensions(function: &Function) -> Vec<(String, PathBuf)> {
    use std::os::unix::fs::PermissionsExt;
    let mut found = BTreeMap::new();
    for layer in &function.layers {
        let Ok(entries) = std::fs::read_dir(layer.join("extensions")) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            let executable = std::fs::metadata(&path)
                .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0);
            if executable {
                found.insert(entry.file_name().to_string_lossy().into_owned(), path);
            }
        }
    }
    found.into_iter().collect()
}

/// Where `path` is: a path under `/opt/` in the function's layers (the last layer that has
/// it, as Lambda's `/opt` holds the later layer's file), any other path as it is.
fn in_layers(function: &Function, path: &str) -> Option<PathBuf> {
    let Some(rest) = path.strip_prefix("/opt/") else {
        return Some(PathBuf::from(path));
    };
    function
        .layers
        .iter()
        .rev()
        .map(|layer| layer.join(rest))
        .find(|p| p.exists())
}

impl Launcher {
    /// Writes the bootstraps to `dir` and finds an interpreter for each runtime in use.
    pub fn new<'a>(
        dir: PathBuf,
        region: &str,
        credentials: Credentials,
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
            let fallback = match f.runtime {
                Runtime::Python { .. } => "python3",
                Runtime::Node { .. } => "node",
                Runtime::Provided | Runtime::Web => continue,
            };
            // Found once per process, shared with the builds: see portico_build::interpreter.
            let chosen = match portico_build::interpreter::find(&f.runtime_name) {
                Some(Ok(found)) => {
                    warnings.extend(found.warning);
                    found.executable
                }
                Some(Err(missing)) => {
                    warnings.push(missing);
                    fallback.to_string()
                }
                None => continue,
            };
            interpreters.insert(f.runtime_name.clone(), chosen);
        }
        Ok((
            Launcher {
                dir,
                region: region.to_string(),
                credentials,
                interpreters,
            },
            warnings,
        ))
    }

    /// Starts one instance of `function` talking to the Runtime API at `api` (host:port):
    /// its external extensions (the executables in its layers' `extensions/`), then its
    /// runtime (through `AWS_LAMBDA_EXEC_WRAPPER` when the environment names one), all in
    /// one process group and writing to the same two pipes; `extra` goes on top of the
    /// runtime's environment (a web server's `PORT`).
    pub fn start(
        &self,
        function: &Function,
        api: &str,
        extra: &[(&str, String)],
    ) -> std::io::Result<Started> {
        let (stdout, stdout_w) = std::io::pipe()?;
        let (stderr, stderr_w) = std::io::pipe()?;
        let env = sandbox_env(function, &self.region, &self.credentials, api, &self.dir);
        let mut group = None;
        let mut extensions = Vec::new();
        for (name, path) in external_extensions(function) {
            let mut command = Command::new(&path);
            command
                .current_dir(path.parent().unwrap_or(&function.code))
                .env_clear()
                .envs(
                    env.iter()
                        .filter(|(k, _)| !RUNTIME_ONLY.contains(&k.as_str()))
                        .map(|(k, v)| (k, v)),
                );
            let child = spawn_in(&mut command, group, &stdout_w, &stderr_w).map_err(|e| {
                std::io::Error::new(e.kind(), format!("extension {}: {e}", path.display()))
            })?;
            group = group.or(child.id());
            extensions.push((name, child));
        }
        let (program, args) = self.runtime_command(function)?;
        let mut command = Command::new(program);
        command
            .args(args)
            .current_dir(&function.code)
            .env_clear()
            .envs(env)
            .envs(extra.iter().map(|(k, v)| (*k, v)));
        let runtime = spawn_in(&mut command, group, &stdout_w, &stderr_w)?;
        let group = group.or(runtime.id()).unwrap_or_default();
        // Only the processes hold the pipes' write ends now: reading ends with their output.
        drop((stdout_w, stderr_w));
        Ok(Started {
            group,
            runtime,
            extensions,
            stdout: pipe::Receiver::from_owned_fd(OwnedFd::from(stdout))?,
            stderr: pipe::Receiver::from_owned_fd(OwnedFd::from(stderr))?,
        })
    }

    /// The runtime's program and arguments, behind the exec wrapper if there is one.
    fn runtime_command(&self, function: &Function) -> std::io::Result<(String, Vec<String>)> {
        let (program, args): (String, Vec<String>) = match &function.runtime {
            Runtime::Python { .. } => (
                self.interpreter(function),
                vec![self.dir.join("bootstrap.py").display().to_string()],
            ),
            Runtime::Node { .. } => (
                self.interpreter(function),
                vec![self.dir.join("bootstrap.mjs").display().to_string()],
            ),
            Runtime::Provided | Runtime::Web => match &function.command {
                Some(command) if !command.is_empty() => (command[0].clone(), command[1..].to_vec()),
                _ => (
                    function.code.join("bootstrap").display().to_string(),
                    Vec::new(),
                ),
            },
        };
        let Some(wrapper) = function.environment.get(EXEC_WRAPPER) else {
            return Ok((program, args));
        };
        let wrapper = in_layers(function, wrapper).ok_or_else(|| {
            std::io::Error::new(
                std::io::ErrorKind::NotFound,
                format!("{EXEC_WRAPPER} `{wrapper}` is in none of the function's layers"),
            )
        })?;
        Ok((
            wrapper.display().to_string(),
            std::iter::once(program).chain(args).collect(),
        ))
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

/// A function's whole environment: Lambda's variables and the function's own, with the
/// search paths of its layers and of this machine (`PATH`, `LD_LIBRARY_PATH`), and nothing
/// else of Portico's.
fn sandbox_env(
    function: &Function,
    region: &str,
    credentials: &Credentials,
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
    set("AWS_LAMBDA_FUNCTION_VERSION", function.instance_version());
    set(
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
        function.memory_mb.to_string(),
    );
    set(
        "AWS_LAMBDA_LOG_GROUP_NAME",
        format!("/aws/lambda/{}", function.name),
    );
    set(
        "AWS_LAMBDA_LOG_STREAM_NAME",
        log_stream_name(&function.instance_version()),
    );
    set("AWS_LAMBDA_INITIALIZATION_TYPE", "on-demand".into());
    set("AWS_REGION", region.to_string());
    set("AWS_DEFAULT_REGION", region.to_string());
    set("AWS_XRAY_CONTEXT_MISSING", "LOG_ERROR".into());
    // Lambda gives every function its role's credentials.
    for (name, value) in credentials.variables() {
        set(name, value);
    }
    set("TZ", ":UTC".into());
    set("LANG", "en_US.UTF-8".into());
    for (name, value) in layer_paths(function) {
        set(name, value);
    }
    match function.runtime {
        Runtime::Provided | Runtime::Web => {}
        Runtime::Python { .. } => {
            set(
                "AWS_EXECUTION_ENV",
                format!("AWS_Lambda_{}", function.runtime_name),
            );
            set("PYTHONUNBUFFERED", "1".into());
            // No `__pycache__` in the function's folder: a cached module written in the same
            // second as a reloaded edit of the same size would be run instead of the edit.
            set("PYTHONDONTWRITEBYTECODE", "1".into());
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
        Runtime::Provided | Runtime::Web => {}
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
    out.retain(|(_, paths)| !paths.is_empty());
    out
}

/// `2024/01/31/[$LATEST]<32 hex>`, the form of Lambda's log stream names.
fn log_stream_name(version: &str) -> String {
    let format = time::macros::format_description!("[year]/[month]/[day]");
    let date = time::OffsetDateTime::from(SystemTime::now())
        .format(&format)
        .unwrap_or_default();
    format!("{date}/[{version}]{}", uuid::Uuid::new_v4().simple())
}
