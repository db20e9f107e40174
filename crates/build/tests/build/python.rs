//! The pip method: requirements installed with the runtime's Python, the build reused while
//! nothing changes, redone (and the old one removed) when the code changes.

use std::time::Instant;

use portico_build::{BuildError, Method};

use crate::{Fixture, MARKER, hash_of, require};

fn require_pip() {
    require(
        "python3",
        &["-m", "pip", "--version"],
        "install Python 3 with pip (apt-get install python3 python3-pip)",
    );
}

#[test]
fn requirements_are_installed_then_the_build_is_reused_until_the_code_changes() {
    require_pip();
    let fx = Fixture::new();
    fx.write(
        "app.py",
        "import six\n\ndef handler(event, context):\n    return six.PY3\n",
    );
    fx.write("requirements.txt", "six==1.16.0\n");

    let started = Instant::now();
    let (built, steps) = fx.build("Hello", "python3.12", Method::Pip);
    let cold = started.elapsed();
    let first = built.unwrap();
    assert!(
        // With the function's own interpreter, by its real executable.
        steps.any("installing requirements.txt with ") && steps.any("python3"),
        "{:?}",
        steps.all()
    );
    assert!(steps.any("built in "), "{:?}", steps.all());
    assert!(
        first.join("six.py").is_file(),
        "six is installed beside the code"
    );
    assert!(first.join("app.py").is_file());
    assert!(first.starts_with(fx.cache()));
    let marker = std::fs::metadata(first.join(MARKER))
        .unwrap()
        .modified()
        .unwrap();
    let folder = std::fs::metadata(&first).unwrap().modified().unwrap();

    let started = Instant::now();
    let (again, steps) = fx.build("Hello", "python3.12", Method::Pip);
    let cached = started.elapsed();
    assert_eq!(again.unwrap(), first);
    let hash = hash_of(&first);
    assert_eq!(
        steps.all().last().unwrap(),
        &format!("Hello: reusing the build of {}", &hash[..12])
    );
    assert!(!steps.any("installing"), "{:?}", steps.all());
    assert_eq!(
        std::fs::metadata(first.join(MARKER))
            .unwrap()
            .modified()
            .unwrap(),
        marker
    );
    assert_eq!(
        std::fs::metadata(&first).unwrap().modified().unwrap(),
        folder
    );
    eprintln!("python function: cold build {cold:.2?}, cached build {cached:.2?}");

    // Bytecode and caches are not code: no new build for them.
    fx.write("__pycache__/app.cpython-312.pyc", "bytecode");
    let (again, _) = fx.build("Hello", "python3.12", Method::Pip);
    assert_eq!(again.unwrap(), first);

    fx.write("app.py", "def handler(event, context):\n    return 2\n");
    let (changed, steps) = fx.build("Hello", "python3.12", Method::Pip);
    let second = changed.unwrap();
    assert_ne!(second, first);
    assert!(
        steps.any("installing requirements.txt"),
        "{:?}",
        steps.all()
    );
    assert!(!first.exists(), "the older build is removed");
    assert!(second.join("six.py").is_file());
    assert_eq!(
        std::fs::read_to_string(second.join("app.py")).unwrap(),
        "def handler(event, context):\n    return 2\n"
    );
    let name = second.file_name().unwrap().to_string_lossy().into_owned();
    assert_eq!(fx.cached(), [name], "nothing else is left in the cache");
}

#[test]
fn a_function_without_requirements_is_its_code() {
    require_pip();
    let fx = Fixture::new();
    fx.write("app.py", "def handler(event, context):\n    return 1\n");
    let (built, steps) = fx.build("Plain", "python3.12", Method::Pip);
    let built = built.unwrap();
    assert!(steps.any("no requirements.txt"), "{:?}", steps.all());
    assert!(built.join("app.py").is_file());
    assert!(built.join(MARKER).is_file());

    // One with nothing but comments (as `sam init` ships) is not handed to pip either.
    fx.write(
        "requirements.txt",
        "# the standard library is enough

",
    );
    let (built, steps) = fx.build("Plain", "python3.12", Method::Pip);
    assert!(built.unwrap().join(MARKER).is_file());
    assert!(
        steps.any("requirements.txt names nothing"),
        "{:?}",
        steps.all()
    );
    assert!(!steps.any("installing"), "{:?}", steps.all());
}

#[test]
fn a_requirement_that_does_not_exist_fails_with_pips_message() {
    require_pip();
    let fx = Fixture::new();
    fx.write("app.py", "def handler(event, context):\n    return 1\n");
    fx.write("requirements.txt", "portico-no-such-package-xyz==1.0\n");
    let (built, _) = fx.build("Broken", "python3.12", Method::Pip);
    let error = built.unwrap_err();
    let text = error.to_string();
    let BuildError::Failed {
        command,
        status,
        stderr,
        fix,
        ..
    } = &error
    else {
        panic!("not a tool failure: {text}");
    };
    assert!(
        command.contains(" -m pip install -r requirements.txt"),
        "{command}"
    );
    assert!(!status.success());
    assert!(stderr.contains("portico-no-such-package-xyz"), "{stderr}");
    assert!(stderr.lines().count() <= 20);
    assert!(fix.contains("fix requirements.txt"), "{fix}");
    assert!(
        text.starts_with("Broken: `") && text.contains("python3"),
        "{text}"
    );
    assert!(text.contains("exit status: 1"), "{text}");
    assert!(text.contains("portico-no-such-package-xyz"), "{text}");
    assert!(
        fx.cached().is_empty(),
        "a failed build leaves nothing: {:?}",
        fx.cached()
    );
}
