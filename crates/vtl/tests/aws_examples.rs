//! The mapping-template examples of API Gateway's developer guide, kept as data under
//! tests/aws_examples/: each `.vtl-case` file holds a template, the request it sees and the
//! output AWS documents. `expected json` compares parsed JSON (the guide reflows whitespace),
//! `expected text` compares bytes.
//!
//! File format: `# comment` lines, then sections opened by `=== template`, `=== body`,
//! `=== params` (JSON: {"path": {..}, "querystring": {..}, "header": {..}}), `=== context`
//! (JSON) and `=== expected json|text`. A section's text ends at the next `=== ` line; its
//! final newline is not part of it.

use std::collections::BTreeMap;
use std::path::Path;

use portico_vtl::{Input, Limits, Template};

fn sections(text: &str) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let mut current: Option<(String, String)> = None;
    for line in text.split_inclusive('\n') {
        if let Some(name) = line.strip_prefix("=== ") {
            if let Some((n, body)) = current.take() {
                out.insert(n, body);
            }
            current = Some((name.trim().to_string(), String::new()));
        } else if let Some((_, body)) = current.as_mut() {
            body.push_str(line);
        }
    }
    if let Some((n, body)) = current {
        out.insert(n, body);
    }
    for body in out.values_mut() {
        if body.ends_with('\n') {
            body.pop();
        }
    }
    out
}

fn pairs(params: &serde_json::Value, kind: &str) -> Vec<(String, String)> {
    params[kind]
        .as_object()
        .map(|m| {
            m.iter()
                .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_string()))
                .collect()
        })
        .unwrap_or_default()
}

fn run_case(path: &Path) -> Result<(), String> {
    let text = std::fs::read_to_string(path).map_err(|e| e.to_string())?;
    let s = sections(&text);
    let template = s.get("template").ok_or("no template section")?;
    let params: serde_json::Value = match s.get("params") {
        Some(p) => serde_json::from_str(p).map_err(|e| format!("params: {e}"))?,
        None => serde_json::json!({}),
    };
    let context: serde_json::Value = match s.get("context") {
        Some(c) => serde_json::from_str(c).map_err(|e| format!("context: {e}"))?,
        None => serde_json::json!({}),
    };
    let input = Input {
        body: s.get("body").cloned().unwrap_or_default(),
        path: pairs(&params, "path"),
        querystring: pairs(&params, "querystring"),
        header: pairs(&params, "header"),
    };
    let t = Template::parse(template).map_err(|e| format!("parse: {e}"))?;
    let got = t
        .render(&input, &context, &BTreeMap::new(), &Limits::default())
        .map_err(|e| format!("render: {e}"))?;
    if let Some(want) = s.get("expected json") {
        let want: serde_json::Value =
            serde_json::from_str(want).map_err(|e| format!("expected: {e}"))?;
        let got_json: serde_json::Value =
            serde_json::from_str(&got).map_err(|e| format!("output is not JSON ({e}):\n{got}"))?;
        if got_json != want {
            return Err(format!("want {want}\n got {got_json}\n raw output:\n{got}"));
        }
    } else if let Some(want) = s.get("expected text") {
        if &got != want {
            return Err(format!("want {want:?}\n got {got:?}"));
        }
    } else {
        return Err("no expected section".into());
    }
    Ok(())
}

#[test]
fn aws_documented_examples_render_as_documented() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/aws_examples");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .expect("tests/aws_examples exists")
        .map(|e| e.expect("readable entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "vtl-case"))
        .collect();
    files.sort();
    assert!(
        files.len() >= 8,
        "expected the AWS examples, found {}",
        files.len()
    );
    let failures: Vec<String> = files
        .iter()
        .filter_map(|f| run_case(f).err().map(|e| format!("{}: {e}", f.display())))
        .collect();
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}
