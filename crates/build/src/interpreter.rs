//! The interpreter a `python3.x` or `nodejsNN.x` function runs and is built with: the
//! runtime's own (`python3.12`, `node20`) when it runs, else the generic one (`python3`,
//! `node`), with a warning when that is another version. Both are asked at once, for their
//! version and their real executable together (a version manager's shims take a tenth of a
//! second or more to answer, and running the executable skips them at every start), and
//! once per process: the runtime and the builds share the answer.

use std::collections::BTreeMap;
use std::process::{Command, Stdio};
use std::sync::Mutex;

/// An interpreter found for a runtime.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Interpreter {
    /// Its version as it reports it: `Python 3.12.1`, `v20.11.0`.
    pub version: String,
    /// Its real executable, to run directly.
    pub executable: String,
    /// Set when the runtime's own interpreter is missing and another version stands in.
    pub warning: Option<String>,
}

/// The interpreter for `runtime` (`python3.12`, `nodejs20.x`); `Err` says why there is none
/// (`None` for a runtime that needs no interpreter, such as `provided`).
pub fn find(runtime: &str) -> Option<Result<Interpreter, String>> {
    static KNOWN: Mutex<BTreeMap<String, Result<Interpreter, String>>> =
        Mutex::new(BTreeMap::new());
    let (exact, fallback, python) = if let Some(minor) = runtime.strip_prefix("python3.") {
        (format!("python3.{minor}"), "python3", true)
    } else if let Some(major) = runtime
        .strip_prefix("nodejs")
        .and_then(|r| r.strip_suffix(".x"))
    {
        (format!("node{major}"), "node", false)
    } else {
        return None;
    };
    if let Some(known) = KNOWN.lock().ok().and_then(|k| k.get(runtime).cloned()) {
        return Some(known);
    }
    let (exact_found, fallback_found) = std::thread::scope(|scope| {
        let exact = scope.spawn(|| probe(&exact, python));
        let fallback = probe(fallback, python);
        (exact.join().ok().flatten(), fallback)
    });
    let found = match (exact_found, fallback_found) {
        (Some(exact), _) => Ok(exact),
        (None, Some(mut fallback)) => {
            let wanted = if python {
                format!("Python 3.{}.", runtime.trim_start_matches("python3."))
            } else {
                format!("v{}.", exact.trim_start_matches("node"))
            };
            if !fallback.version.starts_with(&wanted) {
                fallback.warning = Some(format!(
                    "{runtime}: `{exact}` not found, using `{fallback_name}` ({})",
                    fallback.version,
                    fallback_name = fallback_name(python)
                ));
            }
            Ok(fallback)
        }
        (None, None) => Err(format!(
            "{runtime}: neither `{exact}` nor `{}` is installed; functions on {runtime} will fail to start",
            fallback_name(python)
        )),
    };
    if let Ok(mut known) = KNOWN.lock() {
        known.insert(runtime.to_string(), found.clone());
    }
    Some(found)
}

fn fallback_name(python: bool) -> &'static str {
    if python { "python3" } else { "node" }
}

fn probe(program: &str, python: bool) -> Option<Interpreter> {
    let mut command = Command::new(program);
    if python {
        command.args([
            "-c",
            "import sys; print('Python ' + sys.version.split()[0]); print(sys.executable)",
        ]);
    } else {
        command.args(["-p", "process.version + '\\n' + process.execPath"]);
    }
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
    Some(Interpreter {
        version,
        executable,
        warning: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_machines_python_is_found_with_its_real_executable() {
        let found = find("python3.999")
            .expect("a Python runtime")
            .expect("python3 is installed");
        assert!(found.version.starts_with("Python 3."), "{found:?}");
        assert!(
            std::path::Path::new(&found.executable).is_file(),
            "{found:?}"
        );
        // No Python 3.999: the generic one stands in, with a warning that says so.
        assert!(
            found
                .warning
                .unwrap()
                .contains("`python3.999` not found, using `python3`")
        );
        assert_eq!(find("provided.al2023"), None);
    }
}
