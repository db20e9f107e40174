//! The integration request a method request is mapped to: the request template for the
//! body's content type (or the body, as passthrough allows), the method's integration
//! request parameters, then what the template set in `$context.requestOverride`, which wins.

use http::HeaderValue;
use portico_config::rest::{Passthrough, Place, RestIntegration};

use super::plan::MethodPlan;
use super::{Overrides, TemplateScope, media_type, value_of};

/// Why a method request could not become an integration request.
#[derive(Debug, PartialEq, Eq)]
pub enum RequestFailure {
    /// No template for the body's content type, and passthrough not allowed: 415.
    UnsupportedMediaType,
    /// The template failed (or went over its limits): API Gateway's 500.
    Template(String),
}

/// What a non-proxy integration is sent.
#[derive(Debug, Default, PartialEq)]
pub struct IntegrationRequest {
    pub payload: String,
    pub headers: http::HeaderMap,
    pub query: Vec<(String, String)>,
    pub path_parameters: Vec<(String, String)>,
}

/// The integration request for a method request with `content_type`, in `scope`.
pub fn integration_request(
    plan: &MethodPlan,
    integration: &RestIntegration,
    content_type: Option<&str>,
    scope: &TemplateScope<'_>,
) -> Result<IntegrationRequest, RequestFailure> {
    let (payload, overrides) = request_body(plan, integration.passthrough, content_type, scope)?;
    let mut request = IntegrationRequest {
        payload,
        path_parameters: scope.input.path.clone(),
        ..IntegrationRequest::default()
    };
    let mapped = plan
        .request_parameters
        .iter()
        .filter_map(|(to, from)| Some((to.place, to.name.clone(), value_of(from, scope, None)?)));
    let overridden = [
        (Place::Header, overrides.header),
        (Place::QueryString, overrides.querystring),
        (Place::Path, overrides.path),
    ]
    .into_iter()
    .flat_map(|(place, pairs)| pairs.into_iter().map(move |(k, v)| (place, k, v)));
    for (place, name, value) in mapped.chain(overridden) {
        match place {
            Place::Header => {
                if let (Ok(name), Ok(value)) = (
                    http::HeaderName::from_bytes(name.as_bytes()),
                    HeaderValue::from_str(&value),
                ) {
                    request.headers.insert(name, value);
                }
            }
            Place::QueryString => {
                request.query.retain(|(k, _)| *k != name);
                request.query.push((name, value));
            }
            Place::Path => {
                request.path_parameters.retain(|(k, _)| *k != name);
                request.path_parameters.push((name, value));
            }
        }
    }
    Ok(request)
}

/// The integration request's body: the request template for the body's content type,
/// rendered, or the body itself when passthrough allows it.
fn request_body(
    plan: &MethodPlan,
    passthrough: Passthrough,
    content_type: Option<&str>,
    scope: &TemplateScope<'_>,
) -> Result<(String, Overrides), RequestFailure> {
    let templates = &plan.request_templates;
    let Some(template) = templates.get(&media_type(content_type)) else {
        let passes = match passthrough {
            Passthrough::WhenNoMatch => true,
            Passthrough::WhenNoTemplates => templates.is_empty(),
            Passthrough::Never => false,
        };
        return match passes {
            true => Ok((scope.input.body.clone(), Overrides::default())),
            false => Err(RequestFailure::UnsupportedMediaType),
        };
    };
    let (body, context) = scope
        .render(template, &scope.input)
        .map_err(RequestFailure::Template)?;
    Ok((body, Overrides::read(&context["requestOverride"])))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::doors::rest::mapping::tests::scope;
    use portico_config::rest::{Parameter, Source};
    use portico_vtl::Template;

    fn plan(templates: &[(&str, &str)]) -> MethodPlan {
        MethodPlan {
            request_templates: templates
                .iter()
                .map(|(k, v)| (k.to_string(), Template::parse(v).unwrap()))
                .collect(),
            ..MethodPlan::default()
        }
    }

    fn body_of(
        plan: &MethodPlan,
        passthrough: Passthrough,
        content_type: Option<&str>,
        scope: &TemplateScope<'_>,
    ) -> Result<String, RequestFailure> {
        request_body(plan, passthrough, content_type, scope).map(|(body, _)| body)
    }

    #[test]
    fn request_templates_are_chosen_by_content_type_and_passthrough_decides_the_rest() {
        let json = r#"{"id": "$input.params('id')", "name": $input.json('$.name'), "stage": "$context.stage"}"#;
        let only_json = plan(&[("application/json", json)]);
        let scope = scope(r#"{"name": "Rex"}"#);
        let when_no_match = Passthrough::WhenNoMatch;
        assert_eq!(
            body_of(
                &only_json,
                when_no_match,
                Some("application/json; charset=utf-8"),
                &scope
            ),
            Ok(r#"{"id": "7", "name": "Rex", "stage": "prod"}"#.to_string())
        );
        // No content type is application/json.
        assert!(body_of(&only_json, when_no_match, None, &scope).is_ok_and(|b| b.contains("Rex")));
        // Another type: passed through when_no_match, refused otherwise.
        assert_eq!(
            body_of(&only_json, when_no_match, Some("text/plain"), &scope),
            Ok(r#"{"name": "Rex"}"#.to_string())
        );
        for passthrough in [Passthrough::WhenNoTemplates, Passthrough::Never] {
            assert_eq!(
                body_of(&only_json, passthrough, Some("text/plain"), &scope),
                Err(RequestFailure::UnsupportedMediaType)
            );
        }
        let none = plan(&[]);
        assert!(
            body_of(
                &none,
                Passthrough::WhenNoTemplates,
                Some("text/plain"),
                &scope
            )
            .is_ok()
        );
        assert_eq!(
            body_of(&none, Passthrough::Never, Some("text/plain"), &scope),
            Err(RequestFailure::UnsupportedMediaType)
        );
    }

    #[test]
    fn parameters_are_mapped_and_the_templates_overrides_win() {
        let mut method = plan(&[(
            "application/json",
            "#set($context.requestOverride.header.xb = 'over')#set($context.requestOverride.querystring.q = 'o')body",
        )]);
        let target = |to: &str| Parameter::parse("integration.request.", to).unwrap();
        let source = |from: &str| Source::parse(from).unwrap();
        method.request_parameters = vec![
            (
                target("integration.request.header.x-a"),
                source("method.request.header.x-trace"),
            ),
            (target("integration.request.header.xb"), source("'static'")),
            (
                target("integration.request.querystring.q"),
                source("method.request.querystring.q"),
            ),
            (target("integration.request.path.id"), source("'8'")),
            (
                target("integration.request.header.x-none"),
                source("method.request.header.nope"),
            ),
        ];
        let integration = portico_config::rest::RestIntegration {
            kind: portico_config::rest::IntegrationKind::Mock,
            request_parameters: Vec::new(),
            request_templates: Default::default(),
            passthrough: Passthrough::WhenNoMatch,
            content_handling: None,
            timeout: None,
            responses: Vec::new(),
            cache_key_parameters: Vec::new(),
            stream: false,
        };
        let mut scope = scope("");
        // As a method request's scope has it, for templates to set.
        scope.context["requestOverride"] =
            serde_json::json!({"header": {}, "querystring": {}, "path": {}});
        let request = integration_request(&method, &integration, None, &scope).unwrap();
        assert_eq!(request.payload, "body");
        assert_eq!(request.headers["x-a"], "t-1");
        assert_eq!(request.headers["xb"], "over");
        assert!(!request.headers.contains_key("x-none"));
        assert_eq!(request.query, [("q".to_string(), "o".to_string())]);
        assert_eq!(
            request.path_parameters,
            [("id".to_string(), "8".to_string())]
        );
    }
}
