//! The npm method: production dependencies installed into a copy of the code, with `npm
//! install` without a lock file and `npm ci` with one.

use std::process::{Command, Stdio};

use portico_build::Method;

use crate::{Fixture, MARKER, require};

const PACKAGE: &str = r#"{
  "name": "hello",
  "version": "1.0.0",
  "private": true,
  "dependencies": {"is-number": "7.0.0"},
  "devDependencies": {"isarray": "2.0.5"}
}
"#;

fn version_of(package_json: &std::path::Path) -> String {
    let text = std::fs::read_to_string(package_json).unwrap();
    let json: serde_json::Value = serde_json::from_str(&text).unwrap();
    json["version"].as_str().unwrap().to_string()
}

#[test]
fn dependencies_are_installed_with_npm_install_then_npm_ci() {
    require(
        "npm",
        &["--version"],
        "install Node.js and npm (apt-get install nodejs npm)",
    );
    let fx = Fixture::new();
    fx.write("index.mjs", "export const handler = async () => 'hi';\n");
    fx.write("package.json", PACKAGE);
    fx.write("node_modules/stale/index.js", "left from a local install");

    let (built, steps) = fx.build("Hello", "nodejs20.x", Method::Npm);
    let first = built.unwrap();
    assert!(
        steps.any("installing package.json dependencies with npm install"),
        "{:?}",
        steps.all()
    );
    assert_eq!(
        version_of(&first.join("node_modules/is-number/package.json")),
        "7.0.0"
    );
    assert!(
        !first.join("node_modules/isarray").exists(),
        "no dev dependencies"
    );
    assert!(
        !first.join("node_modules/stale").exists(),
        "node_modules is not copied"
    );
    assert!(first.join("index.mjs").is_file());
    assert!(first.join(MARKER).is_file());

    let locked = Command::new("npm")
        .args(["install", "--package-lock-only", "--no-audit", "--no-fund"])
        .current_dir(fx.code())
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(
        locked.status.success(),
        "{}",
        String::from_utf8_lossy(&locked.stderr)
    );
    assert!(fx.code().join("package-lock.json").is_file());

    let (built, steps) = fx.build("Hello", "nodejs20.x", Method::Npm);
    let second = built.unwrap();
    assert_ne!(second, first, "a new lock file is a new build");
    assert!(
        steps.any("installing package.json dependencies with npm ci"),
        "{:?}",
        steps.all()
    );
    assert_eq!(
        version_of(&second.join("node_modules/is-number/package.json")),
        "7.0.0"
    );
    assert!(!first.exists());
}

#[test]
fn a_dependency_that_does_not_exist_fails_with_npms_message() {
    require(
        "npm",
        &["--version"],
        "install Node.js and npm (apt-get install nodejs npm)",
    );
    let fx = Fixture::new();
    fx.write("index.mjs", "export const handler = async () => 'hi';\n");
    fx.write(
        "package.json",
        r#"{"name": "broken", "version": "1.0.0", "dependencies": {"portico-no-such-package-xyz": "1.0.0"}}"#,
    );
    let (built, _) = fx.build("Broken", "nodejs20.x", Method::Npm);
    let text = built.unwrap_err().to_string();
    assert!(
        text.starts_with("Broken: `npm install --omit=dev"),
        "{text}"
    );
    assert!(text.contains("portico-no-such-package-xyz"), "{text}");
    assert!(text.contains("fix package.json"), "{text}");
    assert!(fx.cached().is_empty(), "{:?}", fx.cached());
}
