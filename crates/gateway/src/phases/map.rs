//! Map: the request becomes the event the function receives.

use bytes::Bytes;
use portico_events::http_v1::Flavor;
use portico_events::http_v2::{self, Endpoint, RequestInfo};

use portico_config::Function;

use crate::ctx::{Flow, RequestCtx};
use crate::refusal::{Kind, Refusal};

/// Function URLs have no stage, hence no stage variables.
static NO_VARIABLES: std::collections::BTreeMap<String, String> = std::collections::BTreeMap::new();

/// The Function URL event (payload format 2.0, `routeKey` `$default`), within the
/// function's payload limit.
pub fn function_url(ctx: &mut RequestCtx, function: &Function, account_id: &str) -> Flow {
    let name = function.name.as_str();
    let request_id = ctx.request_id.clone();
    let authorizer = ctx.authorizer.take();
    let endpoint = Target {
        api_id: name,
        route_key: "$default",
        stage: "$default",
        path_parameters: &[],
        stage_variables: &NO_VARIABLES,
        request_id: &request_id,
        format: Format::V2,
        authorizer: authorizer.as_ref(),
    };
    lambda_event(ctx, &endpoint, account_id, function.limits.sync_payload)
}

/// An API's Lambda proxy event (an HTTP API route's 2.0 or 1.0, a REST method's REST
/// 1.0, as `target` says), within the function's payload limit.
pub fn api(
    ctx: &mut RequestCtx,
    target: &Target<'_>,
    function: &Function,
    account_id: &str,
) -> Flow {
    lambda_event(ctx, target, account_id, function.limits.sync_payload)
}

/// Where a 2.0 event is going: the parts of `requestContext` that differ between doors.
pub struct Target<'a> {
    pub api_id: &'a str,
    pub route_key: &'a str,
    pub stage: &'a str,
    pub path_parameters: &'a [(String, String)],
    pub stage_variables: &'a std::collections::BTreeMap<String, String>,
    /// `requestContext.requestId`.
    pub request_id: &'a str,
    /// The event's format, and for 1.0 the route's path template (`resource`).
    pub format: Format<'a>,
    /// `requestContext.authorizer`, from the authorize phase.
    pub authorizer: Option<&'a serde_json::Value>,
}

/// Which Lambda proxy event to build.
#[derive(Debug, Clone, Copy)]
pub enum Format<'a> {
    V2,
    V1 {
        resource: &'a str,
    },
    /// A REST API's Lambda proxy event (1.0, REST's flavor); `binary`: the body's content
    /// type is one of the API's binary media types.
    Rest {
        resource: &'a str,
        binary: bool,
    },
}

/// The event, refused beyond the function's payload limit.
fn lambda_event(
    ctx: &mut RequestCtx,
    target: &Target<'_>,
    account_id: &str,
    limit: Option<usize>,
) -> Flow {
    let event = build(ctx, target, account_id, &ctx.body);
    if portico_config::limits::exceeds(event.len(), limit) {
        return Flow::Refuse(Refusal::new(Kind::TooLarge { limit }, "event too large"));
    }
    ctx.event = Bytes::from(event);
    Flow::Continue
}

/// The event for `target` in its format, with `body`.
fn build(ctx: &RequestCtx, target: &Target<'_>, account_id: &str, body: &[u8]) -> Vec<u8> {
    let host = ctx.header("host").unwrap_or("localhost");
    let domain = host.rsplit_once(':').map_or(host, |(h, _)| h).to_string();
    let added = [
        ("x-amzn-trace-id", ctx.trace_id.clone()),
        ("x-forwarded-for", ctx.remote.ip().to_string()),
        ("x-forwarded-port", ctx.local_port.to_string()),
        ("x-forwarded-proto", "http".to_string()),
    ];
    let source_ip = ctx.remote.ip().to_string();
    let info = RequestInfo {
        method: ctx.method.as_str(),
        path: &ctx.path,
        query: &ctx.query,
        headers: &ctx.headers,
        added_headers: &added,
        protocol: ctx.protocol,
        source_ip: &source_ip,
        body,
        request_id: target.request_id,
        time: ctx.received,
    };
    let endpoint = Endpoint {
        account_id,
        api_id: target.api_id,
        domain_name: &domain,
        domain_prefix: target.api_id,
        route_key: target.route_key,
        stage: target.stage,
        path_parameters: target.path_parameters,
        stage_variables: target.stage_variables,
        authorizer: target.authorizer,
    };
    match target.format {
        Format::V2 => http_v2::event(&info, &endpoint),
        Format::V1 { resource } => {
            portico_events::http_v1::event(&info, &endpoint, resource, Flavor::HttpApi)
        }
        Format::Rest { resource, binary } => {
            portico_events::http_v1::event(&info, &endpoint, resource, Flavor::Rest { binary })
        }
    }
}

/// A Lambda authorizer's event (`type: REQUEST`, payload format 2.0 or 1.0): the request without
/// its body, the route's ARN and the identity sources' values.
pub fn authorizer_event(
    ctx: &RequestCtx,
    target: &Target<'_>,
    route: &portico_config::Route,
    format: portico_config::PayloadFormat,
    account_id: &str,
    route_arn: &str,
    identity: &[String],
) -> Bytes {
    let v1 = format == portico_config::PayloadFormat::V1;
    let target = Target {
        format: if v1 {
            Format::V1 {
                resource: route.key.path_template(),
            }
        } else {
            Format::V2
        },
        ..*target
    };
    let event = build(ctx, &target, account_id, b"");
    let mut event: serde_json::Value = serde_json::from_slice(&event).unwrap_or_default();
    if let Some(fields) = event.as_object_mut() {
        fields.insert("type".into(), "REQUEST".into());
        if v1 {
            // The REST request authorizer's names: `methodArn`, one comma-joined identity.
            fields.insert("methodArn".into(), route_arn.into());
            fields.insert("identitySource".into(), identity.join(",").into());
        } else {
            fields.insert("routeArn".into(), route_arn.into());
            fields.insert("identitySource".into(), identity.into());
        }
    }
    Bytes::from(serde_json::to_vec(&event).unwrap_or_default())
}

/// A REST Lambda authorizer's `REQUEST` event: REST's 1.0 event without the body, with
/// `type` and the `methodArn` asked about.
pub fn rest_authorizer_event(
    ctx: &RequestCtx,
    target: &Target<'_>,
    account_id: &str,
    method_arn: &str,
) -> Bytes {
    let event = build(ctx, target, account_id, b"");
    let mut event: serde_json::Value = serde_json::from_slice(&event).unwrap_or_default();
    if let Some(fields) = event.as_object_mut() {
        fields.insert("type".into(), "REQUEST".into());
        fields.insert("methodArn".into(), method_arn.into());
        fields.remove("body");
        fields.remove("isBase64Encoded");
    }
    Bytes::from(serde_json::to_vec(&event).unwrap_or_default())
}
