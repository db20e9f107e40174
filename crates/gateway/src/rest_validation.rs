//! REST request validation: a method's validator checks that its required parameters are
//! present and that the body matches the model (JSON Schema draft 4) for its content type,
//! answering 400 as API Gateway does. Models are compiled once, when the gateway is built.

use std::collections::{BTreeMap, HashMap};

use portico_config::rest::{Method, RestApi};
use portico_events::GatewayResponse;

use crate::ctx::RequestCtx;

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
    pub fn check(
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
            let media = crate::rest_mapping::media_type(ctx.header("content-type"));
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
