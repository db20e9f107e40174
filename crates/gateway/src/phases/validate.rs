//! Validate: the request body, read whole within the payload limit; and a REST method's
//! request validator: its required parameters present, its body matching the model (JSON
//! Schema draft 4) for its content type, answered with 400 as API Gateway does. Models are
//! compiled once, into the method's plan.

use portico_config::rest::Place;
use portico_events::GatewayResponse;
use portico_runtime::body::{ReadError, read};

use crate::ctx::{Flow, RequestCtx};
use crate::phases::resolve::RestTarget;
use crate::refusal::{Kind, Refusal};

/// Reads the body into the context; over the limit, or broken off, the request is refused
/// (each door answers in its shape: a 413, a 400).
pub async fn body<B>(ctx: &mut RequestCtx, body: B, limit: Option<usize>) -> Flow
where
    B: http_body::Body<Data = bytes::Bytes>,
{
    match read(body, limit).await {
        Ok(bytes) => {
            ctx.body = bytes;
            Flow::Continue
        }
        Err(ReadError::TooLarge) => Flow::Refuse(Refusal::new(
            Kind::TooLarge { limit },
            "request body too large",
        )),
        Err(ReadError::Broken) => Flow::Refuse(Refusal::new(
            Kind::BrokenBody,
            "the client broke off the request body",
        )),
    }
}

/// A REST method's request validator, if it has one: its required parameters present (a
/// path parameter also not empty), then the body valid JSON matching the model for its
/// content type. A refusal carries the validation error string
/// (`$context.error.validationErrorString`) as its reason.
pub fn rest_api(ctx: &RequestCtx, target: &RestTarget<'_>) -> Flow {
    let Some(validator) = &target.plan.validator else {
        return Flow::Continue;
    };
    let missing: Vec<String> = validator
        .required
        .iter()
        .filter(|p| {
            !ctx.parameter(p, &target.path_parameters)
                .is_some_and(|v| !v.is_empty() || p.place != Place::Path)
        })
        .map(|p| p.name.clone())
        .collect();
    if !missing.is_empty() {
        let why = format!(
            "[Missing required request parameters: [{}]]",
            missing.join(", ")
        );
        return Flow::Refuse(Refusal::rest(
            GatewayResponse::BadRequestParameters(missing),
            why,
        ));
    }
    // A body of a type without its own model is checked against the `$default` one.
    let media = crate::doors::rest::mapping::media_type(ctx.header("content-type"));
    let model = validator.models.get(&media);
    let Some(schema) = model.or_else(|| validator.models.get("$default")) else {
        return Flow::Continue;
    };
    let body: serde_json::Value = match serde_json::from_slice(&ctx.body) {
        Ok(body) => body,
        Err(e) => {
            let why = format!("[Invalid JSON in the request body: {e}]");
            return Flow::Refuse(Refusal::rest(GatewayResponse::BadRequestBody, why));
        }
    };
    let errors: Vec<String> = schema.iter_errors(&body).map(|e| e.to_string()).collect();
    if errors.is_empty() {
        Flow::Continue
    } else {
        let why = format!("[{}]", errors.join(", "));
        Flow::Refuse(Refusal::rest(GatewayResponse::BadRequestBody, why))
    }
}
