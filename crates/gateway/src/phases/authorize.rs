//! Authorize: who may call. Function URLs with `auth: none` let everyone in.

use portico_config::{FunctionUrl, UrlAuth};

use crate::ctx::{Flow, RequestCtx};

/// A Function URL's `AuthType`. `aws_iam` is refused until SigV4 verification exists, so
/// that a URL configured as private never serves unsigned requests.
pub fn function_url(ctx: &mut RequestCtx, url: &FunctionUrl) -> Flow {
    match url.auth {
        UrlAuth::None => Flow::Continue,
        UrlAuth::AwsIam => {
            ctx.error = Some("aws_iam auth is not supported yet".into());
            let error = portico_events::ErrorResponse {
                status: 403,
                error_type: Some("AccessDeniedException"),
                content_type: "application/json",
                body: br#"{"Message":"Forbidden. Portico does not verify AWS_IAM (SigV4) Function URL auth yet; set `auth: none` on this URL."}"#.to_vec(),
                retry_after: None,
            };
            Flow::Respond(crate::error::render(&error, &ctx.request_id))
        }
    }
}
