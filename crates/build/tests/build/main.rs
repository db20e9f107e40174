//! `portico_build::build` with the real tools (pip, npm, cargo, make) and the real package
//! registries: every test builds a function written into a temporary folder.

mod cargo_lambda;
mod makefile;
mod node;
mod python;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Mutex;

use portico_build::{Job, Method, Progress};

/// The steps a build reported, as `<function>: <message>`.
#[derive(Default)]
struct Steps(Mutex<Vec<String>>);

impl Progress for Steps {
    fn step(&self, function: &str, message: &str) {
        self.0
            .lock()
            .unwrap()
            .push(format!("{function}: {message}"));
    }
}

impl Steps {
    fn all(&self) -> Vec<String> {
        self.0.lock().unwrap().clone()
    }

    /// Whether a step's message starts with `text`.
    fn any(&self, text: &str) -> bool {
        self.all()
            .iter()
            .any(|s| s.split_once(": ").is_some_and(|(_, m)| m.starts_with(text)))
    }
}

/// Fails the test, saying what to install, when `program args…` does not run.
fn require(program: &str, args: &[&str], install: &str) {
    let ran = Command::new(program)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .is_ok_and(|o| o.status.success());
    assert!(
        ran,
        "`{program} {}` does not run: {install} to run this test",
        args.join(" ")
    );
}

/// A function's folder and a cache beside it, both removed at the end of the test.
struct Fixture {
    dir: tempfile::TempDir,
}

impl Fixture {
    fn new() -> Fixture {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("code")).unwrap();
        Fixture { dir }
    }

    fn code(&self) -> PathBuf {
        self.dir.path().join("code")
    }

    fn cache(&self) -> PathBuf {
        self.dir.path().join("cache")
    }

    fn write(&self, rel: &str, text: &str) {
        let path = self.code().join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }

    fn build(
        &self,
        function: &str,
        runtime: &str,
        method: Method,
    ) -> (Result<PathBuf, portico_build::BuildError>, Steps) {
        let steps = Steps::default();
        let code = self.code();
        let job = Job {
            function,
            code: &code,
            runtime,
            method,
        };
        (portico_build::build(&job, &self.cache(), &steps), steps)
    }

    /// The names in the cache folder, sorted.
    fn cached(&self) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(self.cache())
            .map(|d| {
                d.map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                    .collect()
            })
            .unwrap_or_default();
        names.sort();
        names
    }
}

/// The file a finished build holds.
const MARKER: &str = ".portico-build-complete";

/// The `<hash>` of a build folder `<function>-<hash>`.
fn hash_of(folder: &Path) -> String {
    let name = folder.file_name().unwrap().to_string_lossy();
    let (_, hash) = name.rsplit_once('-').unwrap();
    assert_eq!(hash.len(), 64, "{name}");
    hash.to_string()
}
