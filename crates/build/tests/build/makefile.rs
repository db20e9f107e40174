//! The Makefile method (SAM's `build-<function>` targets with `ARTIFACTS_DIR`), and what the
//! cache does around any build: interrupted builds redone, concurrent builds kept whole.

use std::path::Path;

use portico_build::{BuildError, Method};

use crate::{Fixture, MARKER, Steps, require};

const MAKEFILE: &str = "build-Hello:\n\tcp hello.txt \"$(ARTIFACTS_DIR)/hello.txt\"\n";

fn hello() -> Fixture {
    require(
        "make",
        &["--version"],
        "install make (apt-get install make)",
    );
    let fx = Fixture::new();
    fx.write("Makefile", MAKEFILE);
    fx.write("hello.txt", "hello from make\n");
    fx
}

#[test]
fn the_functions_target_fills_the_artifacts_dir() {
    let fx = hello();
    let (built, steps) = fx.build("Hello", "provided.al2023", Method::Makefile);
    let built = built.unwrap();
    assert!(steps.any("running make build-Hello"), "{:?}", steps.all());
    assert_eq!(
        std::fs::read_to_string(built.join("hello.txt")).unwrap(),
        "hello from make\n"
    );
    assert!(built.join(MARKER).is_file());
    assert!(
        !built.join("Makefile").exists(),
        "only what the target put there"
    );
    let name = built.file_name().unwrap().to_string_lossy().into_owned();
    assert_eq!(fx.cached(), [name], "no temporary folder is left");
}

#[test]
fn a_makefile_without_the_target_says_to_add_it() {
    let fx = hello();
    let (built, _) = fx.build("Other", "provided.al2023", Method::Makefile);
    let error = built.unwrap_err();
    let BuildError::Failed { fix, stderr, .. } = &error else {
        panic!("{error}");
    };
    assert!(stderr.contains("build-Other"), "{stderr}");
    assert!(fix.contains("add a `build-Other:` target"), "{fix}");
}

#[test]
fn a_folder_without_the_code_is_an_error() {
    let fx = hello();
    std::fs::remove_dir_all(fx.code()).unwrap();
    let (built, _) = fx.build("Hello", "provided.al2023", Method::Makefile);
    let error = built.unwrap_err();
    assert!(matches!(error, BuildError::Code { .. }), "{error}");
    assert!(error.to_string().contains("does not exist"), "{error}");
}

#[test]
fn an_interrupted_build_is_redone() {
    let fx = hello();
    let (built, _) = fx.build("Hello", "provided.al2023", Method::Makefile);
    let built = built.unwrap();
    // What a build killed half way leaves: the folder without its marker.
    std::fs::remove_file(built.join(MARKER)).unwrap();
    std::fs::remove_file(built.join("hello.txt")).unwrap();
    std::fs::write(built.join("half-written"), "").unwrap();

    let (again, steps) = fx.build("Hello", "provided.al2023", Method::Makefile);
    assert_eq!(again.unwrap(), built);
    assert!(
        steps.any("removing the unfinished build of"),
        "{:?}",
        steps.all()
    );
    assert!(steps.any("running make build-Hello"), "{:?}", steps.all());
    assert!(built.join(MARKER).is_file());
    assert!(built.join("hello.txt").is_file());
    assert!(!built.join("half-written").exists());
}

#[test]
fn two_builds_at_once_leave_one_whole_build() {
    let fx = hello();
    // Each build's make waits at this gate until both are inside it, so both really build at
    // once and both try to move their result into place.
    let gate = fx.dir.path().join("gate");
    std::fs::create_dir(&gate).unwrap();
    let makefile = format!(
        "build-Hello:\n\
         \ttouch \"{gate}/build$$(basename \"$$ARTIFACTS_DIR\")\"\n\
         \ti=0; while set -- \"{gate}\"/*; [ $$# -lt 2 ] && [ $$i -lt 3000000 ]; do i=$$((i+1)); done; [ $$# -ge 2 ]\n\
         \tcp hello.txt \"$(ARTIFACTS_DIR)/hello.txt\"\n",
        gate = gate.display()
    );
    fx.write("Makefile", &makefile);

    let build = || {
        let steps = Steps::default();
        let code = fx.code();
        let job = portico_build::Job {
            function: "Hello",
            code: &code,
            runtime: "provided.al2023",
            method: Method::Makefile,
        };
        let built = portico_build::build(&job, &fx.cache(), &steps).unwrap();
        (built, steps)
    };
    let ((a, a_steps), (b, b_steps)) = std::thread::scope(|s| {
        let a = s.spawn(build);
        let b = s.spawn(build);
        (a.join().unwrap(), b.join().unwrap())
    });
    assert_eq!(a, b);
    assert_eq!(
        std::fs::read_dir(&gate).unwrap().count(),
        2,
        "both ran make"
    );
    let lost = [a_steps, b_steps]
        .iter()
        .filter(|s| s.any("another build of the same code finished first"))
        .count();
    assert_eq!(lost, 1, "one build kept the other's");
    assert!(a.join(MARKER).is_file());
    assert!(a.join("hello.txt").is_file());
    let name = a.file_name().unwrap().to_string_lossy().into_owned();
    assert_eq!(fx.cached(), [name], "the losing build's folder is gone");
    assert!(Path::new(&a).starts_with(fx.cache()));
}
