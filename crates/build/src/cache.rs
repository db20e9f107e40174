//! The build cache: `<cache>/<function>-<hash>/` folders, each finished when it holds the
//! marker; builds made in a temporary folder beside them and renamed into place; older builds
//! removed after a new one.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use crate::methods::{self, io_error};
use crate::source;
use crate::{BuildError, Job, Progress};

/// The file a finished build writes last; a build folder without it did not finish.
pub const MARKER: &str = ".portico-build-complete";

/// How much of the hash progress messages and temporary folders show.
const SHORT: usize = 12;

/// Numbers the temporary folders of this process.
static TEMP: AtomicU64 = AtomicU64::new(0);

pub fn build(job: &Job, cache: &Path, progress: &dyn Progress) -> Result<PathBuf, BuildError> {
    check_name(job)?;
    let cache = std::path::absolute(cache).map_err(|e| io_error(job, "find", cache, e))?;
    let code = std::path::absolute(job.code).map_err(|e| io_error(job, "find", job.code, e))?;
    if !code.is_dir() {
        return Err(BuildError::Code {
            function: job.function.to_string(),
            problem: format!("the code folder {} does not exist", code.display()),
        });
    }
    let job = Job {
        code: &code,
        ..job.clone()
    };
    let job = &job;

    let plan = methods::plan(job, &cache, progress)?;
    let entries =
        source::walk(job.code, &plan.skip).map_err(|e| io_error(job, "read", job.code, e))?;
    let facts: Vec<&str> = plan.facts.iter().map(String::as_str).collect();
    let hash = source::hash(&entries, &facts).map_err(|e| io_error(job, "read", job.code, e))?;
    let short = &hash[..SHORT];
    let done = cache.join(format!("{}-{hash}", job.function));

    if done.join(MARKER).is_file() {
        progress.step(job.function, &format!("reusing the build of {short}"));
        return Ok(done);
    }
    if done.exists() {
        progress.step(
            job.function,
            &format!("removing the unfinished build of {short}"),
        );
        remove(&done).map_err(|e| io_error(job, "remove", &done, e))?;
    }

    let started = Instant::now();
    fs::create_dir_all(&cache).map_err(|e| io_error(job, "create", &cache, e))?;
    let temp = cache.join(format!(
        ".{}-{short}.tmp-{}-{}",
        job.function,
        std::process::id(),
        TEMP.fetch_add(1, Ordering::Relaxed)
    ));
    fs::create_dir(&temp).map_err(|e| io_error(job, "create", &temp, e))?;
    let built = methods::execute(&plan, job, &entries, &temp, progress).and_then(|()| {
        fs::write(temp.join(MARKER), format!("{hash}\n"))
            .map_err(|e| io_error(job, "write", &temp.join(MARKER), e))
    });
    if let Err(e) = built {
        let _ = remove(&temp);
        return Err(e);
    }
    match settle(&temp, &done) {
        Ok(Settled::Ours) => {}
        Ok(Settled::Theirs) => progress.step(
            job.function,
            "another build of the same code finished first; using it",
        ),
        Err(e) => {
            let _ = remove(&temp);
            return Err(io_error(job, "rename into", &done, e));
        }
    }
    progress.step(
        job.function,
        &format!("built in {:.1} s", started.elapsed().as_secs_f64()),
    );
    remove_older(job, &cache, &hash, progress);
    Ok(done)
}

/// Whose build ended up in the final folder.
enum Settled {
    Ours,
    Theirs,
}

/// Moves the finished build `temp` to `done`, unless another build put one there first (then
/// `temp` is dropped and theirs used).
fn settle(temp: &Path, done: &Path) -> io::Result<Settled> {
    for _ in 0..2 {
        match fs::rename(temp, done) {
            Ok(()) => return Ok(Settled::Ours),
            Err(_) if done.join(MARKER).is_file() => {
                remove(temp)?;
                return Ok(Settled::Theirs);
            }
            // An unfinished build of the same hash appeared meanwhile: replace it.
            Err(_) if done.exists() => remove(done)?,
            Err(e) => return Err(e),
        }
    }
    fs::rename(temp, done).map(|()| Settled::Ours)
}

/// The function's name names folders: it must not be able to reach outside the cache.
fn check_name(job: &Job) -> Result<(), BuildError> {
    let name = job.function;
    if name.is_empty() || name.starts_with('.') || name.contains(['/', '\\', '\0']) {
        return Err(BuildError::Code {
            function: name.to_string(),
            problem: "a function's name must not be empty, start with `.` or hold `/`".into(),
        });
    }
    Ok(())
}

/// Removes `dir`, which another process may be removing too.
fn remove(dir: &Path) -> io::Result<()> {
    match fs::remove_dir_all(dir) {
        Err(e) if e.kind() != io::ErrorKind::NotFound && dir.exists() => Err(e),
        _ => Ok(()),
    }
}

/// Removes the function's other builds, and the temporary folders of its builds by processes
/// that are gone. A folder that cannot be removed is reported, not fatal.
fn remove_older(job: &Job, cache: &Path, hash: &str, progress: &dyn Progress) {
    let Ok(entries) = fs::read_dir(cache) else {
        return;
    };
    let prefix = format!("{}-", job.function);
    let temp_prefix = format!(".{}-", job.function);
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(name) = name.to_str() else { continue };
        let older = name
            .strip_prefix(&prefix)
            .is_some_and(|h| h != hash && is_hex(h, 64));
        let abandoned = name
            .strip_prefix(&temp_prefix)
            .and_then(|rest| rest.split_once(".tmp-"))
            .filter(|(short, _)| is_hex(short, SHORT))
            .and_then(|(_, owner)| owner.split_once('-'))
            .and_then(|(pid, _)| pid.parse::<u32>().ok())
            .is_some_and(|pid| !alive(pid));
        if (older || abandoned)
            && let Err(e) = remove(&entry.path())
        {
            progress.step(
                job.function,
                &format!("cannot remove {}: {e}", entry.path().display()),
            );
        }
    }
}

fn is_hex(text: &str, len: usize) -> bool {
    text.len() == len && text.bytes().all(|b| b.is_ascii_hexdigit())
}

/// Whether process `pid` still runs (so that its temporary folder may be in use). Where that
/// cannot be known, every process is taken to be alive.
fn alive(pid: u32) -> bool {
    if pid == std::process::id() {
        return true;
    }
    if cfg!(target_os = "linux") {
        Path::new("/proc").join(pid.to_string()).exists()
    } else {
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_that_leave_the_cache_are_refused() {
        for name in ["", ".", "..", "../x", "a/b", ".hidden"] {
            let job = Job {
                function: name,
                code: Path::new("/"),
                runtime: "python3.12",
                method: crate::Method::Pip,
            };
            assert!(
                matches!(check_name(&job), Err(BuildError::Code { .. })),
                "{name:?}"
            );
        }
    }

    #[test]
    fn only_this_functions_builds_are_older_builds() {
        let cache = tempfile::tempdir().unwrap();
        let hash = "a".repeat(64);
        let old = "b".repeat(64);
        let keep = [
            format!("Hello-{hash}"),
            format!("Hello-World-{old}"),
            format!("Hellox-{old}"),
            "Hello-notahash".to_string(),
            format!(".Hello-{}.tmp-{}-0", &old[..12], std::process::id()),
        ];
        let gone = [
            format!("Hello-{old}"),
            format!(".Hello-{}.tmp-4294967295-3", &old[..12]),
        ];
        for name in keep.iter().chain(&gone) {
            fs::create_dir(cache.path().join(name)).unwrap();
        }
        let job = Job {
            function: "Hello",
            code: cache.path(),
            runtime: "python3.12",
            method: crate::Method::Pip,
        };
        remove_older(&job, cache.path(), &hash, &|_: &str, _: &str| {});
        for name in &keep {
            assert!(cache.path().join(name).exists(), "{name} was removed");
        }
        for name in &gone {
            assert!(!cache.path().join(name).exists(), "{name} was kept");
        }
    }
}
