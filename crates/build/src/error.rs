//! Why a build failed, and what to do about it.

use std::path::PathBuf;
use std::process::ExitStatus;

/// A build that did not produce a folder to run the function from. Every variant names the
/// function; the tool variants also say how to fix the problem.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BuildError {
    /// A program the build needs is not installed (or does not run).
    #[error("{function}: {tool} is not installed; {fix}")]
    Missing {
        /// The function being built.
        function: String,
        /// The program, as looked up on `PATH` (`python3.12 or python3`, `npm`).
        tool: String,
        /// What to install.
        fix: String,
    },
    /// A build tool ran and failed.
    #[error("{function}: `{command}` failed ({status}){}\n{fix}", indent(stderr))]
    Failed {
        /// The function being built.
        function: String,
        /// The command line that failed.
        command: String,
        /// How it ended (`exit status: 1`, `signal: 9`).
        status: ExitStatus,
        /// The last 20 lines of its standard error (of its standard output when it wrote no
        /// error).
        stderr: String,
        /// What to change to make it pass.
        fix: String,
    },
    /// The function's code cannot be built the way it asks (no manifest, no binary, an
    /// ambiguous binary, a name that cannot name a folder).
    #[error("{function}: {problem}")]
    Code {
        /// The function being built.
        function: String,
        /// What is wrong, and what to change.
        problem: String,
    },
    /// Reading the code or writing the build folder failed.
    #[error("{function}: cannot {action} {}: {source}", path.display())]
    Io {
        /// The function being built.
        function: String,
        /// What Portico was doing (`read`, `copy`, `remove`).
        action: &'static str,
        /// The file or folder it was doing it to.
        path: PathBuf,
        /// The error.
        #[source]
        source: std::io::Error,
    },
}

/// The tool's output as an indented block under the error's first line, or a note that it
/// wrote nothing.
fn indent(text: &str) -> String {
    if text.trim().is_empty() {
        return ":\n    (it wrote nothing)".to_string();
    }
    let mut out = String::from(":");
    for line in text.lines() {
        out.push_str("\n    ");
        out.push_str(line);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::process::ExitStatusExt;

    #[test]
    fn a_failure_shows_the_status_the_output_and_the_fix() {
        let error = BuildError::Failed {
            function: "Hello".into(),
            command: "python3 -m pip install -r requirements.txt".into(),
            status: ExitStatus::from_raw(1 << 8),
            stderr: "ERROR: one\nERROR: two".into(),
            fix: "fix requirements.txt".into(),
        };
        assert_eq!(
            error.to_string(),
            "Hello: `python3 -m pip install -r requirements.txt` failed (exit status: 1):\n    \
             ERROR: one\n    ERROR: two\nfix requirements.txt"
        );
    }
}
