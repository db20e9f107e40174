//! Running build tools: finding them (and their versions), and running one with no standard
//! input while its output is read, keeping the end of it for the error.

use std::collections::{BTreeMap, VecDeque};
use std::io::{self, Read};
use std::process::{Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

/// How many lines of a failed tool's output an error shows.
pub const TAIL_LINES: usize = 20;

/// How much of each output stream is kept while a tool runs (enough for [`TAIL_LINES`] lines
/// of any sensible length; the rest is read and dropped).
const KEPT_BYTES: usize = 64 * 1024;

/// How long the output is still read once the tool has exited: a process it left running in
/// the background may hold the pipes open, and the build must not wait for it.
const DRAIN_AFTER_EXIT: Duration = Duration::from_secs(2);

/// The first line of `program --version`, or `None` when it is not installed or does not
/// run (a pyenv shim for a version that is not selected fails, for one). Asked once per
/// process and program (pyenv's shims take a few hundred milliseconds to answer, and a
/// template's functions mostly share their tools).
pub fn version(program: &str) -> Option<String> {
    static KNOWN: Mutex<BTreeMap<String, Option<String>>> = Mutex::new(BTreeMap::new());
    if let Some(known) = KNOWN.lock().ok().and_then(|k| k.get(program).cloned()) {
        return known;
    }
    let found = ask_version(program);
    if let Ok(mut known) = KNOWN.lock() {
        known.insert(program.to_string(), found.clone());
    }
    found
}

fn ask_version(program: &str) -> Option<String> {
    let out = Command::new(program)
        .arg("--version")
        .stdin(Stdio::null())
        .output()
        .ok()
        .filter(|out| out.status.success())?;
    let text = if out.stdout.trim_ascii().is_empty() {
        out.stderr
    } else {
        out.stdout
    };
    let text = String::from_utf8_lossy(&text);
    Some(text.lines().next().unwrap_or_default().trim().to_string())
}

/// The Python to install a `python3.x` function's requirements with: the one its function
/// runs with ([`crate::interpreter`]). Returns its executable, its version, and a warning
/// when it is another version than the runtime's.
pub fn python(runtime: &str) -> Option<(String, String, Option<String>)> {
    let runtime = if runtime.starts_with("python3.") {
        runtime
    } else {
        "python3.x"
    };
    let found = crate::interpreter::find(runtime)?.ok()?;
    Some((found.executable, found.version, found.warning))
}

/// How a tool run ended.
#[derive(Debug)]
pub struct Ran {
    /// Its exit status.
    pub status: ExitStatus,
    /// Its last [`TAIL_LINES`] lines of standard error, or of standard output when it wrote
    /// no error.
    pub tail: String,
}

/// Runs `command` to its end with no standard input and both outputs read (never inherited,
/// so that nothing reaches the terminal and nothing waits on a full pipe). Git, which some
/// manifests fetch from, is told never to prompt.
pub fn run(command: &mut Command) -> io::Result<Ran> {
    let mut child = command
        .env("GIT_TERMINAL_PROMPT", "0")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()?;
    let (done, finished) = mpsc::channel();
    let stdout = drain(child.stdout.take(), done.clone());
    let stderr = drain(child.stderr.take(), done);
    let status = child.wait()?;
    for _ in 0..2 {
        if finished.recv_timeout(DRAIN_AFTER_EXIT).is_err() {
            break;
        }
    }
    let stderr = tail(&stderr);
    let tail = if stderr.trim().is_empty() {
        self::tail(&stdout)
    } else {
        stderr
    };
    Ok(Ran { status, tail })
}

/// Reads `stream` to its end on a thread of its own, keeping its last [`KEPT_BYTES`], and says
/// so on `done` when it ends.
fn drain(
    stream: Option<impl Read + Send + 'static>,
    done: mpsc::Sender<()>,
) -> Arc<Mutex<VecDeque<u8>>> {
    let kept = Arc::new(Mutex::new(VecDeque::new()));
    let Some(mut stream) = stream else {
        let _ = done.send(());
        return kept;
    };
    let keeping = Arc::clone(&kept);
    thread::spawn(move || {
        let mut buf = [0u8; 8192];
        loop {
            match stream.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => {
                    let Ok(mut kept) = keeping.lock() else { break };
                    kept.extend(&buf[..n]);
                    let extra = kept.len().saturating_sub(KEPT_BYTES);
                    kept.drain(..extra);
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(_) => break,
            }
        }
        let _ = done.send(());
    });
    kept
}

/// The last [`TAIL_LINES`] lines of what a stream kept, as text.
fn tail(kept: &Mutex<VecDeque<u8>>) -> String {
    let bytes: Vec<u8> = match kept.lock() {
        Ok(kept) => kept.iter().copied().collect(),
        Err(_) => Vec::new(),
    };
    let text = String::from_utf8_lossy(&bytes);
    let lines: Vec<&str> = text.trim_end().lines().collect();
    lines[lines.len().saturating_sub(TAIL_LINES)..].join("\n")
}

/// `command` as a person would type it (for messages).
pub fn shown(command: &Command) -> String {
    let mut text = command.get_program().to_string_lossy().into_owned();
    for arg in command.get_args() {
        text.push(' ');
        text.push_str(&arg.to_string_lossy());
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_run_keeps_the_last_lines_of_stderr() {
        let ran = run(Command::new("sh").args([
            "-c",
            "for i in $(seq 1 100); do echo out $i; echo err $i >&2; done; exit 3",
        ]))
        .unwrap();
        assert_eq!(ran.status.code(), Some(3));
        let lines: Vec<&str> = ran.tail.lines().collect();
        assert_eq!(lines.len(), TAIL_LINES);
        assert_eq!(lines[0], "err 81");
        assert_eq!(lines[19], "err 100");
    }

    #[test]
    fn without_stderr_the_tail_is_stdout() {
        let ran = run(Command::new("sh").args(["-c", "echo only out; exit 1"])).unwrap();
        assert_eq!(ran.tail, "only out");
    }

    #[test]
    fn a_tool_reading_stdin_gets_nothing() {
        let ran = run(Command::new("sh").args(["-c", "cat; echo read all >&2"])).unwrap();
        assert!(ran.status.success());
        assert_eq!(ran.tail, "read all");
    }

    #[test]
    fn huge_output_is_read_and_bounded() {
        let ran = run(Command::new("sh").args([
            "-c",
            "head -c 5000000 /dev/zero | tr '\\0' 'x' >&2; echo; echo last >&2",
        ]))
        .unwrap();
        assert!(ran.status.success());
        assert!(ran.tail.ends_with("last"));
        assert!(ran.tail.len() <= KEPT_BYTES);
    }

    #[test]
    fn a_background_process_holding_the_pipes_does_not_hold_the_build() {
        let started = std::time::Instant::now();
        let ran = run(Command::new("sh").args(["-c", "sleep 10 & echo started >&2"])).unwrap();
        assert!(ran.status.success());
        assert_eq!(ran.tail, "started");
        assert!(started.elapsed() < Duration::from_secs(8));
    }

    #[test]
    fn missing_tools_have_no_version() {
        assert_eq!(version("portico-no-such-tool"), None);
        assert_eq!(version("false"), None, "a tool that fails is not usable");
    }
}
