//! Stage access logs, as API Gateway writes them: one line per request in the stage's
//! format, with `$context.<variable>`s filled in (`-` when a value is missing), to standard
//! output or a file that rotates (daily, hourly or never). Written off the request path,
//! by a background writer.

use std::collections::HashMap;
use std::io::Write;

use portico_config::{AccessLog, Rotation};
use portico_observe::batched::{Batched, Flusher, batched};

use http::Response;

use crate::body::Body;
use crate::ctx::RequestCtx;

/// The access logs of every stage that has one, by API and stage.
#[derive(Default)]
pub struct StageLogs {
    /// API → stage → its sink; looked up by borrowed names, so a request to a stage
    /// without an access log costs no allocation.
    sinks: HashMap<String, HashMap<String, Sink>>,
}

struct Sink {
    format: String,
    /// A sender to the background writer; a clone per line, so no lock is held.
    writer: Batched,
    /// Flushes the writer when Portico stops.
    _flusher: Flusher,
}

impl StageLogs {
    /// Opens the sinks of `stages` (API name → stage name → its access log).
    pub fn open<'a>(
        stages: impl IntoIterator<Item = (&'a str, &'a str, &'a AccessLog)>,
    ) -> Result<StageLogs, Vec<String>> {
        let mut logs = StageLogs::default();
        let mut errors = Vec::new();
        for (api, stage, log) in stages {
            let thread = format!("access-log-{api}-{stage}");
            let opened = match &log.file {
                None => batched(std::io::stdout(), &thread),
                Some(file) => {
                    let (Some(dir), Some(name)) = (file.parent(), file.file_name()) else {
                        errors.push(format!(
                            "API `{api}`, stage `{stage}`: `{}` is not a file path",
                            file.display()
                        ));
                        continue;
                    };
                    if let Err(e) = std::fs::create_dir_all(dir) {
                        errors.push(format!(
                            "API `{api}`, stage `{stage}`: cannot create {}: {e}",
                            dir.display()
                        ));
                        continue;
                    }
                    let appender = match log.rotation {
                        Rotation::Daily => tracing_appender::rolling::daily(dir, name),
                        Rotation::Hourly => tracing_appender::rolling::hourly(dir, name),
                        Rotation::Never => tracing_appender::rolling::never(dir, name),
                    };
                    batched(appender, &thread)
                }
            };
            let (writer, flusher) = match opened {
                Ok(opened) => opened,
                Err(e) => {
                    errors.push(format!(
                        "API `{api}`, stage `{stage}`: cannot start the access log's writer: {e}"
                    ));
                    continue;
                }
            };
            logs.sinks.entry(api.to_string()).or_default().insert(
                stage.to_string(),
                Sink {
                    format: log.format.clone(),
                    writer,
                    _flusher: flusher,
                },
            );
        }
        if errors.is_empty() {
            Ok(logs)
        } else {
            Err(errors)
        }
    }

    /// Writes the line of the request, answered with `response` (having failed for
    /// `failure`), if its API's stage has an access log.
    pub fn write(
        &self,
        api: &str,
        ctx: &RequestCtx,
        response: &Response<Body>,
        failure: Option<&str>,
    ) {
        let Some((stage, _)) = &ctx.route else { return };
        self.write_line(api, stage, |name| value(ctx, response, failure, name));
    }

    /// Writes a line, each `$context` variable's value told by `value`, if `api`'s `stage`
    /// has an access log (a WebSocket event's, which has no HTTP request of its own).
    pub fn write_line(&self, api: &str, stage: &str, value: impl Fn(&str) -> Option<String>) {
        let Some(sink) = self.sinks.get(api).and_then(|stages| stages.get(stage)) else {
            return;
        };
        let mut line = render(&sink.format, value);
        line.push('\n');
        let _ = sink.writer.clone().write_all(line.as_bytes());
    }
}

/// `format` with each `$context.<name>` replaced by `value(name)`, or `-` without one.
pub fn render(format: &str, value: impl Fn(&str) -> Option<String>) -> String {
    const PREFIX: &str = "$context.";
    let mut out = String::with_capacity(format.len() + 64);
    let mut rest = format;
    while let Some(start) = rest.find(PREFIX) {
        out.push_str(&rest[..start]);
        let after = &rest[start + PREFIX.len()..];
        let end = after
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '.' || c == '_' || c == '-'))
            .unwrap_or(after.len());
        // A trailing `.` ends a sentence, not a name.
        let name = after[..end].trim_end_matches('.');
        out.push_str(&value(name).unwrap_or_else(|| "-".to_string()));
        rest = &after[name.len()..];
    }
    out.push_str(rest);
    out
}

/// A `$context` variable of the request, as API Gateway names them.
fn value(
    ctx: &RequestCtx,
    response: &Response<Body>,
    failure: Option<&str>,
    name: &str,
) -> Option<String> {
    let ms = |d: std::time::Duration| (d.as_millis() as u64).to_string();
    Some(match name {
        // The id the API answered with: `apigw-requestid` for HTTP APIs, `x-amzn-RequestId`
        // for REST APIs.
        "requestId" => ctx.answered_id().to_string(),
        "extendedRequestId" => ctx.request_id.clone(),
        "httpMethod" => ctx.method.to_string(),
        "path" => ctx.path_as_received.clone(),
        "protocol" => ctx.protocol.to_string(),
        "status" => response.status().as_u16().to_string(),
        "responseLength" => http_body::Body::size_hint(response.body())
            .exact()?
            .to_string(),
        "requestTime" => portico_events::time::clf(ctx.received),
        "requestTimeEpoch" => portico_events::time::epoch_ms(ctx.received).to_string(),
        "identity.sourceIp" => ctx.remote.ip().to_string(),
        "identity.userAgent" => ctx.header("user-agent")?.to_string(),
        "routeKey" | "resourcePath" => {
            Some(ctx.route.as_ref()?.1.clone()).filter(|r| !r.is_empty())?
        }
        "stage" => ctx.route.as_ref()?.0.clone(),
        "integrationLatency" => ms(ctx.timeline.integration_latency()?),
        "responseLatency" => ms(ctx.started.elapsed()),
        "error.message" => failure?.to_string(),
        "xrayTraceId" => ctx.trace_id.clone(),
        other => {
            // `authorizer.<key>`: a Lambda authorizer's context, or a JWT's claims.
            let key = other.strip_prefix("authorizer.")?;
            let authorizer = ctx.authorizer.as_ref()?;
            let found = key
                .split('.')
                .try_fold(authorizer, |v, k| v.get(k))
                .or_else(|| authorizer.as_object()?.values().find_map(|v| v.get(key)))?;
            match found {
                serde_json::Value::String(s) => s.clone(),
                serde_json::Value::Null => return None,
                other => other.to_string(),
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn variables_are_filled_in_and_missing_ones_are_dashes() {
        let value = |name: &str| match name {
            "requestId" => Some("id-1".to_string()),
            "status" => Some("200".to_string()),
            _ => None,
        };
        assert_eq!(
            render(
                r#"{"requestId":"$context.requestId","status":"$context.status","x":"$context.nope"}"#,
                value
            ),
            r#"{"requestId":"id-1","status":"200","x":"-"}"#
        );
        assert_eq!(
            render("$context.requestId $context.status. done", value),
            "id-1 200. done"
        );
    }
}

#[cfg(test)]
mod file_tests {
    use super::*;

    #[test]
    fn a_file_sink_gets_one_line_per_request() {
        let dir = tempfile::tempdir().unwrap();
        let log = AccessLog {
            format: "$context.requestId $context.httpMethod $context.status $context.stage".into(),
            file: Some(dir.path().join("logs/access.log")),
            rotation: Rotation::Never,
        };
        let logs = StageLogs::open([("shop", "prod", &log)]).unwrap();
        let (parts, ()) = http::Request::get("/prod/items")
            .body(())
            .unwrap()
            .into_parts();
        let mut ctx = RequestCtx::new(
            parts,
            "/prod/items".into(),
            "127.0.0.1:9".parse().unwrap(),
            3000,
            portico_observe::Target::http_api("shop"),
        );
        ctx.route = Some(("prod".into(), "GET /items".into()));
        ctx.apigw_request_id = Some("r-1".into());
        let response = Response::new(Body::full(bytes::Bytes::from_static(b"ok")));
        logs.write("shop", &ctx, &response, None);
        logs.write("other", &ctx, &response, None);
        drop(logs); // flushes the writer
        let written = std::fs::read_to_string(dir.path().join("logs/access.log")).unwrap();
        assert_eq!(written, "r-1 GET 200 prod\n");
    }
}
