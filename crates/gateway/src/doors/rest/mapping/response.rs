//! The method response an integration's answer is mapped to: the integration response its
//! selection pattern picks (else the default), then that response's status, header mappings
//! and template for the client's `Accept`, with what the template set in
//! `$context.responseOverride`, which wins.

use http::{HeaderName, HeaderValue};
use portico_vtl::Input;

use super::plan::ResponsePlan;
use super::{IntegrationAnswer, Overrides, TemplateScope, media_type, value_of};

/// A method response: status, headers, body and its content type.
pub struct MethodResponse {
    pub status: u16,
    pub headers: Vec<(HeaderName, HeaderValue)>,
    pub content_type: String,
    pub body: Vec<u8>,
}

/// The integration response whose selection pattern matches all of the answer's subject
/// (the status code of an HTTP or MOCK integration, the `errorMessage` of a Lambda error),
/// else the default. A Lambda success takes the default.
pub fn select<'r>(
    responses: &'r [ResponsePlan],
    answer: &IntegrationAnswer<'_>,
) -> Option<&'r ResponsePlan> {
    let subject = match (&answer.error_message, answer.status) {
        (Some(message), _) => Some(message.clone()),
        (None, Some(status)) => Some(status.to_string()),
        (None, None) => None,
    };
    let by_pattern = subject.and_then(|subject| {
        responses
            .iter()
            .find(|r| r.pattern.as_ref().is_some_and(|p| p.is_match(&subject)))
    });
    by_pattern.or_else(|| responses.iter().find(|r| r.pattern.is_none()))
}

/// Builds the method response from the selected integration `response`: its status, its
/// header mappings, and its template for the client's `Accept` (else `application/json`,
/// else the first), or the integration's body as it is.
pub fn method_response(
    response: &ResponsePlan,
    answer: &IntegrationAnswer<'_>,
    accept: Option<&str>,
    scope: &TemplateScope<'_>,
) -> Result<MethodResponse, String> {
    let wanted = media_type(accept);
    let mut overrides = Overrides::default();
    let template = response
        .templates
        .get_key_value(&wanted)
        .or_else(|| response.templates.get_key_value("application/json"))
        .or_else(|| response.templates.iter().next());
    let (content_type, body) = match template {
        Some((content_type, template)) => {
            let input = Input {
                body: String::from_utf8_lossy(answer.body).into_owned(),
                ..scope.input.clone()
            };
            let (body, context) = scope.render(template, &input)?;
            overrides = Overrides::read(&context["responseOverride"]);
            (content_type.clone(), body.into_bytes())
        }
        None => {
            let content_type = answer
                .headers
                .get(http::header::CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("application/json")
                .to_string();
            (content_type, answer.body.to_vec())
        }
    };
    let mut headers = Vec::new();
    for (name, source) in &response.headers {
        if let Some(Ok(value)) =
            value_of(source, scope, Some(answer)).map(|v| HeaderValue::from_str(&v))
        {
            headers.push((name.clone(), value));
        }
    }
    for (name, value) in overrides.header {
        if let (Ok(name), Ok(value)) = (
            HeaderName::from_bytes(name.as_bytes()),
            HeaderValue::from_str(&value),
        ) {
            headers.retain(|(n, _)| *n != name);
            headers.push((name, value));
        }
    }
    Ok(MethodResponse {
        status: overrides.status.unwrap_or(response.status),
        headers,
        content_type,
        body,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::doors::rest::mapping::tests::scope;
    use http::HeaderMap;
    use portico_config::rest::Source;
    use portico_vtl::Template;

    fn response(pattern: Option<&str>, status: u16) -> ResponsePlan {
        ResponsePlan {
            pattern: pattern.map(|p| regex::Regex::new(&format!("^(?:{p})$")).unwrap()),
            status,
            headers: Vec::new(),
            templates: Default::default(),
            content_handling: None,
        }
    }

    #[test]
    fn selection_patterns_match_whole_subjects_and_the_default_catches_the_rest() {
        let responses = [
            response(Some(".*Not Found.*"), 404),
            response(Some("4\\d{2}"), 400),
            response(None, 200),
        ];
        let headers = HeaderMap::new();
        let answer = |status: Option<u16>, error: Option<&str>| IntegrationAnswer {
            status,
            error_message: error.map(str::to_string),
            headers: &headers,
            body: b"",
        };
        let picked = |a: IntegrationAnswer<'_>| select(&responses, &a).map(|r| r.status);
        assert_eq!(picked(answer(None, Some("Pet Not Found"))), Some(404));
        assert_eq!(picked(answer(None, Some("boom"))), Some(200));
        assert_eq!(picked(answer(Some(418), None)), Some(400));
        // Whole-subject matching: `4\d{2}` does not match 4000.
        assert_eq!(picked(answer(Some(4000), None)), Some(200));
        assert_eq!(picked(answer(None, None)), Some(200));
        assert!(select(&responses[..2], &answer(Some(200), None)).is_none());
    }

    #[test]
    fn method_responses_take_the_templates_status_and_mapped_headers() {
        let header = |n: &str| HeaderName::from_bytes(n.as_bytes()).unwrap();
        let mut plan = response(None, 201);
        plan.headers = [
            ("x-static", "'yes'"),
            ("x-id", "integration.response.body.pet.id"),
            ("x-up", "integration.response.header.x-up"),
            ("x-trace", "method.request.header.x-trace"),
            ("x-missing", "integration.response.header.nope"),
        ]
        .map(|(n, s)| (header(n), Source::parse(s).unwrap()))
        .to_vec();
        plan.templates.insert(
            "application/json".to_string(),
            Template::parse(r#"{"name": "$input.path('$.pet.name')", "q": "$input.params('q')"}"#)
                .unwrap(),
        );
        let mut headers = HeaderMap::new();
        headers.insert("x-up", HeaderValue::from_static("up"));
        let answer = IntegrationAnswer {
            status: Some(200),
            error_message: None,
            headers: &headers,
            body: br#"{"pet": {"id": 7, "name": "Rex"}}"#,
        };
        let built = method_response(&plan, &answer, Some("*/*"), &scope("")).unwrap();
        assert_eq!(built.status, 201);
        assert_eq!(built.content_type, "application/json");
        assert_eq!(
            String::from_utf8(built.body).unwrap(),
            r#"{"name": "Rex", "q": "x"}"#
        );
        let headers: Vec<(String, String)> = built
            .headers
            .iter()
            .map(|(n, v)| (n.to_string(), v.to_str().unwrap().to_string()))
            .collect();
        let expected = [
            ("x-static", "yes"),
            ("x-id", "7"),
            ("x-up", "up"),
            ("x-trace", "t-1"),
        ];
        assert_eq!(
            headers,
            expected
                .map(|(n, v)| (n.to_string(), v.to_string()))
                .to_vec()
        );
    }

    #[test]
    fn without_templates_the_integrations_body_passes_as_it_is() {
        let plain = response(None, 200);
        let mut headers = HeaderMap::new();
        headers.insert(
            http::header::CONTENT_TYPE,
            HeaderValue::from_static("text/csv"),
        );
        let answer = IntegrationAnswer {
            status: Some(200),
            error_message: None,
            headers: &headers,
            body: b"a,b",
        };
        let built = method_response(&plain, &answer, None, &scope("")).unwrap();
        assert_eq!(
            (
                built.status,
                built.content_type.as_str(),
                built.body.as_slice()
            ),
            (200, "text/csv", &b"a,b"[..])
        );
    }
}
