//! Map: the request becomes the event the function receives.

use bytes::Bytes;
use portico_events::http_v2::{self, Endpoint, RequestInfo};

use portico_config::Function;

use crate::ctx::{Flow, RequestCtx};

/// The Function URL event (payload format 2.0, `routeKey` `$default`), within the
/// function's payload limit.
pub fn function_url(ctx: &mut RequestCtx, function: &Function, account_id: &str) -> Flow {
    let name = function.name.as_str();
    let limit = function.limits.sync_payload;
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
        body: &ctx.body,
        request_id: &ctx.request_id,
        time: ctx.received,
    };
    let endpoint = Endpoint {
        account_id,
        api_id: name,
        domain_name: &domain,
        domain_prefix: name,
        route_key: "$default",
        stage: "$default",
    };
    let event = http_v2::event(&info, &endpoint);
    if portico_config::limits::exceeds(event.len(), limit) {
        ctx.error = Some("event too large".into());
        return crate::phases::validate::too_large(ctx, limit.unwrap_or_default());
    }
    ctx.event = Bytes::from(event);
    Flow::Continue
}
