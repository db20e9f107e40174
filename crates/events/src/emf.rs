//! CloudWatch Embedded Metric Format (EMF): a function's log line that is a JSON object
//! with an `_aws.CloudWatchMetrics` directive carries metrics. Read here as the specification
//! defines it: each directive names a `Namespace`, `Dimensions` (sets of dimension keys whose
//! values are top-level strings) and `Metrics` (`Name`, optional `Unit`), whose values are
//! top-level numbers or arrays of numbers.

use serde_json::Value;

/// One metric value set of an EMF document, under one dimension set.
#[derive(Debug, Clone, PartialEq)]
pub struct EmfMetric {
    pub namespace: String,
    pub name: String,
    /// `None` when the document gives none (CloudWatch's `None` unit).
    pub unit: Option<String>,
    /// The dimension set's keys with their values, in the order the set names them.
    pub dimensions: Vec<(String, String)>,
    pub values: Vec<f64>,
}

/// Why a line that looks like EMF is not.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not valid EMF: {0}")]
pub struct InvalidEmf(pub String);

/// The metrics of `line`: `None` when the line is not an EMF document at all (not a JSON
/// object with `_aws`), `Err` when it claims to be one but breaks the specification.
pub fn parse(line: &str) -> Option<Result<Vec<EmfMetric>, InvalidEmf>> {
    let line = line.trim();
    if !line.starts_with('{') || !line.contains("\"_aws\"") {
        return None;
    }
    let document: Value = match serde_json::from_str(line) {
        Ok(Value::Object(document)) => Value::Object(document),
        _ => return None,
    };
    let aws = document.get("_aws")?;
    Some(read(&document, aws))
}

fn read(document: &Value, aws: &Value) -> Result<Vec<EmfMetric>, InvalidEmf> {
    let invalid = |why: &str| InvalidEmf(why.to_string());
    if !aws.get("Timestamp").is_some_and(Value::is_number) {
        return Err(invalid("`_aws.Timestamp` is not a number"));
    }
    let directives = aws
        .get("CloudWatchMetrics")
        .and_then(Value::as_array)
        .ok_or_else(|| invalid("`_aws.CloudWatchMetrics` is not an array"))?;
    let mut metrics = Vec::new();
    for directive in directives {
        let namespace = directive
            .get("Namespace")
            .and_then(Value::as_str)
            .filter(|n| !n.is_empty())
            .ok_or_else(|| invalid("a directive has no `Namespace`"))?;
        let dimension_sets = directive
            .get("Dimensions")
            .and_then(Value::as_array)
            .ok_or_else(|| invalid("a directive's `Dimensions` is not an array"))?;
        let definitions = directive
            .get("Metrics")
            .and_then(Value::as_array)
            .ok_or_else(|| invalid("a directive's `Metrics` is not an array"))?;
        // A directive without dimension sets still records its metrics, without dimensions.
        let mut sets: Vec<Vec<(String, String)>> = Vec::new();
        for set in dimension_sets {
            let keys = set
                .as_array()
                .ok_or_else(|| invalid("a dimension set is not an array"))?;
            let mut dimensions = Vec::new();
            for key in keys {
                let key = key
                    .as_str()
                    .ok_or_else(|| invalid("a dimension key is not a string"))?;
                let value = document
                    .get(key)
                    .and_then(Value::as_str)
                    .ok_or_else(|| invalid(&format!("dimension `{key}` has no string value")))?;
                dimensions.push((key.to_string(), value.to_string()));
            }
            sets.push(dimensions);
        }
        if sets.is_empty() {
            sets.push(Vec::new());
        }
        for definition in definitions {
            let name = definition
                .get("Name")
                .and_then(Value::as_str)
                .filter(|n| !n.is_empty())
                .ok_or_else(|| invalid("a metric has no `Name`"))?;
            let unit = definition
                .get("Unit")
                .and_then(Value::as_str)
                .map(str::to_string);
            let values: Vec<f64> = match document.get(name) {
                Some(Value::Number(n)) => n.as_f64().into_iter().collect(),
                Some(Value::Array(items)) => items
                    .iter()
                    .map(|v| v.as_f64().ok_or_else(|| invalid("a value is not a number")))
                    .collect::<Result<_, _>>()?,
                _ => return Err(invalid(&format!("metric `{name}` has no numeric value"))),
            };
            for dimensions in &sets {
                metrics.push(EmfMetric {
                    namespace: namespace.to_string(),
                    name: name.to_string(),
                    unit: unit.clone(),
                    dimensions: dimensions.clone(),
                    values: values.clone(),
                });
            }
        }
    }
    Ok(metrics)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The example of the EMF specification.
    const SPEC_EXAMPLE: &str = r#"{"_aws":{"Timestamp":1574109732004,"CloudWatchMetrics":[{"Namespace":"lambda-function-metrics","Dimensions":[["functionVersion"]],"Metrics":[{"Name":"time","Unit":"Milliseconds","StorageResolution":60}]}]},"functionVersion":"$LATEST","time":100,"requestId":"989ffbf8-9ace-4817-a57c-e4dd734019ee"}"#;

    #[test]
    fn the_specifications_example_reads_as_one_metric() {
        let metrics = parse(SPEC_EXAMPLE).unwrap().unwrap();
        assert_eq!(
            metrics,
            vec![EmfMetric {
                namespace: "lambda-function-metrics".into(),
                name: "time".into(),
                unit: Some("Milliseconds".into()),
                dimensions: vec![("functionVersion".into(), "$LATEST".into())],
                values: vec![100.0],
            }]
        );
    }

    #[test]
    fn value_arrays_and_several_dimension_sets() {
        let line = r#"{"_aws":{"Timestamp":1,"CloudWatchMetrics":[{"Namespace":"shop","Dimensions":[["Service"],["Service","Route"]],"Metrics":[{"Name":"Latency"}]}]},"Service":"api","Route":"/items","Latency":[1,2.5]}"#;
        let metrics = parse(line).unwrap().unwrap();
        assert_eq!(metrics.len(), 2);
        assert_eq!(metrics[1].dimensions.len(), 2);
        assert_eq!(metrics[0].values, vec![1.0, 2.5]);
        assert_eq!(metrics[0].unit, None);
    }

    #[test]
    fn other_lines_are_not_emf_and_broken_documents_are_invalid() {
        assert!(parse("hello").is_none());
        assert!(parse(r#"{"message": "no _aws here"}"#).is_none());
        assert!(parse(r#"{"_aws": "#).is_none(), "not JSON: a normal line");
        let broken = [
            r#"{"_aws":{"CloudWatchMetrics":[]}}"#,
            r#"{"_aws":{"Timestamp":1,"CloudWatchMetrics":{}}}"#,
            r#"{"_aws":{"Timestamp":1,"CloudWatchMetrics":[{"Dimensions":[],"Metrics":[]}]}}"#,
            r#"{"_aws":{"Timestamp":1,"CloudWatchMetrics":[{"Namespace":"n","Dimensions":[["Missing"]],"Metrics":[{"Name":"m"}]}]},"m":1}"#,
            r#"{"_aws":{"Timestamp":1,"CloudWatchMetrics":[{"Namespace":"n","Dimensions":[],"Metrics":[{"Name":"m"}]}]},"m":"1"}"#,
        ];
        for line in broken {
            assert!(matches!(parse(line), Some(Err(_))), "{line}");
        }
    }
}
