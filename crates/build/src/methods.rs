//! The four ways to build, each in two halves: what the build depends on besides the code
//! (found before hashing: the tool and its version, what to leave out of the hash), and the
//! build itself into an output folder.

use std::io;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::source::{self, Entry, Skip};
use crate::tools::{self, shown};
use crate::{BuildError, Job, Method, Progress};

/// What a build will do, found before its hash is.
#[derive(Debug)]
pub struct Plan {
    /// What the hash covers besides the code: the method, the runtime, the tool's version.
    pub facts: Vec<String>,
    /// What the hash and the copy leave out besides the usual.
    pub skip: Skip,
    step: Step,
}

#[derive(Debug)]
enum Step {
    Pip { python: String, version: String },
    Npm,
    Cargo { binary: String, target_dir: PathBuf },
    Make,
}

/// Finds the tool `job` needs, its version and what else the build depends on.
pub fn plan(job: &Job, cache: &Path, progress: &dyn Progress) -> Result<Plan, BuildError> {
    let mut skip = Skip {
        top: Vec::new(),
        folders: vec![cache.to_path_buf()],
    };
    let (step, method, version) = match &job.method {
        Method::Pip => {
            let Some((python, version, warning)) = tools::python(job.runtime) else {
                let tool = match job.runtime.strip_prefix("python") {
                    Some(v) if v.starts_with("3.") => format!("{} or python3", job.runtime),
                    _ => "python3".to_string(),
                };
                return Err(missing(
                    job,
                    &tool,
                    "install Python 3 with pip (apt-get install python3 python3-pip)",
                ));
            };
            if let Some(warning) = warning {
                progress.step(job.function, &warning);
            }
            let step = Step::Pip {
                python,
                version: version.clone(),
            };
            (step, "pip".to_string(), version)
        }
        Method::Npm => {
            let version = tools::version("npm").ok_or_else(|| {
                missing(
                    job,
                    "npm",
                    "install Node.js and npm (apt-get install nodejs npm)",
                )
            })?;
            (Step::Npm, "npm".to_string(), format!("npm {version}"))
        }
        Method::CargoLambda { binary } => {
            let version = tools::version("cargo").ok_or_else(|| {
                missing(job, "cargo", "install a Rust toolchain (https://rustup.rs)")
            })?;
            let (binary, target_dir, workspace) = cargo_metadata(job, binary.as_deref())?;
            if !workspace.join("Cargo.lock").is_file() {
                // cargo build would write it, making the next build's code differ from this
                // one's: write it first, so that the hash covers it.
                progress.step(job.function, "writing Cargo.lock");
                let mut command = Command::new("cargo");
                command.arg("generate-lockfile").current_dir(job.code);
                run(job, &mut command, "cargo", |_| {
                    format!(
                        "fix {} so that `cargo generate-lockfile` passes",
                        job.code.join("Cargo.toml").display()
                    )
                })?;
            }
            skip.top.push("target");
            skip.folders.push(target_dir.clone());
            let method = format!("cargo-lambda --bin {binary}");
            (Step::Cargo { binary, target_dir }, method, version)
        }
        Method::Makefile => {
            let version = tools::version("make")
                .ok_or_else(|| missing(job, "make", "install make (apt-get install make)"))?;
            if !["GNUmakefile", "makefile", "Makefile"]
                .iter()
                .any(|m| job.code.join(m).is_file())
            {
                return Err(code(
                    job,
                    format!(
                        "the makefile build method needs a Makefile in {} with a `build-{}` target",
                        job.code.display(),
                        job.function
                    ),
                ));
            }
            (Step::Make, "makefile".to_string(), version)
        }
    };
    Ok(Plan {
        facts: vec![method, job.runtime.to_string(), version],
        skip,
        step,
    })
}

/// Builds `job` into `out` (an empty folder), from `entries` (its code).
pub fn execute(
    plan: &Plan,
    job: &Job,
    entries: &[Entry],
    out: &Path,
    progress: &dyn Progress,
) -> Result<(), BuildError> {
    match &plan.step {
        Step::Pip { python, version } => {
            copy(job, entries, out)?;
            let requirements = std::fs::read_to_string(out.join("requirements.txt")).ok();
            let Some(requirements) = requirements else {
                progress.step(
                    job.function,
                    "no requirements.txt: the code is used as it is",
                );
                return Ok(());
            };
            let nothing = requirements
                .lines()
                .map(|line| line.split('#').next().unwrap_or("").trim())
                .all(str::is_empty);
            if nothing {
                progress.step(
                    job.function,
                    "requirements.txt names nothing: the code is used as it is",
                );
                return Ok(());
            }
            progress.step(
                job.function,
                &format!("installing requirements.txt with {python} -m pip"),
            );
            let mut command = Command::new(python);
            command
                .args(["-m", "pip", "install", "-r", "requirements.txt", "-t"])
                .arg(out)
                .args(["--disable-pip-version-check", "--no-input", "-q"])
                .current_dir(out);
            run(job, &mut command, python, |tail| {
                if tail.contains("No module named pip") {
                    format!(
                        "install pip for {python} (`{python} -m ensurepip`, or apt-get install python3-pip)"
                    )
                } else {
                    format!(
                        "fix requirements.txt in {}: every package it names must exist, in a version for {version}",
                        job.code.display()
                    )
                }
            })
        }
        Step::Npm => {
            copy(job, entries, out)?;
            if !out.join("package.json").is_file() {
                return Err(code(
                    job,
                    format!(
                        "the npm build method needs a package.json in {}",
                        job.code.display()
                    ),
                ));
            }
            let locked = ["package-lock.json", "npm-shrinkwrap.json"]
                .iter()
                .any(|f| out.join(f).is_file());
            let verb = if locked { "ci" } else { "install" };
            progress.step(
                job.function,
                &format!("installing package.json dependencies with npm {verb}"),
            );
            let mut command = Command::new("npm");
            command
                .args([verb, "--omit=dev", "--no-audit", "--no-fund"])
                .arg("--no-update-notifier")
                .current_dir(out);
            run(job, &mut command, "npm", |tail| {
                if locked && tail.contains("in sync") {
                    format!(
                        "package.json and package-lock.json disagree: run `npm install` in {} to update the lock file",
                        job.code.display()
                    )
                } else {
                    format!(
                        "fix package.json in {} (every dependency must exist in the version it names)",
                        job.code.display()
                    )
                }
            })
        }
        Step::Cargo { binary, target_dir } => {
            progress.step(
                job.function,
                &format!("building with cargo build --release --bin {binary}"),
            );
            let mut command = Command::new("cargo");
            command
                .args(["build", "--release", "--bin", binary])
                .current_dir(job.code);
            run(job, &mut command, "cargo", |_| {
                format!(
                    "fix the crate in {} so that `cargo build --release --bin {binary}` passes",
                    job.code.display()
                )
            })?;
            let built = target_dir.join("release").join(binary);
            std::fs::copy(&built, out.join("bootstrap"))
                .map_err(|e| io_error(job, "copy", &built, e))?;
            Ok(())
        }
        Step::Make => {
            let target = format!("build-{}", job.function);
            progress.step(job.function, &format!("running make {target}"));
            let mut command = Command::new("make");
            command
                .arg(&target)
                .env("ARTIFACTS_DIR", out)
                .current_dir(job.code);
            run(job, &mut command, "make", |tail| {
                if tail.contains("No rule to make target") && tail.contains(&target) {
                    format!(
                        "add a `{target}:` target to the Makefile in {} that puts the function's files in $(ARTIFACTS_DIR)",
                        job.code.display()
                    )
                } else {
                    format!(
                        "fix the Makefile's `{target}` target in {}",
                        job.code.display()
                    )
                }
            })
        }
    }
}

/// The binary to build (`asked`, else the crate's only one), where cargo puts it, and the
/// workspace's root folder.
fn cargo_metadata(
    job: &Job,
    asked: Option<&str>,
) -> Result<(String, PathBuf, PathBuf), BuildError> {
    let manifest = job.code.join("Cargo.toml");
    if !manifest.is_file() {
        return Err(code(
            job,
            format!(
                "the cargo-lambda build method needs a Cargo.toml in {}",
                job.code.display()
            ),
        ));
    }
    let mut command = Command::new("cargo");
    command
        .args(["metadata", "--no-deps", "--format-version", "1"])
        .current_dir(job.code);
    let out = command
        .stdin(std::process::Stdio::null())
        .output()
        .map_err(|e| spawn_error(job, "cargo", e))?;
    if !out.status.success() {
        let stderr = String::from_utf8_lossy(&out.stderr);
        let lines: Vec<&str> = stderr.trim_end().lines().collect();
        return Err(BuildError::Failed {
            function: job.function.to_string(),
            command: shown(&command),
            status: out.status,
            stderr: lines[lines.len().saturating_sub(tools::TAIL_LINES)..].join("\n"),
            fix: format!("fix {}", manifest.display()),
        });
    }
    let unreadable = |what: &str| {
        code(
            job,
            format!(
                "cannot read `cargo metadata`'s answer for {}: {what}",
                manifest.display()
            ),
        )
    };
    let metadata: serde_json::Value =
        serde_json::from_slice(&out.stdout).map_err(|e| unreadable(&e.to_string()))?;
    let target_dir = metadata["target_directory"]
        .as_str()
        .map(PathBuf::from)
        .ok_or_else(|| unreadable("no target_directory"))?;
    let workspace = metadata["workspace_root"]
        .as_str()
        .map(PathBuf::from)
        .ok_or_else(|| unreadable("no workspace_root"))?;
    if let Some(binary) = asked {
        return Ok((binary.to_string(), target_dir, workspace));
    }
    let packages = metadata["packages"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default();
    let real_manifest = manifest.canonicalize().ok();
    let this_package: Vec<&serde_json::Value> = packages
        .iter()
        .filter(|p| {
            p["manifest_path"]
                .as_str()
                .and_then(|m| Path::new(m).canonicalize().ok())
                == real_manifest
        })
        .collect();
    // The crate in the folder when there is one, else every member of the workspace.
    let candidates: Vec<&serde_json::Value> = if this_package.is_empty() {
        packages.iter().collect()
    } else {
        this_package
    };
    let binaries: Vec<&str> = candidates
        .iter()
        .filter_map(|p| p["targets"].as_array())
        .flatten()
        .filter(|t| {
            t["kind"]
                .as_array()
                .is_some_and(|k| k.iter().any(|k| k == "bin"))
        })
        .filter_map(|t| t["name"].as_str())
        .collect();
    match binaries.as_slice() {
        [one] => Ok((one.to_string(), target_dir, workspace)),
        [] => Err(code(
            job,
            format!(
                "{} has no binary to build (add src/main.rs or a [[bin]] target)",
                manifest.display()
            ),
        )),
        many => Err(code(
            job,
            format!(
                "{} has several binaries ({}): name the one to build (SAM's Metadata: BuildProperties: Binary)",
                manifest.display(),
                many.join(", ")
            ),
        )),
    }
}

/// Copies the code into the output folder.
fn copy(job: &Job, entries: &[Entry], out: &Path) -> Result<(), BuildError> {
    source::copy(entries, out).map_err(|(path, e)| io_error(job, "copy", &path, e))
}

/// Runs a build tool; a failure says how it ended, what it said and `fix(what it said)`.
fn run(
    job: &Job,
    command: &mut Command,
    tool: &str,
    fix: impl FnOnce(&str) -> String,
) -> Result<(), BuildError> {
    let ran = tools::run(command).map_err(|e| spawn_error(job, tool, e))?;
    if ran.status.success() {
        return Ok(());
    }
    Err(BuildError::Failed {
        function: job.function.to_string(),
        command: shown(command),
        status: ran.status,
        fix: fix(&ran.tail),
        stderr: ran.tail,
    })
}

fn spawn_error(job: &Job, tool: &str, e: io::Error) -> BuildError {
    if e.kind() == io::ErrorKind::NotFound {
        let fix = match tool {
            "npm" => "install Node.js and npm (apt-get install nodejs npm)",
            "cargo" => "install a Rust toolchain (https://rustup.rs)",
            "make" => "install make (apt-get install make)",
            _ => "install Python 3 with pip (apt-get install python3 python3-pip)",
        };
        missing(job, tool, fix)
    } else {
        io_error(job, "run", Path::new(tool), e)
    }
}

fn missing(job: &Job, tool: &str, fix: &str) -> BuildError {
    BuildError::Missing {
        function: job.function.to_string(),
        tool: tool.to_string(),
        fix: fix.to_string(),
    }
}

fn code(job: &Job, problem: String) -> BuildError {
    BuildError::Code {
        function: job.function.to_string(),
        problem,
    }
}

pub fn io_error(job: &Job, action: &'static str, path: &Path, source: io::Error) -> BuildError {
    BuildError::Io {
        function: job.function.to_string(),
        action,
        path: path.to_path_buf(),
        source,
    }
}
