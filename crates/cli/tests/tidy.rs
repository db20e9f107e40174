//! Keeps the house in order: module docs, the codemap and its rules, the config reference,
//! no sleeps.

use std::collections::{BTreeMap, BTreeSet};
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

// The codemap's rules. ARCHITECTURE.md says them in words (each crate's italic sentence and
// the "Tidy" bullet); the tables below say them again, to be checked. Change both together.

/// A crate by its folder under `crates/` (`cli` is the `portico` package).
fn name(dir: &Path) -> String {
    dir.file_name().unwrap().to_string_lossy().into_owned()
}

/// The keys of one table of a `Cargo.toml` (`[package]`, `[dependencies]`), with their values,
/// read line by line: one key per line, as every manifest of the workspace writes them.
fn table(manifest: &Path, header: &str) -> Vec<(String, String)> {
    let text = read(manifest);
    let mut keys = Vec::new();
    let mut inside = false;
    let mut depth = 0i32;
    for line in text.lines().map(str::trim) {
        if depth == 0 && line.starts_with('[') {
            let dotted = line.starts_with(&format!("{}.", header.trim_end_matches(']')))
                || (line.starts_with("[target.") && line.ends_with(".dependencies]"));
            assert!(
                header != "[dependencies]" || !dotted,
                "{}: `{line}` is a table the tidy test does not read; write each dependency as one \
                 line of [dependencies]",
                manifest.display()
            );
            inside = line == header;
            continue;
        }
        let starts_key = depth == 0;
        depth += line.matches(['[', '{']).count() as i32 - line.matches([']', '}']).count() as i32;
        if !inside || !starts_key || line.is_empty() || line.starts_with('#') {
            continue;
        }
        let (key, value) = line.split_once('=').unwrap_or((line, ""));
        let key = key.split('.').next().unwrap().trim().trim_matches('"');
        // `alias = { package = "real-name", ... }` depends on real-name.
        let key = value
            .split("package = \"")
            .nth(1)
            .and_then(|rest| rest.split('"').next())
            .unwrap_or(key);
        keys.push((key.to_owned(), value.trim().to_owned()));
    }
    keys
}

/// The packages a crate's `[dependencies]` name (dev- and build-dependencies aside).
fn dependencies(dir: &Path) -> Vec<String> {
    table(&dir.join("Cargo.toml"), "[dependencies]")
        .into_iter()
        .map(|(key, _)| key)
        .collect()
}

/// Each crate's package name (`portico-events`), to its folder's name (`events`).
fn packages() -> BTreeMap<String, String> {
    crates()
        .iter()
        .map(|dir| {
            let manifest = dir.join("Cargo.toml");
            let package = table(&manifest, "[package]")
                .into_iter()
                .find(|(key, _)| key == "name")
                .map(|(_, value)| value.trim_matches('"').to_owned())
                .unwrap_or_else(|| panic!("{} names no package", manifest.display()));
            (package, name(dir))
        })
        .collect()
}

/// The arrows of the codemap (the first `text` block of ARCHITECTURE.md): one line per crate
/// or group of crates, `from ──► to, to` or `from, from ──► no Portico crate`.
fn codemap_arrows() -> BTreeMap<String, BTreeSet<String>> {
    let codemap = read(&repo().join("ARCHITECTURE.md"));
    let block = codemap
        .split_once("```text\n")
        .and_then(|(_, rest)| rest.split_once("```"))
        .map(|(block, _)| block)
        .expect("ARCHITECTURE.md has no ```text block with the codemap");
    let mut arrows = BTreeMap::new();
    for line in block.lines().filter(|l| !l.trim().is_empty()) {
        let (from, to) = line.split_once('►').unwrap_or_else(|| {
            panic!(
                "ARCHITECTURE.md: the codemap's line `{line}` has no arrow; write it as \
                 `crate ──► dependency, dependency` or `crate ──► no Portico crate`"
            )
        });
        let to: BTreeSet<String> = match to.trim() {
            "no Portico crate" => BTreeSet::new(),
            to => to.split(',').map(|d| d.trim().to_owned()).collect(),
        };
        for from in from.trim_end_matches(['─', ' ']).split(',').map(str::trim) {
            assert!(
                arrows.insert(from.to_owned(), to.clone()).is_none(),
                "ARCHITECTURE.md: the codemap draws the arrows of `{from}` twice; keep one line"
            );
        }
    }
    arrows
}

#[test]
fn the_codemap_draws_every_portico_dependency() {
    let packages = packages();
    let arrows = codemap_arrows();
    let mut wrong = Vec::new();
    for name in arrows.keys().chain(arrows.values().flatten()) {
        if !packages.values().any(|n| n == name) {
            wrong.push(format!(
                "ARCHITECTURE.md's codemap names `{name}`, which is no folder under crates/: \
                 use the folder's name, or remove it"
            ));
        }
    }
    for dir in crates() {
        let name = name(&dir);
        let Some(drawn) = arrows.get(&name) else {
            wrong.push(format!(
                "ARCHITECTURE.md's codemap has no line for `{name}`: add `{name} ──► ...` \
                 (or `{name} ──► no Portico crate`)"
            ));
            continue;
        };
        let real: BTreeSet<String> = dependencies(&dir)
            .iter()
            .filter_map(|d| packages.get(d).cloned())
            .collect();
        for dep in real.difference(drawn) {
            let package = packages.iter().find(|(_, n)| *n == dep).unwrap().0;
            wrong.push(format!(
                "crates/{name}/Cargo.toml depends on `{package}`, but ARCHITECTURE.md's codemap \
                 draws no arrow `{name} ──► {dep}`: if the rules of crates/{name} allow it, \
                 draw the arrow; else drop the dependency"
            ));
        }
        for dep in drawn.difference(&real) {
            wrong.push(format!(
                "ARCHITECTURE.md's codemap draws `{name} ──► {dep}`, but crates/{name}/Cargo.toml \
                 depends on no crates/{dep} in [dependencies]: remove the arrow"
            ));
        }
    }
    assert!(wrong.is_empty(), "\n{}\n", wrong.join("\n"));
}

/// The crates that do IO, and the ones that do it for others (an async runtime, sockets,
/// HTTP, processes, files watched or written in the background, exporters).
const IO: &[&str] = &[
    "tokio",
    "async-std",
    "smol",
    "mio",
    "hyper",
    "hyper-util",
    "hyper-rustls",
    "rustls",
    "reqwest",
    "ureq",
    "nix",
    "libc",
    "notify",
    "tracing-appender",
    "opentelemetry-otlp",
    "opentelemetry-http",
    "metrics-exporter-prometheus",
];

/// The HTTP crates, from its types up.
const HTTP: &[&str] = &[
    "http",
    "http-body",
    "http-body-util",
    "hyper",
    "hyper-util",
    "hyper-rustls",
    "reqwest",
    "ureq",
    "axum",
    "opentelemetry-http",
];

/// The HTTP crates but `http`, whose types events and auth may take.
const HTTP_BUT_ITS_TYPES: [&str; 9] = [
    "http-body",
    "http-body-util",
    "hyper",
    "hyper-util",
    "hyper-rustls",
    "reqwest",
    "ureq",
    "axum",
    "opentelemetry-http",
];

/// Which crates a rule holds.
enum Crates {
    These(&'static [&'static str]),
    AllBut(&'static [&'static str]),
}

impl Crates {
    fn hold(&self, name: &str) -> bool {
        match self {
            Crates::These(these) => these.contains(&name),
            Crates::AllBut(others) => !others.contains(&name),
        }
    }
}

/// A crate that `Crates` holds depends on none of `not` (a name ending in `*` is a prefix).
struct DependencyRule {
    crates: Crates,
    not: &'static [&'static str],
    rule: &'static str,
}

const DEPENDENCY_RULES: &[DependencyRule] = &[
    DependencyRule {
        crates: Crates::These(&["config", "build", "events", "auth", "vtl", "cost"]),
        not: IO,
        rule: "config, build, events, auth, vtl and cost do no async or network IO \
               (no tokio, hyper, reqwest or other IO crate)",
    },
    DependencyRule {
        crates: Crates::These(&["config", "build", "vtl", "cost"]),
        not: HTTP,
        rule: "config, build, vtl and cost know nothing of HTTP (not even `http`'s types)",
    },
    DependencyRule {
        crates: Crates::These(&["events", "auth"]),
        not: &HTTP_BUT_ITS_TYPES,
        rule: "events and auth take `http`'s types and use no other HTTP crate",
    },
    DependencyRule {
        crates: Crates::AllBut(&["server", "runtime", "cli"]),
        not: &["hyper"],
        rule: "only server, runtime and cli depend on `hyper` itself \
               (the gateway's and observe's HTTP clients are hyper-util's)",
    },
    DependencyRule {
        crates: Crates::These(&["config", "events", "auth", "vtl", "build"]),
        not: &["portico-*"],
        rule: "config, events, auth, vtl and build know no other Portico crate",
    },
    DependencyRule {
        crates: Crates::These(&["runtime"]),
        not: &[
            "portico-gateway",
            "portico-server",
            "portico-auth",
            "portico-vtl",
            "portico-observe",
        ],
        rule: "the runtime knows nothing of front doors, routes or auth",
    },
    DependencyRule {
        crates: Crates::These(&["observe"]),
        not: &["portico-gateway", "portico-server"],
        rule: "observe knows no HTTP server and no front door",
    },
];

#[test]
fn dependencies_keep_the_codemaps_rules() {
    let mut wrong = Vec::new();
    for dir in crates() {
        let name = name(&dir);
        for dep in dependencies(&dir) {
            for rule in DEPENDENCY_RULES.iter().filter(|r| r.crates.hold(&name)) {
                let broken = rule.not.iter().any(|not| match not.strip_suffix('*') {
                    Some(prefix) => dep.starts_with(prefix),
                    None => dep == *not,
                });
                if broken {
                    wrong.push(format!(
                        "crates/{name}/Cargo.toml depends on `{dep}`, but {} (ARCHITECTURE.md, \
                         crates/{name}): drop the dependency and leave the work to a crate that \
                         may do it, or change the rule here and in ARCHITECTURE.md together",
                        rule.rule
                    ));
                }
            }
        }
    }
    assert!(wrong.is_empty(), "\n{}\n", wrong.join("\n"));
}

/// The text of each Rust file under `crates/*/src`, by its path from the repository's root,
/// with comment lines blanked (so that docs may name what the code may not use).
fn sources() -> Vec<(String, String)> {
    let mut files = Vec::new();
    for dir in crates() {
        rust_files(&dir.join("src"), &mut files);
    }
    let root = repo();
    files.sort();
    files
        .iter()
        .map(|file| {
            let text = read(file);
            let text: Vec<&str> = text
                .lines()
                .map(|l| {
                    if l.trim_start().starts_with("//") {
                        ""
                    } else {
                        l
                    }
                })
                .collect();
            let path = file.strip_prefix(&root).unwrap().to_string_lossy();
            (path.replace('\\', "/"), text.join("\n"))
        })
        .collect()
}

/// Only the files (or folders, ending in `/`) in `only` contain any of `needles`.
struct SourceRule {
    needles: &'static [&'static str],
    only: &'static [&'static str],
    rule: &'static str,
    fix: &'static str,
}

const SOURCE_RULES: &[SourceRule] = &[
    SourceRule {
        needles: &["serve_connection", "hyper::server", "hyper_util::server"],
        only: &["crates/server/src/", "crates/runtime/src/api.rs"],
        rule: "only the server and the Runtime API server (crates/runtime/src/api.rs) serve HTTP",
        fix: "answer the request from a front door or the admin listener, which crates/server \
              serves",
    },
    SourceRule {
        needles: &[
            "client::legacy::",
            "client::conn::",
            "HyperClient",
            "reqwest",
        ],
        only: &[
            "crates/gateway/src/",
            "crates/runtime/src/web.rs",
            "crates/observe/src/otlp.rs",
            "crates/cli/src/cost.rs",
        ],
        rule: "an HTTP client is built only by the gateway (its outbound client), \
               runtime's web.rs, observe's OTLP exporter and `portico cost`",
        fix: "use the gateway's client (`portico_gateway::client`) where it is handed to you, \
              or make the case in ARCHITECTURE.md and add the file to this rule",
    },
    SourceRule {
        needles: &["Command::new", "process::Command", "unistd::fork", "execv"],
        only: &[
            "crates/runtime/src/spawn.rs",
            "crates/build/src/methods.rs",
            "crates/build/src/tools.rs",
            "crates/build/src/interpreter.rs",
        ],
        rule: "functions are started only by crates/runtime/src/spawn.rs, and build tools \
               only by crates/build (methods.rs, tools.rs, interpreter.rs)",
        fix: "start a function through `portico_runtime`, a build tool through `portico_build`",
    },
    SourceRule {
        needles: &[
            "TcpListener",
            "TcpStream",
            "UdpSocket",
            "UnixListener",
            "UnixStream",
            "UnixDatagram",
        ],
        only: &[
            "crates/server/src/",
            "crates/runtime/src/instance.rs",
            "crates/runtime/src/api.rs",
            "crates/runtime/src/web.rs",
            "crates/cli/src/main.rs",
        ],
        rule: "sockets are the listeners' (bound by cli/src/main.rs, served by crates/server), \
               the Runtime API's (runtime's instance.rs and api.rs) and `runtime: web`'s \
               connection (runtime's web.rs)",
        fix: "leave the socket to its owner and hand this code what it reads or writes",
    },
];

#[test]
fn sockets_processes_and_http_stay_where_the_codemap_puts_them() {
    let mut wrong = Vec::new();
    for (path, text) in sources() {
        for rule in SOURCE_RULES {
            let allowed = rule.only.iter().any(|only| match only.strip_suffix('/') {
                Some(folder) => path.starts_with(&format!("{folder}/")),
                None => path == *only,
            });
            if allowed {
                continue;
            }
            for (n, line) in text.lines().enumerate() {
                for needle in rule.needles.iter().filter(|needle| line.contains(**needle)) {
                    wrong.push(format!(
                        "{path}:{}: `{needle}`, but {}: {}",
                        n + 1,
                        rule.rule,
                        rule.fix
                    ));
                }
            }
        }
    }
    assert!(wrong.is_empty(), "\n{}\n", wrong.join("\n"));
}

/// The crates that do no IO, and the modules of `std` that would.
const NO_IO: &[&str] = &["events", "auth", "vtl", "cost"];
const STD_IO: &[&str] = &["fs", "net", "process", "env", "thread", "os"];

/// Each module of `std` that `text` names, with its line: `std::fs::read`, and the modules of
/// a group, `use std::{fs, net::IpAddr}`.
fn std_modules(text: &str) -> Vec<(usize, String)> {
    let mut found = Vec::new();
    for (at, _) in text.match_indices("std::") {
        if text[..at].ends_with(|c: char| c.is_alphanumeric() || c == '_') {
            continue;
        }
        let line = text[..at].matches('\n').count() + 1;
        let rest = &text[at + "std::".len()..];
        let mut items = Vec::new();
        if let Some(group) = rest.strip_prefix('{') {
            let (mut depth, mut start) = (0, 0);
            for (i, c) in group.char_indices() {
                match c {
                    '{' => depth += 1,
                    '}' if depth == 0 => {
                        items.push(&group[start..i]);
                        break;
                    }
                    '}' => depth -= 1,
                    ',' if depth == 0 => {
                        items.push(&group[start..i]);
                        start = i + 1;
                    }
                    _ => {}
                }
            }
        } else {
            items.push(rest);
        }
        for item in items {
            let module = item
                .trim_start()
                .split(|c: char| !(c.is_alphanumeric() || c == '_'))
                .next()
                .unwrap_or("");
            if !module.is_empty() {
                found.push((line, module.to_owned()));
            }
        }
    }
    found
}

#[test]
fn the_crates_without_io_name_no_io_module() {
    assert_eq!(
        std_modules("use std::{\n    fs,\n    io::{self, Write},\n};\nstd::net::IpAddr"),
        [(1, "fs".into()), (1, "io".into()), (5, "net".into())]
    );
    let mut wrong = Vec::new();
    for (path, text) in sources() {
        let name = path.split('/').nth(1).unwrap();
        if !NO_IO.contains(&name) {
            continue;
        }
        for (line, module) in std_modules(&text) {
            if STD_IO.contains(&module.as_str()) {
                wrong.push(format!(
                    "{path}:{line}: `std::{module}`, but events, auth, vtl and cost do no IO \
                     (ARCHITECTURE.md, crates/{name}): take what the IO gives as an argument \
                     and let the caller (gateway, runtime, server or cli) do it"
                ));
            }
        }
    }
    assert!(wrong.is_empty(), "\n{}\n", wrong.join("\n"));
}
