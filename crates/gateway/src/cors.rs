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
/// with `status` (Function URLs answer 200, HTTP APIs 204).
pub fn preflight(cors: &Cors, ctx: &RequestCtx, status: StatusCode) -> Option<Response<Body>> {
    if ctx.method != Method::OPTIONS || ctx.header("access-control-request-method").is_none() {
        return None;
    }
    let origin = ctx.header("origin")?;
    let mut response = Response::new(Body::empty());
    *response.status_mut() = status;
    let headers = response.headers_mut();
    if let Some(allow) = allowed(cors, origin) {
        set(headers, header::ACCESS_CONTROL_ALLOW_ORIGIN, allow);
        if !cors.allow_methods.is_empty() {
            set(
                headers,
                header::ACCESS_CONTROL_ALLOW_METHODS,
                &cors.allow_methods.join(","),
            );
        }
        if !cors.allow_headers.is_empty() {
            set(
                headers,
                header::ACCESS_CONTROL_ALLOW_HEADERS,
                &cors.allow_headers.join(","),
            );
        }
        if cors.allow_credentials {
            set(headers, header::ACCESS_CONTROL_ALLOW_CREDENTIALS, "true");
        }
        if let Some(age) = cors.max_age {
            set(headers, header::ACCESS_CONTROL_MAX_AGE, &age.to_string());
        }
        if allow != "*" {
            headers.append(header::VARY, HeaderValue::from_static("Origin"));
        }
    }
    Some(response)
}

/// Puts the configured CORS headers on a response, replacing any the function set.
pub fn apply(cors: &Cors, origin: Option<&str>, headers: &mut HeaderMap) {
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
    let Some(allow) = origin.and_then(|o| allowed(cors, o)) else {
        return;
    };
    set(headers, header::ACCESS_CONTROL_ALLOW_ORIGIN, allow);
    if cors.allow_credentials {
        set(headers, header::ACCESS_CONTROL_ALLOW_CREDENTIALS, "true");
    }
    if !cors.expose_headers.is_empty() {
        set(
            headers,
            header::ACCESS_CONTROL_EXPOSE_HEADERS,
            &cors.expose_headers.join(","),
        );
    }
    if allow != "*" {
        headers.append(header::VARY, HeaderValue::from_static("Origin"));
    }
}

fn set(headers: &mut HeaderMap, name: header::HeaderName, value: &str) {
    if let Ok(v) = HeaderValue::from_str(value) {
        headers.insert(name, v);
    }
}
