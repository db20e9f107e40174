//! Models: the document's schemas and request bodies' inline schemas, each made
//! self-contained with the models it refers to.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Map, Value};

use super::paths::Operation;
use super::{Imported, Importer, MAX_DEPTH, Problem, Ptr, Version};
use crate::diagnostics::did_you_mean;

impl Importer<'_> {
    pub(super) fn collect_models(&mut self, top: &Map<String, Value>) {
        let keys = ("definitions", "schemas");
        let Some((map, ptr)) = self.section(top, keys, ("models", "schemas")) else {
            return;
        };
        for (name, schema) in map {
            let at = ptr.key(name);
            if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric()) {
                self.error(
                    Problem::new(&at, format!("model name `{name}` is not alphanumeric"))
                        .help("API Gateway model names are letters and digits only: rename it (and its `$ref`s)"),
                );
                continue;
            }
            if !schema.is_object() && !schema.is_boolean() {
                self.error(Problem::new(
                    &at,
                    format!("model `{name}` is not a schema object"),
                ));
                continue;
            }
            self.raw_models.insert(name.clone(), (schema.clone(), at));
        }
    }

    /// The model a request body schema names, or a new model for an inline schema.
    pub(super) fn schema_model(
        &mut self,
        schema: &Value,
        ptr: &Ptr,
        operation: &Operation<'_>,
        content_type: &str,
    ) -> Option<String> {
        if let Some(reference) = schema.get("$ref") {
            let at = ptr.key("$ref");
            return self.model_ref(reference, &at);
        }
        let mut base = String::new();
        for word in std::iter::once(operation.method.to_ascii_lowercase().as_str())
            .chain(operation.path.split(|c: char| !c.is_ascii_alphanumeric()))
            .chain(
                content_type
                    .split(|c: char| !c.is_ascii_alphanumeric())
                    .skip(1),
            )
        {
            let mut chars = word.chars();
            if let Some(first) = chars.next() {
                base.push(first.to_ascii_uppercase());
                base.extend(chars);
            }
        }
        base.push_str("Body");
        let mut name = base.clone();
        let mut n = 2;
        while self.raw_models.contains_key(&name) {
            name = format!("{base}{n}");
            n += 1;
        }
        self.raw_models
            .insert(name.clone(), (schema.clone(), ptr.clone()));
        Some(name)
    }

    /// The model a `$ref` names: `#/components/schemas/X`, `#/definitions/X` or API Gateway's
    /// `https://apigateway.amazonaws.com/restapis/{id}/models/X`.
    fn model_ref(&mut self, reference: &Value, at: &Ptr) -> Option<String> {
        let Some(reference) = reference.as_str() else {
            self.error(Problem::new(at, "`$ref` must be a string"));
            return None;
        };
        let prefix = match self.version {
            Version::OpenApi3 => "#/components/schemas/",
            Version::Swagger2 => "#/definitions/",
        };
        let name = if let Some(n) = reference.strip_prefix(prefix) {
            n.replace("~1", "/").replace("~0", "~")
        } else if let Some(rest) =
            reference.strip_prefix("https://apigateway.amazonaws.com/restapis/")
        {
            match rest.split_once("/models/") {
                Some((_, n)) => n.to_string(),
                None => String::new(),
            }
        } else {
            self.error(
                Problem::new(at, format!("`{reference}` is not a model reference")).help(format!(
                    "refer to a model as `{prefix}<name>`; bundle external documents into this one"
                )),
            );
            return None;
        };
        if self.raw_models.contains_key(&name) {
            return Some(name);
        }
        let help = match did_you_mean(&name, self.raw_models.keys().map(String::as_str)) {
            Some(k) => format!("did you mean `{k}`?"),
            None => format!(
                "define it under `{}`",
                &prefix[2..prefix.len() - 1].replace('/', ".")
            ),
        };
        self.error(Problem::new(at, format!("model `{name}` is not defined")).help(help));
        None
    }

    /// Makes every model self-contained: `$ref`s to models become `#/definitions/<name>`, and
    /// each model carries the models it reaches under `definitions`.
    pub(super) fn resolve_models(&mut self, imported: &mut Imported) {
        let raw = std::mem::take(&mut self.raw_models);
        let mut rewritten: BTreeMap<String, Value> = BTreeMap::new();
        let mut deps: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        self.raw_models = raw.clone();
        for (name, (schema, ptr)) in &raw {
            let mut schema = schema.clone();
            let mut reached = BTreeSet::new();
            self.rewrite_refs(&mut schema, ptr, 0, &mut reached);
            rewritten.insert(name.clone(), schema);
            deps.insert(name.clone(), reached);
        }
        for (name, schema) in &rewritten {
            let mut closure = BTreeSet::new();
            let mut todo: Vec<&String> = deps[name].iter().collect();
            while let Some(next) = todo.pop() {
                if closure.insert(next.clone()) {
                    todo.extend(deps.get(next).into_iter().flatten());
                }
            }
            let mut model = schema.clone();
            if !closure.is_empty()
                && let Some(object) = model.as_object_mut()
            {
                let definitions = object
                    .entry("definitions")
                    .or_insert_with(|| Value::Object(Map::new()));
                match definitions.as_object_mut() {
                    Some(defs) => {
                        for dep in &closure {
                            if defs.contains_key(dep) {
                                let ptr = &raw[name].1;
                                self.error(
                                    Problem::new(&ptr.key("definitions").key(dep), format!("model `{name}` has its own definition `{dep}`, which hides the model `{dep}` it refers to"))
                                        .help("rename one of them"),
                                );
                                continue;
                            }
                            defs.insert(dep.clone(), rewritten[dep].clone());
                        }
                    }
                    None => {
                        let ptr = &raw[name].1;
                        self.error(Problem::new(
                            &ptr.key("definitions"),
                            "`definitions` must be a mapping",
                        ));
                    }
                }
            }
            imported.models.insert(name.clone(), model);
        }
    }

    fn rewrite_refs(
        &mut self,
        value: &mut Value,
        ptr: &Ptr,
        depth: usize,
        reached: &mut BTreeSet<String>,
    ) {
        if depth > MAX_DEPTH {
            self.error(Problem::new(ptr, "the schema is nested too deeply"));
            return;
        }
        match value {
            Value::Object(object) => {
                if let Some(reference) = object.get("$ref").cloned()
                    && let Some(name) = self.model_ref(&reference, &ptr.key("$ref"))
                {
                    object.insert(
                        "$ref".to_string(),
                        Value::String(format!("#/definitions/{name}")),
                    );
                    reached.insert(name);
                }
                for (key, child) in object.iter_mut() {
                    if key == "$ref" || key == "enum" || key == "example" || key == "default" {
                        continue;
                    }
                    self.rewrite_refs(child, &ptr.key(key), depth + 1, reached);
                }
            }
            Value::Array(items) => {
                for (i, item) in items.iter_mut().enumerate() {
                    self.rewrite_refs(item, &ptr.index(i), depth + 1, reached);
                }
            }
            _ => {}
        }
    }
}
