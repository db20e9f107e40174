//! Values as a Velocity template sees them: Java objects, reduced to what API Gateway hands over.
//!
//! Lists and maps live in a per-render [`Heap`] and are shared by handle, as Java references are:
//! `#set($b = $a)` then `$b.add(1)` changes `$a` too. The heap is dropped with the render, so
//! a list that holds itself cannot outlive it.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::rc::Rc;

/// How deep toString, equality and JSON writing may walk nested (or self-holding) values.
pub(crate) const MAX_WALK_DEPTH: usize = 200;

#[derive(Debug, Clone)]
pub(crate) enum Value {
    Null,
    Bool(bool),
    /// Java Integer or Long.
    Int(i64),
    /// Java Double.
    Float(f64),
    Str(Rc<str>),
    List(usize),
    Map(usize),
    /// A `Map.Entry` from `entrySet()`.
    Entry(Rc<str>, Box<Value>),
    /// `$foreach`: the loop's position.
    Foreach {
        index: i64,
        has_next: bool,
    },
    Input,
    Util,
}

impl Value {
    pub(crate) fn str(s: impl Into<Rc<str>>) -> Value {
        Value::Str(s.into())
    }

    pub(crate) fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }

    pub(crate) fn is_number(&self) -> bool {
        matches!(self, Value::Int(_) | Value::Float(_))
    }

    pub(crate) fn as_f64(&self) -> Option<f64> {
        match self {
            Value::Int(n) => Some(*n as f64),
            Value::Float(f) => Some(*f),
            _ => None,
        }
    }

    /// The Java class family, for Velocity's "same class: equals(); else: compare toString()".
    fn class(&self) -> u8 {
        match self {
            Value::Null => 0,
            Value::Bool(_) => 1,
            Value::Int(_) | Value::Float(_) => 2,
            Value::Str(_) => 3,
            Value::List(_) => 4,
            Value::Map(_) => 5,
            Value::Entry(..) => 6,
            Value::Foreach { .. } => 7,
            Value::Input => 8,
            Value::Util => 9,
        }
    }
}

#[derive(Debug, Default)]
pub(crate) struct ListObj {
    pub items: Vec<Value>,
    /// A JSON array from the request body (json-smart's JSONArray): its toString is JSON.
    pub json: bool,
}

/// An insertion-ordered map with string keys (Java's LinkedHashMap).
#[derive(Debug, Default)]
pub(crate) struct MapObj {
    pub keys: Vec<Rc<str>>,
    pub vals: Vec<Value>,
    index: HashMap<Rc<str>, usize>,
}

impl MapObj {
    pub(crate) fn get(&self, k: &str) -> Option<&Value> {
        self.index.get(k).map(|&i| &self.vals[i])
    }

    /// Java's put: returns the previous value (or Null).
    pub(crate) fn put(&mut self, k: Rc<str>, v: Value) -> Value {
        if let Some(&i) = self.index.get(&k) {
            return std::mem::replace(&mut self.vals[i], v);
        }
        self.index.insert(k.clone(), self.keys.len());
        self.keys.push(k);
        self.vals.push(v);
        Value::Null
    }

    pub(crate) fn remove(&mut self, k: &str) -> Value {
        let Some(i) = self.index.remove(k) else {
            return Value::Null;
        };
        self.keys.remove(i);
        let old = self.vals.remove(i);
        for (j, key) in self.keys.iter().enumerate().skip(i) {
            self.index.insert(key.clone(), j);
        }
        old
    }

    pub(crate) fn clear(&mut self) {
        self.keys.clear();
        self.vals.clear();
        self.index.clear();
    }

    pub(crate) fn len(&self) -> usize {
        self.keys.len()
    }
}

#[derive(Debug, Default)]
pub(crate) struct Heap {
    pub lists: Vec<ListObj>,
    pub maps: Vec<MapObj>,
}

pub(crate) struct TooDeep;

impl Heap {
    pub(crate) fn new_list(&mut self, items: Vec<Value>, json: bool) -> Value {
        self.lists.push(ListObj { items, json });
        Value::List(self.lists.len() - 1)
    }

    pub(crate) fn new_map(&mut self) -> (usize, Value) {
        self.maps.push(MapObj::default());
        (self.maps.len() - 1, Value::Map(self.maps.len() - 1))
    }

    /// JSON from the request body or the context, as Jayway JsonPath over json-smart builds it:
    /// objects become LinkedHashMaps, arrays JSON arrays, numbers Integer/Long or Double.
    pub(crate) fn build_json(&mut self, v: &serde_json::Value, json_lists: bool) -> Value {
        match v {
            serde_json::Value::Null => Value::Null,
            serde_json::Value::Bool(b) => Value::Bool(*b),
            serde_json::Value::Number(n) => match n.as_i64() {
                Some(i) => Value::Int(i),
                None => Value::Float(n.as_f64().unwrap_or(f64::NAN)),
            },
            serde_json::Value::String(s) => Value::str(s.as_str()),
            serde_json::Value::Array(a) => {
                let items = a.iter().map(|x| self.build_json(x, json_lists)).collect();
                self.new_list(items, json_lists)
            }
            serde_json::Value::Object(o) => {
                let (id, val) = self.new_map();
                for (k, x) in o {
                    let x = self.build_json(x, json_lists);
                    self.maps[id].put(k.as_str().into(), x);
                }
                val
            }
        }
    }

    /// A body value, members in document order (see [`crate::ojson`]).
    pub(crate) fn build_ojson(&mut self, v: &crate::ojson::OJson) -> Value {
        use crate::ojson::OJson;
        match v {
            OJson::Null => Value::Null,
            OJson::Bool(b) => Value::Bool(*b),
            OJson::Int(n) => Value::Int(*n),
            OJson::Float(f) => Value::Float(*f),
            OJson::Str(s) => Value::str(s.as_str()),
            OJson::Arr(a) => {
                let items = a.iter().map(|x| self.build_ojson(x)).collect();
                self.new_list(items, true)
            }
            OJson::Obj(o) => {
                let (id, val) = self.new_map();
                for (k, x) in o {
                    let x = self.build_ojson(x);
                    self.maps[id].put(k.as_str().into(), x);
                }
                val
            }
        }
    }

    /// Java's `String.valueOf(value)`.
    pub(crate) fn to_string(&self, v: &Value) -> Result<String, TooDeep> {
        let mut out = String::new();
        self.write_java(v, &mut out, 0)?;
        Ok(out)
    }

    fn write_java(&self, v: &Value, out: &mut String, depth: usize) -> Result<(), TooDeep> {
        if depth > MAX_WALK_DEPTH {
            return Err(TooDeep);
        }
        match v {
            Value::Null => out.push_str("null"),
            Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            Value::Int(n) => {
                let _ = write!(out, "{n}");
            }
            Value::Float(f) => out.push_str(&java_double(*f)),
            Value::Str(s) => out.push_str(s),
            Value::List(id) => {
                let l = &self.lists[*id];
                if l.json {
                    return self.write_json(v, out, depth);
                }
                out.push('[');
                for (k, item) in l.items.iter().enumerate() {
                    if k > 0 {
                        out.push_str(", ");
                    }
                    if matches!(item, Value::List(i) if i == id) {
                        out.push_str("(this Collection)");
                    } else {
                        self.write_java(item, out, depth + 1)?;
                    }
                }
                out.push(']');
            }
            Value::Map(id) => {
                let m = &self.maps[*id];
                out.push('{');
                for (k, (key, val)) in m.keys.iter().zip(&m.vals).enumerate() {
                    if k > 0 {
                        out.push_str(", ");
                    }
                    out.push_str(key);
                    out.push('=');
                    if matches!(val, Value::Map(i) if i == id) {
                        out.push_str("(this Map)");
                    } else {
                        self.write_java(val, out, depth + 1)?;
                    }
                }
                out.push('}');
            }
            Value::Entry(k, val) => {
                out.push_str(k);
                out.push('=');
                self.write_java(val, out, depth + 1)?;
            }
            Value::Foreach { index, has_next } => {
                let _ = write!(out, "{{index={index}, hasNext={has_next}}}");
            }
            Value::Input => out.push_str("$input"),
            Value::Util => out.push_str("$util"),
        }
        Ok(())
    }

    /// Compact JSON, escaped as json-smart writes it.
    pub(crate) fn to_json(&self, v: &Value) -> Result<String, TooDeep> {
        let mut out = String::new();
        self.write_json(v, &mut out, 0)?;
        Ok(out)
    }

    fn write_json(&self, v: &Value, out: &mut String, depth: usize) -> Result<(), TooDeep> {
        if depth > MAX_WALK_DEPTH {
            return Err(TooDeep);
        }
        match v {
            Value::Null => out.push_str("null"),
            Value::Bool(_) | Value::Int(_) | Value::Float(_) => self.write_java(v, out, depth)?,
            Value::List(id) => {
                out.push('[');
                for (k, item) in self.lists[*id].items.iter().enumerate() {
                    if k > 0 {
                        out.push(',');
                    }
                    self.write_json(item, out, depth + 1)?;
                }
                out.push(']');
            }
            Value::Map(id) => {
                let m = &self.maps[*id];
                out.push('{');
                for (k, (key, val)) in m.keys.iter().zip(&m.vals).enumerate() {
                    if k > 0 {
                        out.push(',');
                    }
                    json_string(key, out);
                    out.push(':');
                    self.write_json(val, out, depth + 1)?;
                }
                out.push('}');
            }
            Value::Entry(k, val) => {
                out.push('{');
                json_string(k, out);
                out.push(':');
                self.write_json(val, out, depth + 1)?;
                out.push('}');
            }
            Value::Str(s) => json_string(s, out),
            other => {
                let s = self.to_string(other)?;
                json_string(&s, out);
            }
        }
        Ok(())
    }

    /// Velocity 1.7's `==`: numbers by value; the same class by Java equals(); null equals
    /// only null; different classes by their toString().
    pub(crate) fn velocity_eq(&self, a: &Value, b: &Value) -> Result<bool, TooDeep> {
        match (a, b) {
            (Value::Null, Value::Null) => Ok(true),
            (Value::Null, _) | (_, Value::Null) => Ok(false),
            _ if a.is_number() && b.is_number() => {
                Ok(num_cmp(a, b) == Some(std::cmp::Ordering::Equal))
            }
            _ if a.class() == b.class() => self.java_equals(a, b, 0),
            _ => Ok(self.to_string(a)? == self.to_string(b)?),
        }
    }

    /// Java's `a.equals(b)`.
    pub(crate) fn java_equals(&self, a: &Value, b: &Value, depth: usize) -> Result<bool, TooDeep> {
        if depth > MAX_WALK_DEPTH {
            return Err(TooDeep);
        }
        Ok(match (a, b) {
            (Value::Null, Value::Null) => true,
            (Value::Bool(x), Value::Bool(y)) => x == y,
            (Value::Int(x), Value::Int(y)) => x == y,
            (Value::Float(x), Value::Float(y)) => {
                x.to_bits() == y.to_bits() || (x == y && *x != 0.0)
            }
            (Value::Str(x), Value::Str(y)) => x == y,
            (Value::List(x), Value::List(y)) => {
                if x == y {
                    return Ok(true);
                }
                let (l, r) = (&self.lists[*x].items, &self.lists[*y].items);
                if l.len() != r.len() {
                    return Ok(false);
                }
                for (p, q) in l.iter().zip(r) {
                    if !self.java_equals(p, q, depth + 1)? {
                        return Ok(false);
                    }
                }
                true
            }
            (Value::Map(x), Value::Map(y)) => {
                if x == y {
                    return Ok(true);
                }
                let (l, r) = (&self.maps[*x], &self.maps[*y]);
                if l.len() != r.len() {
                    return Ok(false);
                }
                for (k, v) in l.keys.iter().zip(&l.vals) {
                    match r.get(k) {
                        Some(w) if self.java_equals(v, w, depth + 1)? => {}
                        _ => return Ok(false),
                    }
                }
                true
            }
            (Value::Entry(k1, v1), Value::Entry(k2, v2)) => {
                k1 == k2 && self.java_equals(v1, v2, depth + 1)?
            }
            _ => false,
        })
    }
}

pub(crate) fn num_cmp(a: &Value, b: &Value) -> Option<std::cmp::Ordering> {
    match (a, b) {
        (Value::Int(x), Value::Int(y)) => Some(x.cmp(y)),
        _ => a.as_f64()?.partial_cmp(&b.as_f64()?),
    }
}

/// A JSON string literal with json-smart's escaping: `"` `\` `/` and control characters, plus
/// U+007F–U+009F and U+2000–U+20FF as `\uXXXX`.
pub(crate) fn json_string(s: &str, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '/' => out.push_str("\\/"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            c if (c as u32) < 0x20
                || (0x7f..=0x9f).contains(&(c as u32))
                || (0x2000..=0x20ff).contains(&(c as u32)) =>
            {
                let _ = write!(out, "\\u{:04X}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// Java's `Double.toString`: plain from 10^-3 up to 10^7, else `d.dddE±n`; always a fraction digit.
pub(crate) fn java_double(f: f64) -> String {
    if f.is_nan() {
        return "NaN".into();
    }
    if f.is_infinite() {
        return if f > 0.0 { "Infinity" } else { "-Infinity" }.into();
    }
    if f == 0.0 {
        return if f.is_sign_negative() { "-0.0" } else { "0.0" }.into();
    }
    let a = f.abs();
    if (1e-3..1e7).contains(&a) {
        let s = format!("{f}");
        if s.contains('.') { s } else { format!("{s}.0") }
    } else {
        let s = format!("{f:e}");
        let (mantissa, exp) = s.split_once('e').unwrap_or((&s, "0"));
        let mantissa = if mantissa.contains('.') {
            mantissa.to_string()
        } else {
            format!("{mantissa}.0")
        };
        format!("{mantissa}E{exp}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn java_double_matches_double_to_string() {
        let cases = [
            (1.0, "1.0"),
            (249.99, "249.99"),
            (0.001, "0.001"),
            (0.0001, "1.0E-4"),
            (1e7, "1.0E7"),
            (9999999.0, "9999999.0"),
            (1.5e10, "1.5E10"),
            (-2.5, "-2.5"),
            (0.0, "0.0"),
            (1e21, "1.0E21"),
            (0.1 + 0.2, "0.30000000000000004"),
        ];
        for (f, want) in cases {
            assert_eq!(java_double(f), want, "{f}");
        }
    }

    #[test]
    fn json_strings_escape_as_json_smart_does() {
        let mut out = String::new();
        json_string("a\"b\\c\n\u{1}\u{2028}é/", &mut out);
        assert_eq!(out, "\"a\\\"b\\\\c\\n\\u0001\\u2028é\\/\"");
    }
}
