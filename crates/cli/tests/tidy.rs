//! Keeps the house in order: module docs, the codemap, the config reference, no sleeps.

use std::path::{Path, PathBuf};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .unwrap()
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

fn crates() -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(repo().join("crates"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    dirs.sort();
    dirs
}

#[test]
fn every_crate_root_says_what_it_is() {
    for dir in crates() {
        let root = ["src/lib.rs", "src/main.rs"]
            .iter()
            .map(|f| dir.join(f))
            .find(|p| p.exists())
            .unwrap();
        assert!(
            read(&root).starts_with("//!"),
            "{} has no //! doc",
            root.display()
        );
    }
}

#[test]
fn the_codemap_names_every_crate() {
    let codemap = read(&repo().join("ARCHITECTURE.md"));
    for dir in crates() {
        let name = format!("crates/{}", dir.file_name().unwrap().to_string_lossy());
        assert!(
            codemap.contains(&format!("`{name}`")),
            "ARCHITECTURE.md does not mention `{name}`"
        );
    }
}

#[test]
fn the_readme_documents_every_config_key() {
    let readme = read(&repo().join("README.md"));
    let raw = read(&repo().join("crates/config/src/raw.rs"));
    let lines: Vec<&str> = raw.lines().map(str::trim).collect();
    let keys: Vec<&str> = lines
        .iter()
        .enumerate()
        .filter_map(|(i, l)| Some((i, l.strip_prefix("pub ")?.split_once(':')?.0)))
        .filter(|(_, k)| k.chars().all(|c| c.is_ascii_lowercase() || c == '_'))
        .map(|(i, k)| {
            // A `#[serde(rename = "...")]` just above names the key as written.
            lines[i.saturating_sub(1)]
                .split("rename = \"")
                .nth(1)
                .and_then(|r| r.split('"').next())
                .unwrap_or(k)
        })
        .collect();
    assert!(keys.len() > 10, "found only {keys:?}");
    for key in keys {
        assert!(
            readme.contains(&format!("{key}:")) || readme.contains(&format!("`{key}`")),
            "README.md does not document `{key}`"
        );
    }
}

#[test]
fn tests_wait_for_events_not_time() {
    let mut files = Vec::new();
    for dir in crates() {
        if dir.join("tests").exists() {
            rust_files(&dir.join("tests"), &mut files);
        }
    }
    let this = Path::new(file!()).file_name().unwrap();
    for file in files.iter().filter(|f| f.file_name() != Some(this)) {
        let text = read(file);
        for needle in ["thread::sleep", "time::sleep(", "sleep_until("] {
            assert!(
                !text.contains(needle),
                "{} sleeps ({needle}); await an event instead",
                file.display()
            );
        }
    }
}

#[test]
fn unsafe_code_stays_in_its_one_place() {
    let mut files = Vec::new();
    for dir in crates() {
        rust_files(&dir.join("src"), &mut files);
    }
    let allowed = repo().join("crates/runtime/src/spawn.rs");
    for file in files.iter().filter(|f| **f != allowed) {
        assert!(
            !read(file).contains("unsafe {"),
            "{} uses unsafe; only spawn.rs may",
            file.display()
        );
    }
    assert_eq!(read(&allowed).matches("unsafe {").count(), 1);
}
