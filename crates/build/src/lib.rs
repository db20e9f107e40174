//! Building a function's code before Portico runs it, as `sam build` does before a deploy:
//! a Python function's `requirements.txt` installed beside its code (pip), a Node function's
//! `package.json` dependencies (npm), a Rust function built into cargo-lambda's `bootstrap`
//! (cargo), or a Makefile's `build-<function>` target (make).
//!
//! [`build`] takes a [`Job`] and a cache folder and returns the folder to run the function
//! from, `<cache>/<function>-<hash>`. The hash covers everything the build depends on (every
//! file of the code folder, by relative path and bytes, the [`Method`], the runtime and the
//! tool's version), so an unchanged function is not built twice; a build that did not finish
//! leaves no trace a later one could mistake for a finished build (builds happen in a temporary
//! folder, renamed into place once complete), and older builds of a function are removed
//! once a new one succeeds. Tools run with no standard input and their output read, never
//! shown as is: what the caller sees are the [`Progress`] steps, and a failure's
//! [`BuildError`] carries the tool's exit status, the end of its standard error and what to do.
//!
//! Knows nothing of front doors or the config file format: the caller names the function, its
//! code folder, its runtime and how to build it (or asks [`infer`] what SAM would choose).

mod cache;
mod error;
pub mod interpreter;
mod methods;
pub mod sdk;
mod source;
mod tools;

use std::path::{Path, PathBuf};

pub use error::BuildError;

/// How a function's code is built, as SAM's `BuildMethod` names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Method {
    /// Copy the code and `pip install -r requirements.txt` into the copy (SAM's Python
    /// builds), with the runtime's own Python (`python3.12`, else `python3`).
    Pip,
    /// Copy the code and install `package.json`'s production dependencies into the copy: `npm
    /// ci` with a `package-lock.json`, else `npm install` (SAM's Node builds).
    Npm,
    /// `cargo build --release` in the code folder (a crate or a workspace), the binary copied
    /// as `bootstrap` (SAM's `rust-cargolambda`).
    CargoLambda {
        /// The binary to build (SAM's `Metadata: BuildProperties: Binary`); by default the
        /// only binary of the crate or workspace.
        binary: Option<String>,
    },
    /// `make build-<function>` in the code folder with `ARTIFACTS_DIR` set to the output
    /// folder (SAM's `makefile`).
    Makefile,
}

/// One function to build.
#[derive(Debug, Clone)]
pub struct Job<'a> {
    /// The function's name (a SAM logical id): it names the build folder and, for
    /// [`Method::Makefile`], the target `build-<function>`.
    pub function: &'a str,
    /// The function's source folder (absolute; a relative one is taken from the current
    /// directory).
    pub code: &'a Path,
    /// The function's runtime as Lambda names it: `python3.12`, `nodejs20.x`,
    /// `provided.al2023`.
    pub runtime: &'a str,
    /// How to build it.
    pub method: Method,
}

/// What a build reports as it goes (the CLI prints these lines).
pub trait Progress {
    /// `function`'s build has reached a step: `message` is one line for people, such as
    /// "installing requirements.txt with python3.12 -m pip" or "built in 3.2 s".
    fn step(&self, function: &str, message: &str);
}

/// Any `Fn(function, message)` reports progress, so a closure will do.
impl<F: Fn(&str, &str)> Progress for F {
    fn step(&self, function: &str, message: &str) {
        self(function, message)
    }
}

/// Builds `job` into a folder under `cache` (e.g. `<template dir>/.portico/build`), reusing the
/// last build when nothing it depends on changed; returns the folder to run the function from.
///
/// Blocks until the build is done (run it on a blocking thread from async code). Two
/// processes may build the same function at once: each builds into its own temporary folder
/// and the first to finish wins; the other uses its result.
pub fn build(job: &Job, cache: &Path, progress: &dyn Progress) -> Result<PathBuf, BuildError> {
    cache::build(job, cache, progress)
}

/// What [`Method`] a function's folder asks for when the template names none (SAM's
/// defaults): [`Method::Pip`] for a `python*` runtime with a `requirements.txt`,
/// [`Method::Npm`] for a `nodejs*` runtime with a `package.json`, else `None` (the code runs
/// as it is).
pub fn infer(runtime: &str, code: &Path) -> Option<Method> {
    if runtime.starts_with("python") && code.join("requirements.txt").is_file() {
        Some(Method::Pip)
    } else if runtime.starts_with("nodejs") && code.join("package.json").is_file() {
        Some(Method::Npm)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn infer_follows_sams_defaults() {
        let dir = tempfile::tempdir().unwrap();
        let code = dir.path();
        assert_eq!(infer("python3.12", code), None);
        assert_eq!(infer("nodejs20.x", code), None);
        std::fs::write(code.join("requirements.txt"), "six\n").unwrap();
        assert_eq!(infer("python3.12", code), Some(Method::Pip));
        assert_eq!(infer("nodejs20.x", code), None);
        assert_eq!(infer("provided.al2023", code), None);
        std::fs::write(code.join("package.json"), "{}").unwrap();
        assert_eq!(infer("nodejs20.x", code), Some(Method::Npm));
        assert_eq!(infer("python3.9", code), Some(Method::Pip));
        assert_eq!(infer("provided.al2023", code), None);
        std::fs::write(code.join("Cargo.toml"), "").unwrap();
        std::fs::write(code.join("Makefile"), "").unwrap();
        assert_eq!(infer("provided.al2", code), None);
    }

    #[test]
    fn a_folder_named_like_a_manifest_is_not_one() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("requirements.txt")).unwrap();
        assert_eq!(infer("python3.12", dir.path()), None);
    }

    #[test]
    fn closures_report_progress() {
        let seen = std::cell::RefCell::new(Vec::new());
        let progress = |f: &str, m: &str| seen.borrow_mut().push(format!("{f}: {m}"));
        (&progress as &dyn Progress).step("Hello", "built in 0.1 s");
        assert_eq!(*seen.borrow(), ["Hello: built in 0.1 s"]);
    }
}
