//! Validate: the request body, read whole within the payload limit; and a REST method's
//! request validator: its required parameters present, its body matching the model (JSON
//! Schema draft 4) for its content type, answered with 400 as API Gateway does. Models are
//! compiled once, when the gateway is built.

use std::collections::{BTreeMap, HashMap};

use portico_config::rest::{Method, RestApi};
use portico_events::GatewayResponse;
use portico_runtime::body::{ReadError, read};

use crate::ctx::{Flow, RequestCtx};
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

/// A REST method's request validator, if it has one; a refusal carries the validation error
/// string (`$context.error.validationErrorString`) as its reason.
pub fn rest_api(
    ctx: &RequestCtx,
    models: &Models,
    api: &RestApi,
    method: &Method,
    path_parameters: &[(String, String)],
) -> Flow {
    match models.check(ctx, api, method, path_parameters) {
        Ok(()) => Flow::Continue,
        Err((response, why)) => Flow::Refuse(Refusal::rest(response, why)),
    }
}

/// Every model of every REST API, compiled, by API and model name.
#[derive(Default)]
pub struct Models {
    compiled: HashMap<(String, String), jsonschema::Validator>,
}

impl Models {
    /// Compiles every model; `Err` lists each that is not a draft 4 schema.
    pub fn compile(apis: &BTreeMap<String, RestApi>) -> Result<Models, Vec<String>> {
        let mut models = Models::default();
        let mut errors = Vec::new();
        for api in apis.values() {
            for (name, schema) in &api.models {
                match jsonschema::draft4::new(schema) {
                    Ok(validator) => {
                        models
                            .compiled
                            .insert((api.name.clone(), name.clone()), validator);
                    }
                    Err(e) => errors.push(format!(
                        "REST API `{}`: model `{name}` is not a JSON Schema (draft 4): {e}",
                        api.name
                    )),
                }
            }
        }
        if errors.is_empty() {
            Ok(models)
        } else {
            Err(errors)
        }
    }

    /// Checks the request (its body already read into `ctx.body`) as `method`'s validator
    /// asks; `Err` is the gateway response and the validation error string.
    fn check(
        &self,
        ctx: &RequestCtx,
        api: &RestApi,
        method: &Method,
        path_parameters: &[(String, String)],
    ) -> Result<(), (GatewayResponse, String)> {
        let Some(validator) = method
            .validator
            .as_ref()
            .and_then(|v| api.validators.get(v))
        else {
            return Ok(());
        };
        if validator.parameters {
            let missing: Vec<String> = method
                .request_parameters
                .iter()
                .filter(|(_, required)| **required)
                .filter_map(|(name, _)| missing_parameter(ctx, path_parameters, name))
                .collect();
            if !missing.is_empty() {
                let why = format!(
                    "[Missing required request parameters: [{}]]",
                    missing.join(", ")
                );
                return Err((GatewayResponse::BadRequestParameters(missing), why));
            }
        }
        if validator.body {
            let media = crate::doors::rest::mapping::media_type(ctx.header("content-type"));
            let Some(model) = method.request_models.get(&media) else {
                return Ok(());
            };
            let Some(schema) = self.compiled.get(&(api.name.clone(), model.clone())) else {
                return Ok(());
            };
            let body: serde_json::Value = match serde_json::from_slice(&ctx.body) {
                Ok(body) => body,
                Err(e) => {
                    let why = format!("[Invalid JSON in the request body: {e}]");
                    return Err((GatewayResponse::BadRequestBody, why));
                }
            };
            let errors: Vec<String> = schema.iter_errors(&body).map(|e| e.to_string()).collect();
            if !errors.is_empty() {
                let why = format!("[{}]", errors.join(", "));
                return Err((GatewayResponse::BadRequestBody, why));
            }
        }
        Ok(())
    }
}

/// The name of a required parameter (`method.request.querystring.q` and friends) when the
/// request lacks it.
fn missing_parameter(
    ctx: &RequestCtx,
    path_parameters: &[(String, String)],
    declared: &str,
) -> Option<String> {
    let name = ["querystring.", "header.", "path."]
        .iter()
        .find_map(|place| {
            declared
                .strip_prefix("method.request.")?
                .strip_prefix(place)
        })?;
    let present = ctx
        .method_request(path_parameters, declared)
        .is_some_and(|v| !v.is_empty() || !declared.starts_with("method.request.path."));
    (!present).then(|| name.to_string())
}
