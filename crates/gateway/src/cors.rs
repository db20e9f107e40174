//! CORS as Function URLs and HTTP APIs do it: preflights answered without invoking the
//! function, and the configured headers added to every response, overriding the function's.

use http::{HeaderMap, HeaderValue, Method, Response, StatusCode, header};
use portico_config::Cors;

use crate::body::Body;
use crate::ctx::RequestCtx;

/// The origin to allow for `origin`, if the config allows it.
fn allowed<'a>(cors: &Cors, origin: &'a str) -> Option<&'a str> {
    if cors.allow_origins.iter().any(|o| o == "*") {
        Some(if cors.allow_credentials { origin } else { "*" })
    } else if cors
        .allow_origins
        .iter()
        .any(|o| o.eq_ignore_ascii_case(origin))
    {
        Some(origin)
    } else {
        None
    }
}

/// Answers a CORS preflight (`OPTIONS` with `Origin` and `Access-Control-Request-Method`)
/// when CORS is configured, without the phases (`status`: Function URLs answer 200, HTTP
/// APIs 204).
pub fn preflight(
    cors: Option<&Cors>,
    ctx: &RequestCtx,
    status: StatusCode,
) -> Option<Response<Body>> {
    let cors = cors?;
    if ctx.method != Method::OPTIONS || ctx.header("access-control-request-method").is_none() {
        return None;
    }
    let origin = ctx.header("origin")?;
    let mut response = Response::new(Body::empty());
    *response.status_mut() = status;
    let headers = response.headers_mut();
    if allow_origin(cors, origin, headers) {
        set_list(
            headers,
            header::ACCESS_CONTROL_ALLOW_METHODS,
            &cors.allow_methods,
        );
        set_list(
            headers,
            header::ACCESS_CONTROL_ALLOW_HEADERS,
            &cors.allow_headers,
        );
        if let Some(age) = cors.max_age {
            headers.insert(header::ACCESS_CONTROL_MAX_AGE, HeaderValue::from(age));
        }
    }
    Some(response)
}

/// Puts the configured CORS headers on an answer that is not a preflight (Portico's own
/// errors included), replacing any the function set.
pub fn apply(cors: Option<&Cors>, origin: Option<&str>, headers: &mut HeaderMap) {
    let Some(cors) = cors else { return };
    for name in [
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        header::ACCESS_CONTROL_ALLOW_CREDENTIALS,
        header::ACCESS_CONTROL_EXPOSE_HEADERS,
        header::ACCESS_CONTROL_ALLOW_METHODS,
        header::ACCESS_CONTROL_ALLOW_HEADERS,
        header::ACCESS_CONTROL_MAX_AGE,
    ] {
        headers.remove(name);
    }
    if let Some(origin) = origin
        && allow_origin(cors, origin, headers)
    {
        set_list(
            headers,
            header::ACCESS_CONTROL_EXPOSE_HEADERS,
            &cors.expose_headers,
        );
    }
}

/// Allows `origin` (with credentials, and `Vary: Origin` when the answer names it) if the
/// config does; whether it did.
fn allow_origin(cors: &Cors, origin: &str, headers: &mut HeaderMap) -> bool {
    let Some(allow) = allowed(cors, origin) else {
        return false;
    };
    let Ok(value) = HeaderValue::from_str(allow) else {
        return false;
    };
    headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, value);
    if cors.allow_credentials {
        headers.insert(
            header::ACCESS_CONTROL_ALLOW_CREDENTIALS,
            HeaderValue::from_static("true"),
        );
    }
    if allow != "*" {
        headers.append(header::VARY, HeaderValue::from_static("Origin"));
    }
    true
}

/// `name: a,b,c`, unless `values` is empty.
fn set_list(headers: &mut HeaderMap, name: header::HeaderName, values: &[String]) {
    if !values.is_empty()
        && let Ok(value) = HeaderValue::from_str(&values.join(","))
    {
        headers.insert(name, value);
    }
}
