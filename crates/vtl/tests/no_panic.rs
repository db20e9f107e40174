//! Garbled templates: parse and render must return (an error or an output), never panic or
//! run away. A fixed-seed generator splices template fragments and random characters.

use std::collections::BTreeMap;

mod common;

use common::Rng;
use portico_vtl::{Input, Limits, Template};

const FRAGMENTS: &[&str] = &[
    "#set($a = ",
    "#if(",
    "#elseif(",
    "#else",
    "#end",
    "#foreach($i in ",
    "#break",
    "#stop",
    ")",
    "(",
    "$a",
    "$!a",
    "${a}",
    "$a.b",
    "$a.b()",
    "$a[0]",
    "$a.size()",
    "$input.path('$.x')",
    "$input.json('$')",
    "$input.params()",
    "$util.escapeJavaScript($a)",
    "$util.parseJson('",
    "[1..3]",
    "[",
    "]",
    "{",
    "}",
    "'s'",
    "\"i $a\"",
    "\"",
    "'",
    "1",
    "-2",
    "3.5",
    "/",
    "%",
    "+",
    "==",
    "&&",
    "!",
    "\\",
    "\\$a",
    "\\#end",
    "##c\n",
    "#*",
    "*#",
    "#[[",
    "]]#",
    "\n",
    " ",
    "\t",
    ",",
    ":",
    "..",
    "$foreach.hasNext",
    "é😀",
    "$a.substring(",
    "$a.replaceAll('",
    "$l.add($l)",
    "#set($l = [])",
    "#set($m = {})",
    "$m.put('k', $m)",
];

#[test]
fn garbled_templates_never_panic() {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let input = Input {
        body: r#"{"x": [1, {"y": "z"}], "s": "str"}"#.into(),
        ..Input::default()
    };
    let limits = Limits {
        max_output_bytes: 64 * 1024,
        max_steps: 20_000,
        max_foreach_iterations: 1000,
        ..Limits::default()
    };
    let (mut parsed, mut rendered) = (0, 0);
    for _ in 0..4000 {
        let mut src = String::new();
        for _ in 0..(rng.next() % 24) {
            if rng.next().is_multiple_of(5) {
                src.push(char::from_u32((rng.next() % 0x250) as u32).unwrap_or('?'));
            } else {
                src.push_str(FRAGMENTS[(rng.next() % FRAGMENTS.len() as u64) as usize]);
            }
        }
        if let Ok(t) = Template::parse(&src) {
            parsed += 1;
            if t.render(&input, &serde_json::json!({}), &BTreeMap::new(), &limits)
                .is_ok()
            {
                rendered += 1;
            }
        }
    }
    // The generator must exercise both paths, or this test proves nothing.
    assert!(
        parsed > 400 && rendered > 200,
        "parsed {parsed}, rendered {rendered}"
    );
}

#[test]
fn deep_nesting_is_refused_not_overflowed() {
    for src in [
        "#if(true)".repeat(5000),
        format!("#set($a = {}1{})", "(".repeat(100_000), ")".repeat(100_000)),
        format!("#set($a = {}1{})", "[".repeat(100_000), "]".repeat(100_000)),
        format!("#set($a = {})", "!".repeat(100_000)),
    ] {
        let e = Template::parse(&src).expect_err("too deep");
        assert!(e.message.contains("nesting"), "{e}");
    }
    let unclosed = "\"$a.b(".repeat(5000);
    assert!(Template::parse(&unclosed).is_err());
}
