//! Differential test against the real engine: every template of tests/harness/corpus.vtl is
//! rendered by Apache Velocity 1.7 (Debian's `velocity` package, with `libjsonpath-java` for
//! Jayway JsonPath and json-smart) through our Java harness, tests/harness/VtlHarness.java,
//! and by this crate; the outputs must be identical.
//!
//! Needs a JDK and those packages; scripts/test installs them. Without them this test fails
//! and says what is missing: it does not skip.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

mod common;

use common::Rng;
use portico_vtl::{Input, Limits, Template};

const JARS: &[&str] = &[
    "velocity.jar",
    "commons-collections3.jar",
    "commons-lang.jar",
    "json-path.jar",
    "json-smart.jar",
    "accessors-smart.jar",
    "asm.jar",
    "slf4j-api.jar",
    "slf4j-nop.jar",
];

fn java_dir() -> PathBuf {
    std::env::var_os("PORTICO_JAVA_JARS")
        .map_or_else(|| PathBuf::from("/usr/share/java"), PathBuf::from)
}

/// Cases of the corpus: `--- name` then the template up to the next such line.
fn corpus(text: &str) -> Vec<(String, String)> {
    let mut cases: Vec<(String, String)> = Vec::new();
    for line in text.split('\n') {
        if let Some(name) = line.strip_prefix("--- ") {
            cases.push((name.trim().to_string(), String::new()));
        } else if let Some((_, t)) = cases.last_mut() {
            t.push_str(line);
            t.push('\n');
        }
    }
    for (_, t) in &mut cases {
        t.pop();
    }
    cases
}

/// The harness's output: `--- name BYTES\n` + BYTES bytes + `\n`, per case.
fn harness_output(mut out: &[u8]) -> Vec<(String, String)> {
    let mut results = Vec::new();
    while !out.is_empty() {
        let nl = out.iter().position(|b| *b == b'\n').expect("header line");
        let header = std::str::from_utf8(&out[..nl]).expect("utf-8 header");
        let header = header.strip_prefix("--- ").expect("--- header");
        let (name, len) = header.rsplit_once(' ').expect("name and length");
        let len: usize = len.parse().expect("length");
        let body = &out[nl + 1..nl + 1 + len];
        results.push((
            name.to_string(),
            String::from_utf8(body.to_vec()).expect("utf-8 output"),
        ));
        out = &out[nl + 1 + len + 1..];
    }
    results
}

fn ours(template: &str, body: &str) -> String {
    let input = Input {
        body: body.to_string(),
        path: vec![("id".into(), "abc".into())],
        querystring: vec![
            ("q".into(), "x y".into()),
            ("id".into(), "from-query".into()),
        ],
        header: vec![("X-Trace".into(), "t-1".into())],
    };
    let context = serde_json::json!({"stage": "prod", "identity": {"sourceIp": "192.0.2.1"}});
    let velocity = Limits {
        null_renders_empty: false,
        ..Limits::default()
    };
    let mut stage = BTreeMap::new();
    stage.insert("env".to_string(), "test".to_string());
    match Template::parse(template) {
        Err(e) => format!("ERROR parse: {e}"),
        // Apache Velocity's own rendering of null references, which API Gateway changes.
        Ok(t) => match t.render(&input, &context, &stage, &velocity) {
            Ok(s) => s,
            Err(e) => format!("ERROR render: {e}"),
        },
    }
}

/// Renders `corpus_text` with Velocity 1.7 through the harness and with this crate; the
/// cases that differ, described.
fn differences(corpus_text: &str) -> (usize, usize, Vec<String>) {
    let jars = java_dir();
    let missing: Vec<&str> = JARS
        .iter()
        .copied()
        .filter(|j| !jars.join(j).exists())
        .collect();
    assert!(
        missing.is_empty(),
        "missing {missing:?} in {}: run scripts/test, which installs velocity and libjsonpath-java",
        jars.display()
    );
    for tool in ["java", "javac"] {
        assert!(
            Command::new(tool).arg("-version").output().is_ok(),
            "{tool} not found: run scripts/test, which installs a JDK"
        );
    }
    let here = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/harness");
    let work = tempfile::tempdir().expect("temp dir");
    let corpus_file = work.path().join("corpus.vtl");
    std::fs::write(&corpus_file, corpus_text).expect("corpus file");
    let classpath = JARS
        .iter()
        .map(|j| jars.join(j).display().to_string())
        .collect::<Vec<_>>()
        .join(":");
    let javac = Command::new("javac")
        .args(["-nowarn", "-encoding", "UTF-8", "-cp", &classpath, "-d"])
        .arg(work.path())
        .arg(here.join("VtlHarness.java"))
        .output()
        .expect("run javac");
    assert!(
        javac.status.success(),
        "javac failed:\n{}",
        String::from_utf8_lossy(&javac.stderr)
    );
    let run = Command::new("java")
        .arg("-cp")
        .arg(format!("{}:{classpath}", work.path().display()))
        .arg("VtlHarness")
        .arg(&corpus_file)
        .arg(here.join("body.json"))
        .output()
        .expect("run java");
    assert!(
        run.status.success(),
        "harness failed:\n{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let body = std::fs::read_to_string(here.join("body.json")).expect("body");
    let cases = corpus(corpus_text);
    let theirs = harness_output(&run.stdout);
    assert_eq!(cases.len(), theirs.len(), "harness rendered every case");
    let mut diffs = Vec::new();
    let errors = theirs
        .iter()
        .filter(|(_, want)| want.starts_with("ERROR"))
        .count();
    for ((name, template), (their_name, want)) in cases.iter().zip(&theirs) {
        assert_eq!(name, their_name);
        let got = ours(template, &body);
        let same = if want.starts_with("ERROR") {
            got.starts_with("ERROR")
        } else {
            &got == want
        };
        if !same {
            diffs.push(format!(
                "{name}:\n  template {template:?}\n  velocity {want:?}\n  ours     {got:?}"
            ));
        }
    }
    (cases.len(), errors, diffs)
}

#[test]
fn renders_as_velocity_1_7_does() {
    let here = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/harness");
    let corpus_text = std::fs::read_to_string(here.join("corpus.vtl")).expect("corpus");
    let (cases, _, diffs) = differences(&corpus_text);
    assert!(cases >= 60, "the corpus is the test: {cases} cases");
    assert!(
        diffs.is_empty(),
        "{} of {cases} cases differ from Velocity 1.7:\n{}",
        diffs.len(),
        diffs.join("\n")
    );
}

/// One generated template: assignments, arithmetic, string and list methods, conditions and
/// loops over the sample body, the kinds of statement mapping templates are made of.
fn generated(rng: &mut Rng) -> String {
    let mut t = String::new();
    for _ in 0..(2 + rng.next() % 5) {
        let piece = match rng.next() % 9 {
            0 => format!(
                "#set($a = {} {} {})$a ",
                rng.int(),
                rng.pick(&["+", "-", "*", "/", "%"]),
                rng.int()
            ),
            1 => format!(
                "#set($s = \"{}\")$s.{} ",
                rng.pick(&["Ann", "hello world", "a,b,,c", "Ünï"]),
                rng.pick(&[
                    "toUpperCase()",
                    "length()",
                    "trim()",
                    "indexOf('l')",
                    "replace('l', 'L')",
                    "contains('o')",
                    "startsWith('h')",
                    "isEmpty()",
                    "split(',').size()"
                ])
            ),
            2 => format!(
                "#if({} {} {})yes#{{else}}no#end ",
                rng.int(),
                rng.pick(&["==", "!=", "<", ">=", "&&", "||"])
                    .replace("&&", "<")
                    .replace("||", ">"),
                rng.int()
            ),
            3 => format!(
                "#foreach($i in [{}..{}])$i#if($foreach.hasNext),#end#end ",
                rng.int() % 5,
                rng.int() % 5
            ),
            4 => format!(
                "$input.path('$.{}') ",
                rng.pick(&[
                    "name",
                    "n",
                    "price",
                    "items[0].tag",
                    "nested.k",
                    "nested.list",
                    "flag"
                ])
            ),
            5 => format!(
                "$input.json('$.{}') ",
                rng.pick(&["name", "n", "items", "nested", "s", "nested.deep"])
            ),
            6 => format!(
                "#set($m = {{\"k\": {}, \"j\": \"{}\"}})$m.k $m.size() ",
                rng.int(),
                rng.pick(&["x", "y z"])
            ),
            7 => "#foreach($item in $input.path('$.items'))$item.id:$item.tag$velocityCount #end"
                .to_string(),
            _ => format!(
                "$util.{}('{}') ",
                rng.pick(&["escapeJavaScript", "urlEncode", "base64Encode"]),
                rng.pick(&["it's", "a b&c", "é/x", "\\\"q\\\""])
            ),
        };
        t.push_str(&piece);
    }
    t
}

#[test]
fn generated_templates_render_as_velocity_1_7_does() {
    let mut rng = Rng(0x2545_f491_4f6c_dd1d);
    let mut corpus_text = String::new();
    for i in 0..300 {
        corpus_text.push_str(&format!("--- generated_{i}\n{}\n", generated(&mut rng)));
    }
    corpus_text.pop();
    let (cases, errors, diffs) = differences(&corpus_text);
    assert_eq!(cases, 300);
    // Mostly templates that render: errors on both sides would agree without saying much.
    assert!(
        errors < 30,
        "{errors} of {cases} generated cases are errors in Velocity"
    );
    assert!(
        diffs.is_empty(),
        "{} of {cases} generated cases differ from Velocity 1.7:\n{}",
        diffs.len(),
        diffs.join("\n")
    );
}
