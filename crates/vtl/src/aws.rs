//! API Gateway's `$input` and `$util`, as its "mapping template and access logging variable
//! reference" defines them. JSONPath is Jayway's dialect, translated to RFC 9535 for
//! `serde_json_path` where the two differ (bare member names with `-`, a path without `$`,
//! a trailing `.length()`).

use std::rc::Rc;

use base64::Engine as _;
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use serde_json_path::PathElement;

use crate::RenderErrorKind;
use crate::ast::Pos;
use crate::ojson::{OJson, Step};
use crate::render::{Renderer, err, too_deep};
use crate::value::Value;

/// What `URLEncoder.encode(s, "UTF-8")` keeps as is: letters, digits and `.-*_`.
const FORM: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'.')
    .remove(b'-')
    .remove(b'*')
    .remove(b'_');

struct JsonPathQuery {
    rfc: String,
    definite: bool,
    length: bool,
}

/// Jayway JsonPath to RFC 9535: `$`-less paths get `$.` before them, member names that RFC
/// shorthand refuses become `['name']`, and a trailing `.length()`/`.size()` is kept aside.
fn translate(path: &str) -> JsonPathQuery {
    let mut p = path.trim().to_string();
    let mut length = false;
    for f in [".length()", ".size()"] {
        if let Some(stripped) = p.strip_suffix(f) {
            p = stripped.to_string();
            length = true;
        }
    }
    if p.is_empty() {
        p = "$".into();
    } else if p.starts_with('[') {
        p = format!("${p}");
    } else if !p.starts_with('$') {
        p = format!("$.{p}");
    }
    let c: Vec<char> = p.chars().collect();
    let mut out = String::from("$");
    let mut definite = true;
    let mut i = 1;
    while i < c.len() {
        match c[i] {
            '.' => {
                let deep = c.get(i + 1) == Some(&'.');
                if deep {
                    definite = false;
                    out.push_str("..");
                    i += 2;
                } else {
                    i += 1;
                }
                if c.get(i) == Some(&'[') {
                    continue;
                }
                let start = i;
                while i < c.len() && c[i] != '.' && c[i] != '[' {
                    i += 1;
                }
                let name: String = c[start..i].iter().collect();
                if name == "*" {
                    definite = false;
                    out.push_str(if deep { "*" } else { ".*" });
                } else if !name.is_empty()
                    && name
                        .chars()
                        .next()
                        .is_some_and(|ch| ch.is_alphabetic() || ch == '_')
                    && name.chars().all(|ch| ch.is_alphanumeric() || ch == '_')
                {
                    if !deep {
                        out.push('.');
                    }
                    out.push_str(&name);
                } else {
                    out.push_str("['");
                    for ch in name.chars() {
                        if ch == '\'' || ch == '\\' {
                            out.push('\\');
                        }
                        out.push(ch);
                    }
                    out.push_str("']");
                }
            }
            '[' => {
                let start = i;
                let mut quote: Option<char> = None;
                let mut depth = 0;
                while i < c.len() {
                    let ch = c[i];
                    match quote {
                        Some(q) if ch == q => quote = None,
                        Some(_) => {}
                        None => match ch {
                            '\'' | '"' => quote = Some(ch),
                            '[' => depth += 1,
                            ']' => {
                                depth -= 1;
                                if depth == 0 {
                                    break;
                                }
                            }
                            '*' | '?' | ',' | ':' => definite = false,
                            _ => {}
                        },
                    }
                    i += 1;
                }
                i = (i + 1).min(c.len());
                out.extend(&c[start..i]);
            }
            ch => {
                out.push(ch);
                i += 1;
            }
        }
    }
    JsonPathQuery {
        rfc: out,
        definite,
        length,
    }
}

/// `URLEncoder.encode(s, "UTF-8")`: form encoding, space as `+`.
pub(crate) fn url_encode(s: &str) -> String {
    utf8_percent_encode(s, FORM).to_string().replace("%20", "+")
}

/// `URLDecoder.decode(s, "UTF-8")`: `+` is a space; a broken `%` escape is an error.
pub(crate) fn url_decode(s: &str) -> Result<String, String> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'+' => out.push(b' '),
            b'%' => {
                let hex = b
                    .get(i + 1..i + 3)
                    .and_then(|h| std::str::from_utf8(h).ok());
                match hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                    Some(byte) if !hex.is_some_and(|h| h.starts_with(['+', '-'])) => out.push(byte),
                    _ => return Err(format!("bad escape at byte {i} of {s:?}")),
                }
                i += 2;
            }
            c => out.push(c),
        }
        i += 1;
    }
    Ok(String::from_utf8_lossy(&out).into_owned())
}

/// Commons Lang's `StringEscapeUtils.escapeJavaScript`: quotes, backslash and `/` get a
/// backslash, control characters their short escapes, everything outside ASCII `\uXXXX`.
pub(crate) fn escape_javascript(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + s.len() / 8);
    for u in s.encode_utf16() {
        match u {
            0x08 => out.push_str("\\b"),
            0x09 => out.push_str("\\t"),
            0x0a => out.push_str("\\n"),
            0x0c => out.push_str("\\f"),
            0x0d => out.push_str("\\r"),
            0x22 => out.push_str("\\\""),
            0x27 => out.push_str("\\'"),
            0x5c => out.push_str("\\\\"),
            0x2f => out.push_str("\\/"),
            u if !(0x20..0x7f).contains(&u) => out.push_str(&format!("\\u{u:04X}")),
            u => out.push(u as u8 as char),
        }
    }
    out
}

impl Renderer<'_> {
    /// `$input.body`: the raw payload; API Gateway hands an empty one over as `{}`.
    pub(crate) fn input_body(&self) -> Value {
        if self.input.body.is_empty() {
            Value::str("{}")
        } else {
            Value::str(self.input.body.as_str())
        }
    }

    /// The body parsed twice: as `serde_json::Value` to query, in document order to hand out.
    fn body_json(
        &mut self,
        pos: Pos,
    ) -> Result<Rc<(serde_json::Value, OJson)>, crate::RenderError> {
        if let Some(v) = &self.body_json {
            return Ok(v.clone());
        }
        let body = self.input.body.trim();
        let body = if body.is_empty() { "{}" } else { body };
        self.step(1 + body.len() as u64 / 32, pos)?;
        let bad = |e: serde_json::Error| {
            err(
                pos,
                RenderErrorKind::InvalidBody,
                format!("the request body is not JSON: {e}"),
            )
        };
        let v = serde_json::from_str(body).map_err(bad)?;
        let ordered = OJson::parse(body).map_err(bad)?;
        let v = Rc::new((v, ordered));
        self.body_json = Some(v.clone());
        Ok(v)
    }

    /// Evaluates a Jayway JSONPath on the body: `Some(one value)` for a definite path that
    /// matched, a JSON array of the matches for an indefinite one, `None` for no match.
    fn query(&mut self, path: &str, pos: Pos) -> Result<Option<OJson>, crate::RenderError> {
        let body = self.body_json(pos)?;
        let q = translate(path);
        let compiled = serde_json_path::JsonPath::parse(&q.rfc).map_err(|e| {
            err(
                pos,
                RenderErrorKind::Failed,
                format!("bad JSONPath {path:?}: {e}"),
            )
        })?;
        let nodes = compiled.query_located(&body.0);
        self.step(1 + nodes.len() as u64, pos)?;
        let mut found: Vec<OJson> = Vec::new();
        for node in nodes.iter() {
            let steps = node.location().iter().map(|e| match e {
                PathElement::Name(n) => Step::Name(n),
                PathElement::Index(i) => Step::Index(*i),
            });
            if let Some(v) = body.1.at(steps) {
                found.push(v.clone());
            }
            if q.definite {
                break;
            }
        }
        let found = if q.definite {
            found.pop()
        } else {
            Some(OJson::Arr(found))
        };
        if q.length {
            return Ok(found.and_then(|v| match v {
                OJson::Arr(a) => Some(OJson::Int(a.len() as i64)),
                OJson::Obj(o) => Some(OJson::Int(o.len() as i64)),
                OJson::Str(s) => Some(OJson::Int(s.encode_utf16().count() as i64)),
                _ => None,
            }));
        }
        Ok(found)
    }

    fn json_value(&mut self, v: &OJson, pos: Pos) -> Result<Value, crate::RenderError> {
        self.step(v.size(), pos)?;
        Ok(self.heap.build_ojson(v))
    }

    pub(crate) fn input_method(
        &mut self,
        name: &str,
        args: &[Value],
        pos: Pos,
    ) -> Result<Value, crate::RenderError> {
        let arg = args.first().and_then(|v| self.string_arg(v));
        Ok(match (name, args.len(), arg) {
            ("getBody" | "body", 0, _) => self.input_body(),
            ("json", 1, Some(path)) => match self.query(&path, pos)? {
                Some(v) => {
                    let v = self.json_value(&v, pos)?;
                    let s = self.heap.to_json(&v).map_err(too_deep(pos))?;
                    self.charge_string(s.len(), pos)?;
                    Value::str(s)
                }
                None => Value::str("null"),
            },
            ("path", 1, Some(path)) => match self.query(&path, pos)? {
                Some(v) => self.json_value(&v, pos)?,
                None => Value::Null,
            },
            ("params", 0, _) => {
                let (all, out) = self.heap.new_map();
                let input = self.input;
                for (name, pairs) in [
                    ("path", &input.path),
                    ("querystring", &input.querystring),
                    ("header", &input.header),
                ] {
                    let (id, m) = self.heap.new_map();
                    for (k, v) in pairs {
                        self.heap.maps[id].put(k.as_str().into(), Value::str(v.as_str()));
                    }
                    self.step(1 + pairs.len() as u64, pos)?;
                    self.heap.maps[all].put(name.into(), m);
                }
                out
            }
            ("params", 1, Some(name)) => {
                let input = self.input;
                let found = [&input.path, &input.querystring, &input.header]
                    .into_iter()
                    .find_map(|pairs| {
                        pairs
                            .iter()
                            .rev()
                            .find(|(k, _)| **k == *name)
                            .map(|(_, v)| v)
                    });
                Value::str(found.map_or("", |v| v.as_str()))
            }
            _ => Value::Null,
        })
    }

    pub(crate) fn util_method(
        &mut self,
        name: &str,
        args: &[Value],
        pos: Pos,
    ) -> Result<Value, crate::RenderError> {
        let [arg] = args else { return Ok(Value::Null) };
        let Some(s) = self.string_arg(arg) else {
            return Ok(Value::Null);
        };
        self.step(1 + s.len() as u64 / 64, pos)?;
        let out = match name {
            "escapeJavaScript" => escape_javascript(&s),
            "urlEncode" => url_encode(&s),
            "urlDecode" => url_decode(&s).map_err(|e| {
                err(
                    pos,
                    RenderErrorKind::Failed,
                    format!("$util.urlDecode: {e}"),
                )
            })?,
            "base64Encode" => base64::engine::general_purpose::STANDARD.encode(s.as_bytes()),
            "base64Decode" => {
                let engine = base64::engine::GeneralPurpose::new(
                    &base64::alphabet::STANDARD,
                    base64::engine::GeneralPurposeConfig::new()
                        .with_decode_padding_mode(base64::engine::DecodePaddingMode::Indifferent),
                );
                let bytes = engine.decode(s.trim().as_bytes()).map_err(|e| {
                    err(
                        pos,
                        RenderErrorKind::Failed,
                        format!("$util.base64Decode: {e}"),
                    )
                })?;
                String::from_utf8_lossy(&bytes).into_owned()
            }
            "parseJson" => {
                let v = OJson::parse(&s).map_err(|e| {
                    err(
                        pos,
                        RenderErrorKind::Failed,
                        format!("$util.parseJson: {e}"),
                    )
                })?;
                return self.json_value(&v, pos);
            }
            _ => return Ok(Value::Null),
        };
        self.charge_string(out.len(), pos)?;
        Ok(Value::str(out))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jayway_paths_translate() {
        let cases = [
            ("$", "$", true),
            ("$.a.b", "$.a.b", true),
            ("a.b", "$.a.b", true),
            ("$.user-name", "$['user-name']", true),
            ("$.items[0].id", "$.items[0].id", true),
            ("$.items[*].id", "$.items[*].id", false),
            ("$..id", "$..id", false),
            ("$.a.*", "$.a.*", false),
            ("$['a b']", "$['a b']", true),
            (
                "$.items[?(@.price < 10)]",
                "$.items[?(@.price < 10)]",
                false,
            ),
        ];
        for (jayway, rfc, definite) in cases {
            let q = translate(jayway);
            assert_eq!((q.rfc.as_str(), q.definite), (rfc, definite), "{jayway}");
        }
        assert!(translate("$.items.length()").length);
    }

    #[test]
    fn util_encodings_follow_java() {
        assert_eq!(url_encode("a b&c=d/é*~"), "a+b%26c%3Dd%2F%C3%A9*%7E");
        assert_eq!(url_decode("a+b%26c%3Dd%2F%C3%A9").unwrap(), "a b&c=d/é");
        assert!(url_decode("%G1").is_err());
        assert!(url_decode("abc%2").is_err());
        assert_eq!(
            escape_javascript("it's \"x\"\\/\n\té\u{1}😀"),
            "it\\'s \\\"x\\\"\\\\\\/\\n\\t\\u00E9\\u0001\\uD83D\\uDE00"
        );
    }
}
