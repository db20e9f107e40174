//! Lambda authorizer answers (HTTP APIs, payload format 2.0): the simple form
//! `{"isAuthorized": bool, "context": {...}}` and the IAM policy form
//! `{"principalId", "policyDocument": {"Statement": [{"Effect", "Action", "Resource"}]}, "context"}`.

use serde_json::Value;

use crate::strings;

/// What an authorizer decided.
#[derive(Debug, Clone, PartialEq)]
pub enum Decision {
    /// Let the request in; `context` goes to `requestContext.authorizer.lambda`.
    Allow { context: Value },
    /// Keep it out: `explicit` when a policy's `Deny` statement covers the route, rather
    /// than no `Allow` statement (or `isAuthorized: false`).
    Deny { explicit: bool },
    /// A REST authorizer's whole answer (principal, policy, context), kept as it came: a
    /// cached policy decides each method anew.
    Answer(Value),
}

/// Why an authorizer's answer could not be used (API Gateway answers 500).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unusable(pub String);

/// Reads an authorizer's answer for the request on `route_arn`.
pub fn decide(
    answer: &[u8],
    simple_responses: bool,
    route_arn: &str,
) -> Result<Decision, Unusable> {
    let value: Value =
        serde_json::from_slice(answer).map_err(|e| Unusable(format!("not JSON: {e}")))?;
    decide_value(&value, simple_responses, route_arn)
}

/// As [`decide`], for an answer already read (a REST authorizer's cached policy, applied to
/// each method it is asked about, as API Gateway applies a cached policy).
pub fn decide_value(
    value: &Value,
    simple_responses: bool,
    route_arn: &str,
) -> Result<Decision, Unusable> {
    let context = match value.get("context") {
        None | Some(Value::Null) => Value::Object(Default::default()),
        Some(context @ Value::Object(_)) => context.clone(),
        Some(_) => return Err(Unusable("`context` is not an object".into())),
    };
    if simple_responses {
        return match value.get("isAuthorized") {
            Some(Value::Bool(true)) => Ok(Decision::Allow { context }),
            Some(Value::Bool(false)) => Ok(Decision::Deny { explicit: false }),
            _ => Err(Unusable(
                "`isAuthorized` is missing or not a boolean".into(),
            )),
        };
    }
    policy_decides(value, route_arn, context)
}

/// An IAM policy allows the route when some `Allow` statement covers it and no `Deny` does.
fn policy_decides(answer: &Value, route_arn: &str, context: Value) -> Result<Decision, Unusable> {
    let statements = match answer.pointer("/policyDocument/Statement") {
        Some(Value::Array(statements)) => statements.clone(),
        Some(statement @ Value::Object(_)) => vec![statement.clone()],
        _ => return Err(Unusable("no `policyDocument.Statement`".into())),
    };
    let mut allowed = false;
    for statement in &statements {
        let covers = strings(statement.get("Resource"))
            .iter()
            .any(|r| glob(r, route_arn))
            && strings(statement.get("Action"))
                .iter()
                .any(|a| glob(a, "execute-api:Invoke"));
        match statement.get("Effect").and_then(Value::as_str) {
            Some("Deny") if covers => return Ok(Decision::Deny { explicit: true }),
            Some("Allow") if covers => allowed = true,
            Some("Allow" | "Deny") => {}
            _ => {
                return Err(Unusable(
                    "a statement's `Effect` is not Allow or Deny".into(),
                ));
            }
        }
    }
    Ok(if allowed {
        Decision::Allow { context }
    } else {
        Decision::Deny { explicit: false }
    })
}

/// IAM's wildcards: `*` is any run of characters, `?` any one.
fn glob(pattern: &str, text: &str) -> bool {
    let (p, t): (Vec<char>, Vec<char>) = (pattern.chars().collect(), text.chars().collect());
    let (mut pi, mut ti, mut star, mut mark) = (0, 0, None, 0);
    while ti < t.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == t[ti]) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some(pi);
            mark = ti;
            pi += 1;
        } else if let Some(s) = star {
            pi = s + 1;
            mark += 1;
            ti = mark;
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|c| *c == '*')
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const ARN: &str = "arn:aws:execute-api:us-east-1:000000000000:shop/$default/GET/items";

    fn decide_json(answer: Value, simple: bool) -> Result<Decision, Unusable> {
        decide(answer.to_string().as_bytes(), simple, ARN)
    }

    #[test]
    fn simple_responses() {
        assert_eq!(
            decide_json(
                json!({"isAuthorized": true, "context": {"user": "ada"}}),
                true
            ),
            Ok(Decision::Allow {
                context: json!({"user": "ada"})
            })
        );
        assert_eq!(
            decide_json(json!({"isAuthorized": false}), true),
            Ok(Decision::Deny { explicit: false })
        );
        assert!(decide_json(json!({"isAuthorized": "yes"}), true).is_err());
        assert!(decide(b"nope", true, ARN).is_err());
    }

    #[test]
    fn policy_responses() {
        let policy = |effect: &str, resource: Value| {
            json!({"principalId": "u", "policyDocument": {"Version": "2012-10-17", "Statement": [
                {"Effect": effect, "Action": "execute-api:Invoke", "Resource": resource}]}})
        };
        let allow = |r: Value| decide_json(policy("Allow", r), false);
        assert!(matches!(allow(json!(ARN)), Ok(Decision::Allow { .. })));
        assert!(matches!(
            allow(json!(["arn:aws:execute-api:*:*:shop/*"])),
            Ok(Decision::Allow { .. })
        ));
        assert_eq!(
            allow(json!("arn:aws:execute-api:*:*:other/*")),
            Ok(Decision::Deny { explicit: false })
        );
        assert_eq!(
            decide_json(policy("Deny", json!("*")), false),
            Ok(Decision::Deny { explicit: true })
        );
        // A Deny wins over an Allow of the same route.
        let both = json!({"principalId": "u", "policyDocument": {"Statement": [
            {"Effect": "Allow", "Action": "execute-api:Invoke", "Resource": "*"},
            {"Effect": "Deny", "Action": "execute-api:*", "Resource": ARN}]}});
        assert_eq!(
            decide_json(both, false),
            Ok(Decision::Deny { explicit: true })
        );
        assert!(decide_json(json!({"principalId": "u"}), false).is_err());
    }

    #[test]
    fn globs_match_as_iam_does() {
        for (pattern, text, expected) in [
            ("*", "x", true),
            ("a*c", "abbbc", true),
            ("a?c", "abc", true),
            ("a*d", "abc", false),
            ("", "", true),
        ] {
            assert_eq!(glob(pattern, text), expected, "{pattern} {text}");
        }
    }
}
