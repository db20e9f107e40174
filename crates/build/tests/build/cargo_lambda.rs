//! The cargo-lambda method: a Rust binary crate built with `cargo build --release`, its
//! binary copied as `bootstrap`.

use std::process::Command;

use portico_build::{BuildError, Method};

use crate::{Fixture, MARKER, require};

fn crate_with(fx: &Fixture, name: &str, bins: &[&str]) {
    let mut manifest = format!(
        "[package]\nname = \"{name}\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n[workspace]\n"
    );
    for bin in bins {
        manifest.push_str(&format!(
            "\n[[bin]]\nname = \"{bin}\"\npath = \"src/{bin}.rs\"\n"
        ));
        fx.write(
            &format!("src/{bin}.rs"),
            &format!("fn main() {{\n    println!(\"hello from {bin}\");\n}}\n"),
        );
    }
    fx.write("Cargo.toml", &manifest);
}

#[test]
fn the_crates_binary_becomes_bootstrap() {
    require(
        "cargo",
        &["--version"],
        "install a Rust toolchain (https://rustup.rs)",
    );
    let fx = Fixture::new();
    fx.write("Cargo.toml", "[package]\nname = \"portico-build-test-hello\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n[workspace]\n");
    fx.write(
        "src/main.rs",
        "fn main() {\n    println!(\"hello from bootstrap\");\n}\n",
    );

    let (built, steps) = fx.build(
        "Hello",
        "provided.al2023",
        Method::CargoLambda { binary: None },
    );
    let built = built.unwrap();
    assert!(
        steps.any("building with cargo build --release --bin portico-build-test-hello"),
        "{:?}",
        steps.all()
    );
    let ran = Command::new(built.join("bootstrap")).output().unwrap();
    assert_eq!(
        String::from_utf8_lossy(&ran.stdout),
        "hello from bootstrap\n"
    );
    assert!(built.join(MARKER).is_file());
    assert!(!built.join("src").exists(), "only the binary");

    // cargo's own output (target/, when it is in the crate) is not the crate's code.
    let (again, steps) = fx.build(
        "Hello",
        "provided.al2023",
        Method::CargoLambda { binary: None },
    );
    assert_eq!(again.unwrap(), built);
    assert!(steps.any("reusing the build of"), "{:?}", steps.all());
}

#[test]
fn the_named_binary_of_several_is_built() {
    require(
        "cargo",
        &["--version"],
        "install a Rust toolchain (https://rustup.rs)",
    );
    let fx = Fixture::new();
    crate_with(
        &fx,
        "portico-build-test-two",
        &["portico-build-test-one", "portico-build-test-other"],
    );

    let (built, _) = fx.build(
        "Two",
        "provided.al2023",
        Method::CargoLambda { binary: None },
    );
    let error = built.unwrap_err();
    assert!(matches!(error, BuildError::Code { .. }), "{error}");
    let text = error.to_string();
    assert!(text.contains("several binaries"), "{text}");
    assert!(
        text.contains("portico-build-test-one, portico-build-test-other"),
        "{text}"
    );

    let method = Method::CargoLambda {
        binary: Some("portico-build-test-other".into()),
    };
    let (built, _) = fx.build("Two", "provided.al2023", method);
    let ran = Command::new(built.unwrap().join("bootstrap"))
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&ran.stdout),
        "hello from portico-build-test-other\n"
    );
}

#[test]
fn a_crate_that_does_not_compile_fails_with_cargos_message() {
    require(
        "cargo",
        &["--version"],
        "install a Rust toolchain (https://rustup.rs)",
    );
    let fx = Fixture::new();
    fx.write("Cargo.toml", "[package]\nname = \"portico-build-test-broken\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n[workspace]\n");
    fx.write(
        "src/main.rs",
        "fn main() {\n    let x: u32 = \"not a number\";\n}\n",
    );
    let (built, _) = fx.build(
        "Broken",
        "provided.al2023",
        Method::CargoLambda { binary: None },
    );
    let error = built.unwrap_err();
    let BuildError::Failed { stderr, fix, .. } = &error else {
        panic!("{error}");
    };
    assert!(
        stderr.contains("mismatched types") || stderr.contains("E0308"),
        "{stderr}"
    );
    assert!(fix.contains("cargo build --release"), "{fix}");
    assert!(fx.cached().is_empty(), "{:?}", fx.cached());
}
