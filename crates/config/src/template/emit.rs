//! Portico's config, made from a template, written out as `portico.yaml` text, with the JSON
//! pointer of the node each line starts, so a problem the compile step finds on a line can be
//! traced back to the template.

use serde_json::Value;

use super::yaml::child;

/// YAML text of `value` (a mapping) and, for each line, the pointer of the node on it.
pub fn yaml(value: &Value) -> (String, Vec<String>) {
    let mut out = Writer {
        text: String::new(),
        lines: Vec::new(),
    };
    match value {
        Value::Object(map) if !map.is_empty() => out.mapping(map, "", 0),
        other => {
            out.text.push_str(&inline(other));
            out.text.push('\n');
            out.lines.push(String::new());
        }
    }
    (out.text, out.lines)
}

struct Writer {
    text: String,
    lines: Vec<String>,
}

impl Writer {
    fn line(&mut self, pointer: &str, text: &str) {
        self.text.push_str(text);
        self.text.push('\n');
        self.lines.push(pointer.to_string());
    }

    fn mapping(&mut self, map: &serde_json::Map<String, Value>, pointer: &str, indent: usize) {
        for (key, value) in map {
            let pointer = child(pointer, key);
            let lead = format!("{:indent$}{}:", "", quote(key));
            self.entry(&lead, value, &pointer, indent);
        }
    }

    /// `lead` (a key and its colon, or a dash) and then `value`, inline when it is a scalar
    /// or empty, else on the lines below.
    fn entry(&mut self, lead: &str, value: &Value, pointer: &str, indent: usize) {
        match value {
            Value::Object(map) if !map.is_empty() => {
                self.line(pointer, lead);
                self.mapping(map, pointer, indent + 2);
            }
            Value::Array(items) if !items.is_empty() => {
                self.line(pointer, lead);
                for (i, item) in items.iter().enumerate() {
                    let pointer = format!("{pointer}/{i}");
                    let dash = format!("{:width$}-", "", width = indent + 2);
                    self.entry(&dash, item, &pointer, indent + 2);
                }
            }
            scalar => self.line(pointer, &format!("{lead} {}", inline(scalar))),
        }
    }
}

/// A scalar or empty collection on one line. Strings are written as JSON strings, which YAML
/// reads back unchanged.
fn inline(value: &Value) -> String {
    match value {
        Value::Object(_) => "{}".into(),
        Value::Array(_) => "[]".into(),
        other => other.to_string(),
    }
}

fn quote(key: &str) -> String {
    // Plain only when YAML reads it back as this text: a name, not a number (`200`), a
    // boolean or null in any case.
    let plain = key.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
        && !matches!(
            key.to_ascii_lowercase().as_str(),
            "true" | "false" | "null" | "yes" | "no" | "on" | "off" | "y" | "n"
        );
    if plain {
        key.to_string()
    } else {
        Value::String(key.to_string()).to_string()
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn reads_back_as_written_with_a_pointer_per_line() {
        let value = json!({
            "functions": {"Hello": {"code": "hello world/", "timeout": 3, "environment": {}}},
            "responses": {"200": {"x": 1}, "404": {}, "1.5": 2, "True": 3, "_a": 4},
            "apis": {"Api": {"routes": {"GET /hello/{id}": {"function": "Hello"}},
                              "stages": {"$default": {}}, "list": [1, {"a": "x\"y", "b": [true, null]}, []]}},
        });
        let (text, lines) = yaml(&value);
        let back: Value = serde_saphyr::from_str(&text).unwrap();
        assert_eq!(back, value, "{text}");
        assert_eq!(text.lines().count(), lines.len());
        let at = |needle: &str| {
            let i = text.lines().position(|l| l.contains(needle)).unwrap();
            lines[i].clone()
        };
        assert_eq!(
            at("\"GET /hello/{id}\":"),
            "/apis/Api/routes/GET ~1hello~1{id}"
        );
        assert_eq!(at("timeout"), "/functions/Hello/timeout");
        assert_eq!(at("x\\\"y"), "/apis/Api/list/1/a");
        assert_eq!(at("- true"), "/apis/Api/list/1/b/0");
    }
}
