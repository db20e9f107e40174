//! JSON kept in document order. API Gateway's JSON values are Java LinkedHashMaps, so a
//! template that walks `keySet()` or renders a map sees members in the order the body wrote
//! them; `serde_json::Value` (without its workspace-wide `preserve_order` feature) sorts them.

use std::fmt;

use serde::de::{Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};

#[derive(Debug, Clone)]
pub(crate) enum OJson {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    Arr(Vec<OJson>),
    Obj(Vec<(String, OJson)>),
}

impl OJson {
    pub(crate) fn parse(text: &str) -> Result<OJson, serde_json::Error> {
        serde_json::from_str(text)
    }

    /// The member at a query location, walking names and indexes.
    pub(crate) fn at<'a>(&self, path: impl IntoIterator<Item = Step<'a>>) -> Option<&OJson> {
        let mut cur = self;
        for step in path {
            cur = match (cur, step) {
                (OJson::Obj(m), Step::Name(n)) => &m.iter().rev().find(|(k, _)| k == n)?.1,
                (OJson::Arr(a), Step::Index(i)) => a.get(i)?,
                _ => return None,
            };
        }
        Some(cur)
    }

    /// How many values it holds, counting itself: the work of turning it into template values.
    pub(crate) fn size(&self) -> u64 {
        match self {
            OJson::Arr(a) => 1 + a.iter().map(OJson::size).sum::<u64>(),
            OJson::Obj(o) => 1 + o.iter().map(|(_, v)| v.size()).sum::<u64>(),
            _ => 1,
        }
    }
}

pub(crate) enum Step<'a> {
    Name(&'a str),
    Index(usize),
}

struct OJsonVisitor;

impl<'de> Visitor<'de> for OJsonVisitor {
    type Value = OJson;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E>(self, v: bool) -> Result<OJson, E> {
        Ok(OJson::Bool(v))
    }

    fn visit_i64<E>(self, v: i64) -> Result<OJson, E> {
        Ok(OJson::Int(v))
    }

    fn visit_u64<E>(self, v: u64) -> Result<OJson, E> {
        Ok(i64::try_from(v).map_or(OJson::Float(v as f64), OJson::Int))
    }

    fn visit_f64<E>(self, v: f64) -> Result<OJson, E> {
        Ok(OJson::Float(v))
    }

    fn visit_str<E>(self, v: &str) -> Result<OJson, E> {
        Ok(OJson::Str(v.to_string()))
    }

    fn visit_string<E>(self, v: String) -> Result<OJson, E> {
        Ok(OJson::Str(v))
    }

    fn visit_unit<E>(self) -> Result<OJson, E> {
        Ok(OJson::Null)
    }

    fn visit_none<E>(self) -> Result<OJson, E> {
        Ok(OJson::Null)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<OJson, A::Error> {
        let mut items = Vec::new();
        while let Some(v) = seq.next_element()? {
            items.push(v);
        }
        Ok(OJson::Arr(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<OJson, A::Error> {
        let mut members = Vec::new();
        while let Some((k, v)) = map.next_entry::<String, OJson>()? {
            members.push((k, v));
        }
        Ok(OJson::Obj(members))
    }
}

impl<'de> Deserialize<'de> for OJson {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<OJson, D::Error> {
        d.deserialize_any(OJsonVisitor)
    }
}
