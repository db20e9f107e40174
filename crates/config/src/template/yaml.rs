//! Template text (YAML or JSON) read into a JSON value, with the place of every node.
//!
//! CloudFormation's short tags become their long forms as they are read: `!Ref X` is
//! `{"Ref": "X"}`, `!GetAtt A.B` is `{"Fn::GetAtt": ["A", "B"]}`, `!Condition C` is
//! `{"Condition": "C"}` and any other `!Name v` is `{"Fn::Name": v}`. Scalars follow YAML
//! 1.2's core schema (`yes` stays a string), as CloudFormation reads them.

use std::collections::BTreeMap;

use granit_parser::{Event, Parser, ScalarStyle, Span, StructureStyle, Tag};
use serde_json::{Map, Number, Value};

use crate::Diagnostic;

/// A read template: its value and, by JSON pointer, where each node starts (line, column;
/// both 1-based).
#[derive(Debug, Default)]
pub struct Document {
    pub value: Value,
    pub spots: BTreeMap<String, (u32, u32)>,
}

impl Document {
    /// Where the node at `pointer` was written, or its nearest ancestor that was.
    pub fn spot(&self, pointer: &str) -> (u32, u32) {
        let mut pointer = pointer;
        loop {
            if let Some(spot) = self.spots.get(pointer) {
                return *spot;
            }
            match pointer.rfind('/') {
                Some(i) => pointer = &pointer[..i],
                None => return (1, 1),
            }
        }
    }
}

/// Appends one reference token to a JSON pointer (RFC 6901 escapes).
pub fn child(pointer: &str, key: &str) -> String {
    format!("{pointer}/{}", key.replace('~', "~0").replace('/', "~1"))
}

/// Reads `text`: the first document of a YAML stream (JSON is YAML too).
pub fn read(text: &str) -> Result<Document, Diagnostic> {
    let mut reader = Reader {
        events: Parser::new_from_str(text),
        document: Document::default(),
        anchors: BTreeMap::new(),
    };
    reader.document.value = reader.stream()?;
    Ok(reader.document)
}

struct Reader<'a> {
    events: Parser<'a, granit_parser::StrInput<'a>>,
    document: Document,
    anchors: BTreeMap<usize, Value>,
}

/// A node's first event: what kind of node it is.
enum Start {
    Scalar(String, ScalarStyle, Option<Tag>),
    Sequence(Option<Tag>),
    Mapping(Option<Tag>),
    Alias(usize),
}

impl<'a> Reader<'a> {
    fn next(&mut self) -> Result<(Event<'a>, Span), Diagnostic> {
        loop {
            match self.events.next() {
                None => return Err(Diagnostic::new(0, 0, "the template ends too early")),
                Some(Err(e)) => {
                    let mark = e.marker();
                    return Err(Diagnostic::new(
                        mark.line() as u32,
                        mark.col() as u32 + 1,
                        e.info(),
                    )
                    .help("fix the YAML syntax at that place"));
                }
                #[allow(unreachable_patterns)]
                Some(Ok((Event::Comment(..), _))) => continue,
                Some(Ok(event)) => return Ok(event),
            }
        }
    }

    fn stream(&mut self) -> Result<Value, Diagnostic> {
        loop {
            let (event, span) = self.next()?;
            match event {
                Event::StreamStart => continue,
                Event::DocumentStart(..) => {
                    let (event, span) = self.next()?;
                    if matches!(event, Event::DocumentEnd) {
                        return Ok(Value::Null);
                    }
                    return self.node(event, span, "");
                }
                Event::StreamEnd => return Ok(Value::Null),
                _ => {
                    return Err(Diagnostic::new(
                        span.start.line() as u32,
                        span.start.col() as u32 + 1,
                        "this is not a YAML document",
                    ));
                }
            }
        }
    }

    /// Reads the node that `event` starts, found at `pointer`.
    fn node(&mut self, event: Event<'a>, span: Span, pointer: &str) -> Result<Value, Diagnostic> {
        // A tagged node starts at its tag (`!Ref X`).
        let start = span.tag_start.unwrap_or(span.start);
        let at = (start.line() as u32, start.col() as u32 + 1);
        self.document.spots.insert(pointer.to_string(), at);
        let (start, anchor) = match event {
            Event::Scalar(text, style, anchor, tag) => (
                Start::Scalar(text.into_owned(), style, tag.map(|t| t.into_owned())),
                anchor,
            ),
            Event::SequenceStart(_, anchor, tag) => {
                (Start::Sequence(tag.map(|t| t.into_owned())), anchor)
            }
            Event::MappingStart(_, anchor, tag) => {
                (Start::Mapping(tag.map(|t| t.into_owned())), anchor)
            }
            Event::Alias(id) => (Start::Alias(id), 0),
            _ => {
                return Err(Diagnostic::new(at.0, at.1, "a value was expected here"));
            }
        };
        let value = match start {
            Start::Alias(id) => self.anchors.get(&id).cloned().ok_or_else(|| {
                Diagnostic::new(at.0, at.1, "this alias names no anchor before it")
            })?,
            Start::Scalar(text, style, tag) => match tag {
                Some(tag) => tagged(&tag, string_or_typed(&tag, text, style), at)?,
                None => scalar(text, style),
            },
            Start::Sequence(tag) => {
                let mut items = Vec::new();
                loop {
                    let (event, span) = self.next()?;
                    if matches!(event, Event::SequenceEnd) {
                        break;
                    }
                    let pointer = format!("{pointer}/{}", items.len());
                    items.push(self.node(event, span, &pointer)?);
                }
                match tag {
                    Some(tag) => tagged(&tag, Value::Array(items), at)?,
                    None => Value::Array(items),
                }
            }
            Start::Mapping(tag) => {
                let mut map = Map::new();
                loop {
                    let (event, span) = self.next()?;
                    if matches!(event, Event::MappingEnd) {
                        break;
                    }
                    let key_at = (span.start.line() as u32, span.start.col() as u32 + 1);
                    let key = match event {
                        Event::Scalar(text, ..) => text.into_owned(),
                        _ => {
                            return Err(Diagnostic::new(
                                key_at.0,
                                key_at.1,
                                "a mapping key must be a plain string",
                            ));
                        }
                    };
                    let pointer = child(pointer, &key);
                    let (event, span) = self.next()?;
                    // A block mapping or sequence is pointed at by its key; a scalar or a
                    // flow collection where it is written.
                    let block = matches!(
                        event,
                        Event::MappingStart(StructureStyle::Block, ..)
                            | Event::SequenceStart(StructureStyle::Block, ..)
                    );
                    let value = self.node(event, span, &pointer)?;
                    if block {
                        self.document.spots.insert(pointer.clone(), key_at);
                    }
                    if map.insert(key.clone(), value).is_some() {
                        return Err(Diagnostic::new(
                            key_at.0,
                            key_at.1,
                            format!("`{key}` is written twice in this mapping"),
                        )
                        .help("keep one of them"));
                    }
                }
                match tag {
                    Some(tag) => tagged(&tag, Value::Object(map), at)?,
                    None => Value::Object(map),
                }
            }
        };
        if anchor != 0 {
            self.anchors.insert(anchor, value.clone());
        }
        Ok(value)
    }
}

/// A tagged scalar's value: text under CloudFormation's tags, typed under YAML's own.
fn string_or_typed(tag: &Tag, text: String, style: ScalarStyle) -> Value {
    if tag.is_yaml_core_schema() {
        match tag.core_suffix() {
            Some("str") => Value::String(text),
            _ => scalar(text, style),
        }
    } else {
        Value::String(text)
    }
}

/// A node under `tag`: CloudFormation's short forms become their long forms.
fn tagged(tag: &Tag, value: Value, at: (u32, u32)) -> Result<Value, Diagnostic> {
    if tag.is_yaml_core_schema() {
        return Ok(value);
    }
    if tag.handle() != "!" {
        return Err(Diagnostic::new(
            at.0,
            at.1,
            format!(
                "the tag `{}` is not one of CloudFormation's",
                tag.original()
            ),
        )
        .help(
            "use a short form such as `!Ref`, `!Sub` or `!GetAtt`, or the long form `Fn::Name`",
        ));
    }
    let name = tag.suffix();
    Ok(match name {
        "Ref" | "Condition" => one(name, value),
        "GetAtt" => match value {
            Value::String(text) => match text.split_once('.') {
                Some((resource, attribute)) => one(
                    "Fn::GetAtt",
                    Value::Array(vec![resource.into(), attribute.into()]),
                ),
                None => {
                    return Err(Diagnostic::new(
                        at.0,
                        at.1,
                        format!("`!GetAtt {text}` names no attribute"),
                    )
                    .help(format!("write `!GetAtt {text}.Arn` (resource.attribute)")));
                }
            },
            other => one("Fn::GetAtt", other),
        },
        _ => one(&format!("Fn::{name}"), value),
    })
}

fn one(key: &str, value: Value) -> Value {
    let mut map = Map::new();
    map.insert(key.to_string(), value);
    Value::Object(map)
}

/// A scalar as YAML 1.2's core schema types it (quoted scalars are strings).
fn scalar(text: String, style: ScalarStyle) -> Value {
    if style != ScalarStyle::Plain {
        return Value::String(text);
    }
    match text.as_str() {
        "" | "~" | "null" | "Null" | "NULL" => return Value::Null,
        "true" | "True" | "TRUE" => return Value::Bool(true),
        "false" | "False" | "FALSE" => return Value::Bool(false),
        _ => {}
    }
    let digits = text.strip_prefix(['-', '+']).unwrap_or(&text);
    let integer = if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
        text.parse::<i64>().ok()
    } else if let Some(hex) = text.strip_prefix("0x") {
        i64::from_str_radix(hex, 16).ok()
    } else if let Some(octal) = text.strip_prefix("0o") {
        i64::from_str_radix(octal, 8).ok()
    } else {
        None
    };
    if let Some(n) = integer {
        return Value::Number(n.into());
    }
    let looks_numeric = digits
        .bytes()
        .all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'e' | b'E' | b'-' | b'+'))
        && digits.bytes().any(|b| b.is_ascii_digit());
    if looks_numeric && let Some(n) = text.parse::<f64>().ok().and_then(Number::from_f64) {
        return Value::Number(n);
    }
    Value::String(text)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn short_tags_become_long_forms() {
        let doc = read(
            "A: !Ref Name\nB: !GetAtt Fn.Arn\nC: !GetAtt [Fn, Arn]\nD: !Sub ['${X}-y', {X: !Ref Z}]\n\
             E: !If [Cond, !Ref P, !Ref 'AWS::NoValue']\nF: !Condition IsProd\nG: !GetAtt Db.Endpoint.Address\n\
             H: !Join\n  - ''\n  - - a\n    - !Ref B\n",
        )
        .unwrap();
        assert_eq!(
            doc.value,
            json!({
                "A": {"Ref": "Name"},
                "B": {"Fn::GetAtt": ["Fn", "Arn"]},
                "C": {"Fn::GetAtt": ["Fn", "Arn"]},
                "D": {"Fn::Sub": ["${X}-y", {"X": {"Ref": "Z"}}]},
                "E": {"Fn::If": ["Cond", {"Ref": "P"}, {"Ref": "AWS::NoValue"}]},
                "F": {"Condition": "IsProd"},
                "G": {"Fn::GetAtt": ["Db", "Endpoint.Address"]},
                "H": {"Fn::Join": ["", ["a", {"Ref": "B"}]]},
            })
        );
    }

    #[test]
    fn scalars_follow_the_core_schema() {
        let doc = read(
            "a: 3\nb: '3'\nc: 1.5\nd: yes\ne: true\nf: ~\ng: 0x1F\nh: 2012-10-17\ni: -7\nj: 1e3\nk: \"on\"\nl: v1.2\n",
        )
        .unwrap();
        assert_eq!(
            doc.value,
            json!({"a": 3, "b": "3", "c": 1.5, "d": "yes", "e": true, "f": null, "g": 31,
                   "h": "2012-10-17", "i": -7, "j": 1000.0, "k": "on", "l": "v1.2"})
        );
    }

    #[test]
    fn every_node_has_its_place() {
        let doc =
            read("Resources:\n  Fn:\n    Type: X\n    Properties:\n      Code: [a, b]\n").unwrap();
        // Block collections at their key, scalars and flow collections where written.
        assert_eq!(doc.spots["/Resources"], (1, 1));
        assert_eq!(doc.spots["/Resources/Fn"], (2, 3));
        assert_eq!(doc.spots["/Resources/Fn/Type"], (3, 11));
        assert_eq!(doc.spots["/Resources/Fn/Properties/Code"], (5, 13));
        assert_eq!(doc.spots["/Resources/Fn/Properties/Code/1"], (5, 17));
        assert_eq!(doc.spot("/Resources/Fn/Properties/Code/1/deeper"), (5, 17));
        let tagged = read("A:\n  B: !Ref Name\n").unwrap();
        assert_eq!(tagged.spot("/A/B/Ref"), (2, 6));
        assert_eq!(doc.spot("/Nothing"), (1, 1));
    }

    #[test]
    fn json_templates_read_with_places() {
        let doc = read("{\n  \"Resources\": {\n    \"A\": {\"Type\": \"T\", \"N\": 5}\n  }\n}\n")
            .unwrap();
        assert_eq!(
            doc.value,
            json!({"Resources": {"A": {"Type": "T", "N": 5}}})
        );
        assert_eq!(doc.spots["/Resources/A"], (3, 10));
    }

    #[test]
    fn anchors_and_keys_with_slashes() {
        let doc = read("a: &x {k: 1}\nb: *x\n/p~q: 2\n").unwrap();
        assert_eq!(doc.value["b"], json!({"k": 1}));
        assert!(doc.spots.contains_key("/~1p~0q"));
    }

    #[test]
    fn bad_text_is_a_diagnostic_with_its_place() {
        for (text, line, needle) in [
            ("a: [1, 2\nb: 3\n", 2, ""),
            ("a: 1\na: 2\n", 2, "`a` is written twice"),
            ("a: !GetAtt Fn\n", 1, "names no attribute"),
            ("a: *nope\n", 1, ""),
            (
                "a: !<tag:example.com:x> 1\n",
                1,
                "not one of CloudFormation's",
            ),
        ] {
            let error = read(text).unwrap_err();
            assert_eq!(error.line, line, "{text:?}: {error:?}");
            assert!(error.message.contains(needle), "{text:?}: {error:?}");
        }
    }
}
