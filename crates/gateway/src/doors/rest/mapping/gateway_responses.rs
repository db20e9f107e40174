//! The gateway's own answers, as a REST API customises them: a refusal's gateway response
//! type (or `DEFAULT_4XX` / `DEFAULT_5XX`) with its status, `gatewayresponse.header.*`
//! mappings and body template, which sees `$context.error.message`, `.messageString`,
//! `.responseType` and `.validationErrorString`.

use std::collections::BTreeMap;

use http::{HeaderValue, Response};
use portico_events::GatewayResponse;

use super::plan::ApiPlan;
use super::{TemplateScope, request_input, value_of};
use crate::body::Body;
use crate::ctx::RequestCtx;

/// The customised answer for `refusal`; `None` when the API does not customise it (or its
/// template fails, which is logged), for the default.
pub fn gateway_response(
    api_name: &str,
    plan: &ApiPlan,
    ctx: &RequestCtx,
    refusal: &GatewayResponse,
    validation: Option<&str>,
) -> Option<Response<Body>> {
    static NO_VARIABLES: BTreeMap<String, String> = BTreeMap::new();
    let default = refusal.response();
    let family = if default.status >= 500 {
        "DEFAULT_5XX"
    } else {
        "DEFAULT_4XX"
    };
    let custom = plan
        .gateway_responses
        .get(refusal.kind())
        .or_else(|| plan.gateway_responses.get(family))?;
    let message = serde_json::Value::from(refusal.message());
    let scope = TemplateScope {
        input: request_input(ctx, Vec::new()),
        context: serde_json::json!({
            "requestId": ctx.request_id,
            "httpMethod": ctx.method.as_str(),
            "path": ctx.path,
            "identity": {"sourceIp": ctx.remote.ip().to_string()},
            "error": {
                "messageString": message.to_string(),
                "message": message,
                "responseType": refusal.kind(),
                "validationErrorString": validation,
            },
        }),
        stage_variables: &NO_VARIABLES,
    };
    let body = match &custom.template {
        Some(template) => match scope.render(template, &scope.input) {
            Ok((body, _)) => body.into_bytes(),
            Err(why) => {
                tracing::warn!(
                    "REST API `{api_name}`: the {} gateway response template failed ({why}); \
                     answering with the default",
                    refusal.kind()
                );
                return None;
            }
        },
        None => default.body.clone(),
    };
    let mut response = Response::new(Body::full(body));
    *response.status_mut() = http::StatusCode::from_u16(custom.status.unwrap_or(default.status))
        .unwrap_or(http::StatusCode::INTERNAL_SERVER_ERROR);
    let headers = response.headers_mut();
    headers.insert(
        http::header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    if let Some(kind) = default.error_type {
        headers.insert("x-amzn-errortype", HeaderValue::from_static(kind));
    }
    for (name, source) in &custom.headers {
        if let Some(Ok(value)) = value_of(source, &scope, None).map(|v| HeaderValue::from_str(&v)) {
            headers.insert(name.clone(), value);
        }
    }
    Some(response)
}
