//! The AWS SDK that Lambda's managed runtimes ship: boto3 for Python, the SDK for JavaScript
//! v3 (`@aws-sdk/*`) for Node. A function that imports it without bundling it gets it here,
//! installed once per machine into a shared cache by the same builds as a function's own
//! (a generated requirements.txt or package.json), and put after the function's code and
//! layers on its paths, so that a bundled version wins as it does on Lambda.

use std::path::{Path, PathBuf};

use crate::{BuildError, Job, Method, Progress};

/// The SDK a function asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Sdk {
    /// boto3 (and botocore), for a `python*` runtime.
    Python,
    /// These `@aws-sdk/*` packages, for a `nodejs*` runtime (the runtime ships all of them;
    /// Portico installs those the code names).
    Node { packages: Vec<String> },
}

/// At most this many files of a code folder are read to find what it imports.
const MAX_FILES: usize = 5_000;
/// Files larger than this are not read (bundles, data).
const MAX_FILE_BYTES: u64 = 2 * 1024 * 1024;

/// Folders that hold packages, not the function's own code.
const PACKAGE_FOLDERS: &[&str] = &[
    "node_modules",
    "site-packages",
    "__pycache__",
    ".git",
    ".venv",
    "venv",
    ".aws-sam",
    ".portico",
];

/// What SDK the code in `code` imports for `runtime` without bundling it, if any.
pub fn wanted(runtime: &str, code: &Path) -> Option<Sdk> {
    let mut files = Vec::new();
    let extensions: &[&str] = if runtime.starts_with("python") {
        &["py"]
    } else if runtime.starts_with("nodejs") {
        &["js", "mjs", "cjs", "ts"]
    } else {
        return None;
    };
    sources(code, extensions, &mut files);
    if runtime.starts_with("python") {
        if code.join("boto3").is_dir() {
            return None;
        }
        let imports = files.iter().any(|file| {
            read(file).lines().any(|line| {
                let line = line.trim_start();
                [
                    "import boto3",
                    "from boto3",
                    "import botocore",
                    "from botocore",
                ]
                .iter()
                .any(|i| line.starts_with(i))
            })
        });
        return imports.then_some(Sdk::Python);
    }
    let mut packages: Vec<String> = files
        .iter()
        .flat_map(|file| node_packages(&read(file)))
        .filter(|package| !code.join("node_modules").join(package).is_dir())
        .collect();
    packages.sort();
    packages.dedup();
    (!packages.is_empty()).then_some(Sdk::Node { packages })
}

/// The `@aws-sdk/<name>` packages `source` names in quotes (imports, requires).
fn node_packages(source: &str) -> Vec<String> {
    let mut found = Vec::new();
    for quote in ['"', '\'', '`'] {
        let opening = format!("{quote}@aws-sdk/");
        let mut rest = source;
        while let Some(at) = rest.find(&opening) {
            let name: String = rest[at + opening.len()..]
                .chars()
                .take_while(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '-')
                .collect();
            if !name.is_empty() {
                found.push(format!("@aws-sdk/{name}"));
            }
            rest = &rest[at + opening.len()..];
        }
    }
    found
}

fn read(file: &Path) -> String {
    std::fs::read(file)
        .map(|bytes| String::from_utf8_lossy(&bytes).into_owned())
        .unwrap_or_default()
}

/// The function's own source files under `dir` (not its packages), up to [`MAX_FILES`].
fn sources(dir: &Path, extensions: &[&str], out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        if out.len() >= MAX_FILES {
            return;
        }
        let path = entry.path();
        let Ok(kind) = entry.file_type() else {
            continue;
        };
        let name = entry.file_name();
        if kind.is_dir() {
            if !PACKAGE_FOLDERS.iter().any(|p| name == *p) {
                sources(&path, extensions, out);
            }
        } else if kind.is_file()
            && path
                .extension()
                .is_some_and(|e| extensions.iter().any(|x| e == *x))
            && entry.metadata().is_ok_and(|m| m.len() <= MAX_FILE_BYTES)
        {
            out.push(path);
        }
    }
}

/// Installs `sdk` for `runtime` into `cache` (once: later calls reuse it) and returns the
/// folder to add to the function's paths: its packages are at the top of it (Python) or in
/// its `node_modules/` (Node).
pub fn install(
    runtime: &str,
    sdk: &Sdk,
    cache: &Path,
    progress: &dyn Progress,
) -> Result<PathBuf, BuildError> {
    let (name, manifest, text, method) = match sdk {
        Sdk::Python => (
            format!("aws-sdk-{}", runtime.replace('.', "")),
            "requirements.txt",
            "boto3\n".to_string(),
            Method::Pip,
        ),
        Sdk::Node { packages } => {
            let dependencies: serde_json::Map<String, serde_json::Value> = packages
                .iter()
                .map(|p| (p.clone(), serde_json::Value::String("^3".into())))
                .collect();
            let package = serde_json::json!({
                "name": "portico-aws-sdk",
                "private": true,
                "dependencies": dependencies,
            });
            // One folder per set of packages, so that two sets do not evict each other.
            let digest = crate::source::digest(package.to_string().as_bytes());
            (
                format!("aws-sdk-{}-{}", runtime.replace('.', ""), &digest[..12]),
                "package.json",
                package.to_string(),
                Method::Npm,
            )
        }
    };
    let source = cache.join("sources").join(&name);
    let file = source.join(manifest);
    let current = std::fs::read_to_string(&file).is_ok_and(|old| old == text);
    if !current {
        std::fs::create_dir_all(&source)
            .and_then(|()| std::fs::write(&file, &text))
            .map_err(|e| BuildError::Io {
                function: name.clone(),
                action: "write",
                path: file.clone(),
                source: e,
            })?;
    }
    let job = Job {
        function: &name,
        code: &source,
        runtime,
        method,
    };
    crate::build(&job, &cache.join("builds"), progress)
}

/// Where a layer's packages come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Registry {
    /// PyPI, installed with pip: the layer's `python/`.
    Pypi,
    /// npm: the layer's `nodejs/node_modules/`.
    Npm,
}

/// A layer made of registry packages (`aws-lambda-powertools`, `@aws-lambda-powertools/logger`),
/// as a public layer built from them would be: installed once per machine into `cache` and
/// laid out as Lambda extracts a layer (`python/`, or `nodejs/node_modules/`). Returns the
/// layer's folder.
pub fn install_layer(
    runtime: &str,
    registry: Registry,
    packages: &[String],
    cache: &Path,
    progress: &dyn Progress,
) -> Result<PathBuf, BuildError> {
    let mut packages = packages.to_vec();
    packages.sort();
    let (manifest, text, method, inside) = match registry {
        Registry::Pypi => (
            "requirements.txt",
            packages
                .iter()
                .map(|p| format!("{p}\n"))
                .collect::<String>(),
            Method::Pip,
            "python",
        ),
        Registry::Npm => {
            let dependencies: serde_json::Map<String, serde_json::Value> = packages
                .iter()
                .map(
                    |p| match p.rsplit_once('@').filter(|(name, _)| !name.is_empty()) {
                        Some((name, version)) => (name.to_string(), version.into()),
                        None => (p.clone(), "*".into()),
                    },
                )
                .collect();
            let package = serde_json::json!({"name": "portico-layer", "private": true, "dependencies": dependencies});
            ("package.json", package.to_string(), Method::Npm, "nodejs")
        }
    };
    let digest = crate::source::digest(format!("{runtime}\n{text}").as_bytes());
    let name = format!("layer-{}", &digest[..16]);
    let io = |action: &'static str, path: &Path, e: std::io::Error| BuildError::Io {
        function: name.clone(),
        action,
        path: path.to_path_buf(),
        source: e,
    };
    let source = cache.join("sources").join(&name);
    let file = source.join(manifest);
    if !std::fs::read_to_string(&file).is_ok_and(|old| old == text) {
        std::fs::create_dir_all(&source).map_err(|e| io("create", &source, e))?;
        std::fs::write(&file, &text).map_err(|e| io("write", &file, e))?;
    }
    let job = Job {
        function: &name,
        code: &source,
        runtime,
        method,
    };
    let built = crate::build(&job, &cache.join("builds"), progress)?;
    // The layer: `python` (the packages pip installed) or `nodejs/node_modules`, linked to
    // the build, so that Portico's layer paths find them as Lambda's do under /opt.
    let layer = cache.join("layers").join(&name);
    let (link, target) = match registry {
        Registry::Pypi => (layer.join(inside), built.clone()),
        Registry::Npm => (
            layer.join(inside).join("node_modules"),
            built.join("node_modules"),
        ),
    };
    if std::fs::read_link(&link).ok().as_deref() != Some(target.as_path()) {
        if let Some(parent) = link.parent() {
            std::fs::create_dir_all(parent).map_err(|e| io("create", parent, e))?;
        }
        let _ = std::fs::remove_file(&link);
        std::os::unix::fs::symlink(&target, &link).map_err(|e| io("link", &link, e))?;
    }
    Ok(layer)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn folder(files: &[(&str, &str)]) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        for (name, text) in files {
            let path = dir.path().join(name);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, text).unwrap();
        }
        dir
    }

    #[test]
    fn python_code_that_imports_boto3_wants_it_unless_it_bundles_it() {
        let uses = folder(&[("app.py", "import json\nimport boto3\n"), ("lib/x.py", "")]);
        assert_eq!(wanted("python3.12", uses.path()), Some(Sdk::Python));
        let nested = folder(&[(
            "pkg/db.py",
            "    from botocore.exceptions import ClientError\n",
        )]);
        assert_eq!(wanted("python3.12", nested.path()), Some(Sdk::Python));
        let bundled = folder(&[("app.py", "import boto3\n"), ("boto3/__init__.py", "")]);
        assert_eq!(wanted("python3.12", bundled.path()), None);
        let none = folder(&[("app.py", "import json  # not boto3\n")]);
        assert_eq!(wanted("python3.12", none.path()), None);
        // A package's own imports are not the function's.
        let vendored = folder(&[("app.py", ""), ("site-packages/x.py", "import boto3\n")]);
        assert_eq!(wanted("python3.12", vendored.path()), None);
    }

    #[test]
    fn node_code_wants_the_sdk_packages_it_names() {
        let uses = folder(&[
            (
                "index.mjs",
                "import { DynamoDBClient } from \"@aws-sdk/client-dynamodb\";\nimport { marshall } from '@aws-sdk/util-dynamodb';\n",
            ),
            (
                "lib/s3.js",
                "const { S3Client } = require('@aws-sdk/client-s3');\nconst again = require(\"@aws-sdk/client-dynamodb\");\n",
            ),
            ("node_modules/x/index.js", "require('@aws-sdk/client-sqs')"),
        ]);
        assert_eq!(
            wanted("nodejs20.x", uses.path()),
            Some(Sdk::Node {
                packages: vec![
                    "@aws-sdk/client-dynamodb".into(),
                    "@aws-sdk/client-s3".into(),
                    "@aws-sdk/util-dynamodb".into()
                ]
            })
        );
        let bundled = folder(&[
            ("index.js", "require('@aws-sdk/client-s3')"),
            ("node_modules/@aws-sdk/client-s3/package.json", "{}"),
        ]);
        assert_eq!(wanted("nodejs20.x", bundled.path()), None);
        assert_eq!(wanted("provided.al2023", uses.path()), None);
    }
}
