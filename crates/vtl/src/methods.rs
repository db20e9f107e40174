//! Properties and method calls on values, with the Java semantics Velocity passes through:
//! String (UTF-16 indices), List, Map, Map.Entry, numbers, `$foreach`. A method that does
//! not exist for the value, or gets arguments of the wrong kind, yields null, as Velocity's
//! lookup does; a method that would throw in Java (index out of range, bad regex) ends the
//! render with an error.

use std::rc::Rc;

use crate::RenderErrorKind;
use crate::ast::Pos;
use crate::render::{Renderer, err, too_deep};
use crate::value::Value;

fn utf16(s: &str) -> Vec<u16> {
    s.encode_utf16().collect()
}

fn from_utf16(v: &[u16]) -> String {
    String::from_utf16_lossy(v)
}

fn find16(hay: &[u16], needle: &[u16], from: usize) -> Option<usize> {
    if from > hay.len() {
        return None;
    }
    if needle.is_empty() {
        return Some(from);
    }
    hay[from..]
        .windows(needle.len())
        .position(|w| w == needle)
        .map(|p| p + from)
}

fn rfind16(hay: &[u16], needle: &[u16]) -> Option<usize> {
    if needle.is_empty() {
        return Some(hay.len());
    }
    hay.windows(needle.len()).rposition(|w| w == needle)
}

fn out_of_bounds(pos: Pos, what: String) -> crate::RenderError {
    err(pos, RenderErrorKind::Failed, what)
}

impl Renderer<'_> {
    /// `$value.name`: a map's entry, else a Java bean getter (`getName`/`isName`).
    pub(crate) fn property(
        &mut self,
        cur: &Value,
        name: &str,
        pos: Pos,
    ) -> Result<Value, crate::RenderError> {
        Ok(match cur {
            Value::Map(id) => self.heap.maps[*id]
                .get(name)
                .cloned()
                .unwrap_or(Value::Null),
            Value::Input if name == "body" => self.input_body(),
            Value::Entry(..) | Value::Foreach { .. } => self.call(cur, name, &[], pos)?,
            Value::Str(_) | Value::List(_) if name == "empty" => {
                self.call(cur, "isEmpty", &[], pos)?
            }
            _ => Value::Null,
        })
    }

    pub(crate) fn call(
        &mut self,
        cur: &Value,
        name: &str,
        args: &[Value],
        pos: Pos,
    ) -> Result<Value, crate::RenderError> {
        match cur {
            Value::Str(s) => self.string_method(s.clone(), name, args, pos),
            Value::List(id) => self.list_method(*id, name, args, pos),
            Value::Map(id) => self.map_method(*id, name, args, pos),
            Value::Input => self.input_method(name, args, pos),
            Value::Util => self.util_method(name, args, pos),
            Value::Entry(k, v) => Ok(match (name, args) {
                ("getKey" | "key", []) => Value::Str(k.clone()),
                ("getValue" | "value", []) => (**v).clone(),
                ("toString", []) => Value::str(self.to_string(cur, pos)?),
                _ => Value::Null,
            }),
            Value::Foreach { index, has_next } => Ok(match (name, args) {
                ("hasNext" | "getHasNext", []) => Value::Bool(*has_next),
                ("index" | "getIndex", []) => Value::Int(*index),
                ("count" | "getCount", []) => Value::Int(index + 1),
                ("first" | "isFirst", []) => Value::Bool(*index == 0),
                ("last" | "isLast", []) => Value::Bool(!*has_next),
                _ => Value::Null,
            }),
            Value::Int(_) | Value::Float(_) | Value::Bool(_) => {
                Ok(self.scalar_method(cur, name, args, pos)?)
            }
            Value::Null => Ok(Value::Null),
        }
    }

    fn scalar_method(
        &mut self,
        cur: &Value,
        name: &str,
        args: &[Value],
        pos: Pos,
    ) -> Result<Value, crate::RenderError> {
        Ok(match (name, args, cur) {
            ("toString", [], _) => Value::str(self.to_string(cur, pos)?),
            ("equals", [o], _) => {
                Value::Bool(self.heap.java_equals(cur, o, 0).map_err(too_deep(pos))?)
            }
            ("intValue" | "longValue", [], Value::Int(n)) => Value::Int(*n),
            ("intValue" | "longValue", [], Value::Float(f)) => Value::Int(f.trunc() as i64),
            ("doubleValue" | "floatValue", [], v) if v.is_number() => {
                Value::Float(v.as_f64().unwrap_or(0.0))
            }
            ("booleanValue", [], Value::Bool(b)) => Value::Bool(*b),
            _ => Value::Null,
        })
    }

    fn new_string(&mut self, s: String, pos: Pos) -> Result<Value, crate::RenderError> {
        self.charge_string(s.len(), pos)?;
        Ok(Value::str(s))
    }

    fn string_method(
        &mut self,
        s: Rc<str>,
        name: &str,
        args: &[Value],
        pos: Pos,
    ) -> Result<Value, crate::RenderError> {
        let sarg = |k: usize| match args.get(k) {
            Some(Value::Str(s)) => Some(s.clone()),
            _ => None,
        };
        let iarg = |k: usize| match args.get(k) {
            Some(Value::Int(n)) => Some(*n),
            _ => None,
        };
        self.step(1 + s.len() as u64 / 256, pos)?;
        Ok(match (name, args.len()) {
            ("length", 0) => Value::Int(s.encode_utf16().count() as i64),
            ("isEmpty", 0) => Value::Bool(s.is_empty()),
            ("toString" | "trim" | "toLowerCase" | "toUpperCase", 0) => match name {
                "toString" => Value::Str(s),
                "trim" => Value::str(s.trim_matches(|c: char| c <= ' ')),
                "toLowerCase" => self.new_string(s.to_lowercase(), pos)?,
                _ => self.new_string(s.to_uppercase(), pos)?,
            },
            ("substring", 1 | 2) => {
                let v = utf16(&s);
                let len = v.len() as i64;
                let (Some(b), e) = (iarg(0), if args.len() == 2 { iarg(1) } else { Some(len) })
                else {
                    return Ok(Value::Null);
                };
                let Some(e) = e else { return Ok(Value::Null) };
                if b < 0 || e > len || b > e {
                    return Err(out_of_bounds(
                        pos,
                        format!("substring({b}, {e}) out of range for a string of length {len}"),
                    ));
                }
                Value::str(from_utf16(&v[b as usize..e as usize]))
            }
            ("charAt", 1) => {
                let v = utf16(&s);
                let Some(i) = iarg(0) else {
                    return Ok(Value::Null);
                };
                if i < 0 || i as usize >= v.len() {
                    return Err(out_of_bounds(
                        pos,
                        format!("charAt({i}) out of range for length {}", v.len()),
                    ));
                }
                Value::str(from_utf16(&v[i as usize..i as usize + 1]))
            }
            ("indexOf", 1 | 2) => {
                let Some(needle) = sarg(0) else {
                    return Ok(Value::Null);
                };
                let from = if args.len() == 2 {
                    match iarg(1) {
                        Some(n) => n.max(0) as usize,
                        None => return Ok(Value::Null),
                    }
                } else {
                    0
                };
                let hay = utf16(&s);
                Value::Int(find16(&hay, &utf16(&needle), from).map_or(-1, |p| p as i64))
            }
            ("lastIndexOf", 1) => {
                let Some(needle) = sarg(0) else {
                    return Ok(Value::Null);
                };
                Value::Int(rfind16(&utf16(&s), &utf16(&needle)).map_or(-1, |p| p as i64))
            }
            ("contains", 1) => match sarg(0) {
                Some(n) => Value::Bool(s.contains(&*n)),
                None => Value::Null,
            },
            ("startsWith", 1) => match sarg(0) {
                Some(n) => Value::Bool(s.starts_with(&*n)),
                None => Value::Null,
            },
            ("endsWith", 1) => match sarg(0) {
                Some(n) => Value::Bool(s.ends_with(&*n)),
                None => Value::Null,
            },
            ("equals", 1) => Value::Bool(matches!(&args[0], Value::Str(o) if *o == s)),
            ("equalsIgnoreCase", 1) => match sarg(0) {
                Some(o) => Value::Bool(s.to_lowercase() == o.to_lowercase()),
                None => Value::Bool(false),
            },
            ("concat", 1) => match sarg(0) {
                Some(o) => self.new_string(format!("{s}{o}"), pos)?,
                None => Value::Null,
            },
            ("replace", 2) => {
                let (Some(from), Some(to)) = (sarg(0), sarg(1)) else {
                    return Ok(Value::Null);
                };
                let n = if from.is_empty() {
                    s.chars().count() + 1
                } else {
                    s.matches(&*from).count()
                };
                let len = s.len() + n.saturating_mul(to.len());
                self.charge_string(len, pos)?;
                if from.is_empty() {
                    let mut out = String::with_capacity(len);
                    out.push_str(&to);
                    for c in s.chars() {
                        out.push(c);
                        out.push_str(&to);
                    }
                    Value::str(out)
                } else {
                    Value::str(s.replace(&*from, &to))
                }
            }
            ("replaceAll" | "replaceFirst", 2) => {
                let (Some(re), Some(rep)) = (sarg(0), sarg(1)) else {
                    return Ok(Value::Null);
                };
                let re = self.regex(&re, false, pos)?;
                let out = self.regex_replace(&re, &s, &rep, name == "replaceAll", pos)?;
                Value::str(out)
            }
            ("matches", 1) => {
                let Some(re) = sarg(0) else {
                    return Ok(Value::Null);
                };
                let re = self.regex(&re, true, pos)?;
                Value::Bool(re.is_match(&s))
            }
            ("split", 1 | 2) => {
                let Some(re) = sarg(0) else {
                    return Ok(Value::Null);
                };
                let limit = if args.len() == 2 {
                    match iarg(1) {
                        Some(n) => n,
                        None => return Ok(Value::Null),
                    }
                } else {
                    0
                };
                let re = self.regex(&re, false, pos)?;
                let parts = java_split(&re, &s, limit);
                self.step(parts.len() as u64, pos)?;
                let items = parts.into_iter().map(Value::str).collect();
                self.heap.new_list(items, false)
            }
            _ => Value::Null,
        })
    }

    fn regex(
        &mut self,
        pattern: &str,
        whole: bool,
        pos: Pos,
    ) -> Result<regex::Regex, crate::RenderError> {
        self.step(10 + pattern.len() as u64, pos)?;
        let p = if whole {
            format!(r"\A(?:{pattern})\z")
        } else {
            pattern.to_string()
        };
        regex::RegexBuilder::new(&p)
            .size_limit(1 << 20)
            .dfa_size_limit(1 << 20)
            .build()
            .map_err(|e| {
                err(
                    pos,
                    RenderErrorKind::Failed,
                    format!("bad regular expression {pattern:?}: {e}"),
                )
            })
    }

    /// Java's `Matcher.replaceAll`/`replaceFirst`: `$n` and `${name}` insert groups, `\x` is x.
    fn regex_replace(
        &mut self,
        re: &regex::Regex,
        s: &str,
        rep: &str,
        all: bool,
        pos: Pos,
    ) -> Result<String, crate::RenderError> {
        let mut out = String::new();
        let mut last = 0;
        for caps in re.captures_iter(s) {
            let m = caps.get(0).expect("group 0 always matches");
            out.push_str(&s[last..m.start()]);
            let mut chars = rep.chars().peekable();
            while let Some(c) = chars.next() {
                match c {
                    '\\' => match chars.next() {
                        Some(x) => out.push(x),
                        None => {
                            return Err(err(
                                pos,
                                RenderErrorKind::Failed,
                                "character to be escaped is missing in the replacement",
                            ));
                        }
                    },
                    '$' => {
                        let group = if chars.peek() == Some(&'{') {
                            chars.next();
                            let name: String = chars.by_ref().take_while(|c| *c != '}').collect();
                            caps.name(&name).map(|g| g.as_str()).ok_or_else(|| {
                                err(
                                    pos,
                                    RenderErrorKind::Failed,
                                    format!("no group named {name:?}"),
                                )
                            })?
                        } else {
                            let Some(d) = chars.peek().and_then(|c| c.to_digit(10)) else {
                                return Err(err(
                                    pos,
                                    RenderErrorKind::Failed,
                                    "illegal group reference in the replacement",
                                ));
                            };
                            chars.next();
                            let mut n = d as usize;
                            while let Some(d) = chars.peek().and_then(|c| c.to_digit(10)) {
                                let next = n * 10 + d as usize;
                                if next >= caps.len() {
                                    break;
                                }
                                n = next;
                                chars.next();
                            }
                            if n >= caps.len() {
                                return Err(err(
                                    pos,
                                    RenderErrorKind::Failed,
                                    format!("no group {n}"),
                                ));
                            }
                            caps.get(n).map_or("", |g| g.as_str())
                        };
                        out.push_str(group);
                    }
                    c => out.push(c),
                }
            }
            last = m.end();
            self.charge_string(out.len() + s.len() - last, pos)?;
            if !all {
                break;
            }
        }
        out.push_str(&s[last..]);
        Ok(out)
    }

    fn list_method(
        &mut self,
        id: usize,
        name: &str,
        args: &[Value],
        pos: Pos,
    ) -> Result<Value, crate::RenderError> {
        let len = self.heap.lists[id].items.len();
        let bad_index = |i: i64, len: usize| {
            out_of_bounds(pos, format!("index {i} out of bounds for length {len}"))
        };
        Ok(match (name, args) {
            ("size", []) => Value::Int(len as i64),
            ("isEmpty", []) => Value::Bool(len == 0),
            ("get", [Value::Int(i)]) => {
                if *i < 0 || *i as usize >= len {
                    return Err(bad_index(*i, len));
                }
                self.heap.lists[id].items[*i as usize].clone()
            }
            ("contains", [x]) => Value::Bool(self.position(id, x, pos)?.is_some()),
            ("indexOf", [x]) => Value::Int(self.position(id, x, pos)?.map_or(-1, |p| p as i64)),
            ("add", [x]) => {
                self.step(1, pos)?;
                self.heap.lists[id].items.push(x.clone());
                Value::Bool(true)
            }
            ("add", [Value::Int(i), x]) => {
                if *i < 0 || *i as usize > len {
                    return Err(bad_index(*i, len));
                }
                self.step(1, pos)?;
                self.heap.lists[id].items.insert(*i as usize, x.clone());
                Value::str("")
            }
            ("addAll", [Value::List(other)]) => {
                let extra = self.heap.lists[*other].items.clone();
                self.step(extra.len() as u64 + 1, pos)?;
                let changed = !extra.is_empty();
                self.heap.lists[id].items.extend(extra);
                Value::Bool(changed)
            }
            ("set", [Value::Int(i), x]) => {
                if *i < 0 || *i as usize >= len {
                    return Err(bad_index(*i, len));
                }
                std::mem::replace(&mut self.heap.lists[id].items[*i as usize], x.clone())
            }
            ("remove", [Value::Int(i)]) => {
                if *i < 0 || *i as usize >= len {
                    return Err(bad_index(*i, len));
                }
                self.heap.lists[id].items.remove(*i as usize)
            }
            ("remove", [x]) => match self.position(id, x, pos)? {
                Some(p) => {
                    self.heap.lists[id].items.remove(p);
                    Value::Bool(true)
                }
                None => Value::Bool(false),
            },
            ("clear", []) => {
                self.heap.lists[id].items.clear();
                Value::str("")
            }
            ("subList", [Value::Int(a), Value::Int(b)]) => {
                if *a < 0 || *b as usize > len || a > b {
                    return Err(out_of_bounds(
                        pos,
                        format!("subList({a}, {b}) out of range for length {len}"),
                    ));
                }
                let items = self.heap.lists[id].items[*a as usize..*b as usize].to_vec();
                self.step(items.len() as u64, pos)?;
                let json = self.heap.lists[id].json;
                self.heap.new_list(items, json)
            }
            ("toString", []) => Value::str(self.to_string(&Value::List(id), pos)?),
            ("equals", [o]) => Value::Bool(
                self.heap
                    .java_equals(&Value::List(id), o, 0)
                    .map_err(too_deep(pos))?,
            ),
            _ => Value::Null,
        })
    }

    fn position(
        &mut self,
        id: usize,
        x: &Value,
        pos: Pos,
    ) -> Result<Option<usize>, crate::RenderError> {
        let n = self.heap.lists[id].items.len();
        self.step(n as u64 / 8, pos)?;
        for k in 0..n {
            let item = self.heap.lists[id].items[k].clone();
            if self.heap.java_equals(&item, x, 0).map_err(too_deep(pos))? {
                return Ok(Some(k));
            }
        }
        Ok(None)
    }

    fn map_method(
        &mut self,
        id: usize,
        name: &str,
        args: &[Value],
        pos: Pos,
    ) -> Result<Value, crate::RenderError> {
        let key = |r: &Self, v: &Value| -> Result<Option<Rc<str>>, crate::RenderError> {
            if v.is_null() {
                return Ok(None);
            }
            Ok(Some(r.to_string(v, pos)?.into()))
        };
        Ok(match (name, args) {
            ("size", []) => Value::Int(self.heap.maps[id].len() as i64),
            ("isEmpty", []) => Value::Bool(self.heap.maps[id].len() == 0),
            ("get", [k]) => match key(self, k)? {
                Some(k) => self.heap.maps[id].get(&k).cloned().unwrap_or(Value::Null),
                None => Value::Null,
            },
            ("containsKey", [k]) => match key(self, k)? {
                Some(k) => Value::Bool(self.heap.maps[id].get(&k).is_some()),
                None => Value::Bool(false),
            },
            ("containsValue", [v]) => {
                let vals = self.heap.maps[id].vals.clone();
                self.step(vals.len() as u64 / 8, pos)?;
                let mut found = false;
                for x in &vals {
                    if self.heap.java_equals(x, v, 0).map_err(too_deep(pos))? {
                        found = true;
                        break;
                    }
                }
                Value::Bool(found)
            }
            ("put", [k, v]) => match key(self, k)? {
                Some(k) => {
                    self.step(1, pos)?;
                    self.heap.maps[id].put(k, v.clone())
                }
                None => Value::Null,
            },
            ("putAll", [Value::Map(other)]) => {
                let (ks, vs) = (
                    self.heap.maps[*other].keys.clone(),
                    self.heap.maps[*other].vals.clone(),
                );
                self.step(ks.len() as u64 + 1, pos)?;
                for (k, v) in ks.into_iter().zip(vs) {
                    self.heap.maps[id].put(k, v);
                }
                Value::str("")
            }
            ("remove", [k]) => match key(self, k)? {
                Some(k) => self.heap.maps[id].remove(&k),
                None => Value::Null,
            },
            ("clear", []) => {
                self.heap.maps[id].clear();
                Value::str("")
            }
            ("keySet", []) => {
                let keys: Vec<Value> = self.heap.maps[id]
                    .keys
                    .iter()
                    .map(|k| Value::Str(k.clone()))
                    .collect();
                self.step(keys.len() as u64, pos)?;
                self.heap.new_list(keys, false)
            }
            ("values", []) => {
                let vals = self.heap.maps[id].vals.clone();
                self.step(vals.len() as u64, pos)?;
                self.heap.new_list(vals, false)
            }
            ("entrySet", []) => {
                let m = &self.heap.maps[id];
                let entries: Vec<Value> = m
                    .keys
                    .iter()
                    .zip(&m.vals)
                    .map(|(k, v)| Value::Entry(k.clone(), Box::new(v.clone())))
                    .collect();
                self.step(entries.len() as u64, pos)?;
                self.heap.new_list(entries, false)
            }
            ("toString", []) => Value::str(self.to_string(&Value::Map(id), pos)?),
            ("equals", [o]) => Value::Bool(
                self.heap
                    .java_equals(&Value::Map(id), o, 0)
                    .map_err(too_deep(pos))?,
            ),
            _ => Value::Null,
        })
    }
}

/// Java's `String.split(regex, limit)`: a zero-width match at the start yields no leading
/// empty string; with limit 0, trailing empty strings are dropped.
fn java_split(re: &regex::Regex, s: &str, limit: i64) -> Vec<String> {
    let mut parts = Vec::new();
    let mut index = 0;
    let mut matched = false;
    for m in re.find_iter(s) {
        if limit > 0 && parts.len() as i64 == limit - 1 {
            break;
        }
        if m.end() == 0 {
            continue;
        }
        matched = true;
        parts.push(s[index..m.start()].to_string());
        index = m.end();
    }
    if !matched {
        return vec![s.to_string()];
    }
    parts.push(s[index..].to_string());
    if limit == 0 {
        while parts.last().is_some_and(|p| p.is_empty()) {
            parts.pop();
        }
    }
    parts
}
