//! The Invoke API, driven by boto3 exactly as an app calls AWS.

use serde_json::{Value, json};

use crate::harness::Portico;

const FUNCTIONS: &str = r#"
functions:
  echo: {runtime: python3.12, handler: app.echo, code: "@fixtures/python"}
  logs: {runtime: python3.12, handler: app.logs, code: "@fixtures/python"}
  fail: {runtime: python3.12, handler: app.fail, code: "@fixtures/python"}
  context: {runtime: python3.12, handler: app.context_info, code: "@fixtures/python", memory: 256, environment: {GREETING: hi}}
  plain: {runtime: nodejs20.x, handler: stream.plain, code: "@fixtures/node"}
  failing: {runtime: nodejs20.x, handler: stream.failing, code: "@fixtures/node"}
  stuck: {runtime: nodejs20.x, handler: stream.handler, code: "@fixtures/node", timeout: 1}
"#;

#[tokio::test]
async fn boto3_invokes_synchronously_by_name_and_by_arn() {
    let p = Portico::start(FUNCTIONS);
    let sync = p.python("boto3_lambda.py", &["sync"]);
    assert_eq!(sync["StatusCode"], 200);
    assert_eq!(sync["FunctionError"], Value::Null);
    assert_eq!(sync["ExecutedVersion"], "$LATEST");
    assert_eq!(
        serde_json::from_str::<Value>(sync["Payload"].as_str().unwrap()).unwrap(),
        json!({"hello": "boto3"})
    );
    let arn = p.python("boto3_lambda.py", &["arn"]);
    assert_eq!(arn["Payload"], r#"{"a": 1}"#);
}

#[tokio::test]
async fn boto3_event_and_dry_run_invocations() {
    let p = Portico::start(FUNCTIONS);
    let event = p.python("boto3_lambda.py", &["event"]);
    assert_eq!(event["StatusCode"], 202);
    // The queued invocation runs after the 202.
    p.wait_for_log("END RequestId");
    let dry = p.python("boto3_lambda.py", &["dryrun"]);
    assert_eq!(dry["StatusCode"], 204);
    assert_eq!(dry["Payload"], "");
}

#[tokio::test]
async fn boto3_gets_the_log_tail() {
    let p = Portico::start(FUNCTIONS);
    let tail = p.python("boto3_lambda.py", &["tail"]);
    let log = tail["Log"].as_str().unwrap();
    let start = log.find("START RequestId: ").expect(log);
    let printed = log.find("printed by the function").expect(log);
    let warned = log.find("warned").expect(log);
    let end = log.find("END RequestId: ").expect(log);
    let report = log.find("REPORT RequestId: ").expect(log);
    assert!(
        start < printed && printed < warned && warned < end && end < report,
        "{log}"
    );
    assert!(
        log.contains("\tBilled Duration: ") && log.contains("\tMemory Size: 128 MB\t"),
        "{log}"
    );
}

#[tokio::test]
async fn boto3_sees_function_errors_as_unhandled() {
    let p = Portico::start(FUNCTIONS);
    let error = p.python("boto3_lambda.py", &["error"]);
    assert_eq!(error["StatusCode"], 200);
    assert_eq!(error["FunctionError"], "Unhandled");
    let payload: Value = serde_json::from_str(error["Payload"].as_str().unwrap()).unwrap();
    assert_eq!(payload["errorType"], "ValueError");
    assert_eq!(payload["errorMessage"], "something broke");
}

#[tokio::test]
async fn boto3_sees_service_errors_in_aws_shape() {
    let p = Portico::start(FUNCTIONS);
    let rows = [
        ("not-found", "ResourceNotFoundException", 404),
        ("bad-json", "InvalidRequestContentException", 400),
        ("bad-qualifier", "ResourceNotFoundException", 404),
    ];
    for (scenario, code, status) in rows {
        let got = p.python("boto3_lambda.py", &[scenario]);
        assert_eq!(got, json!({"Code": code, "Status": status}), "{scenario}");
    }
}

#[tokio::test]
async fn boto3_lists_and_describes_the_functions() {
    let p = Portico::start(FUNCTIONS);
    let got = p.python("boto3_lambda.py", &["describe"]);
    let names = [
        "context", "echo", "fail", "failing", "logs", "plain", "stuck",
    ];
    assert_eq!(got["names"], json!(names), "{got}");
    assert_eq!(got["paginated"], json!(names));
    assert_eq!(got["pages"], json!([3, 3, 1]));
    // ListFunctions leaves out the state, as AWS does.
    assert_eq!(
        got["listed_state"],
        json!([null, null, null, null, null, null, null])
    );
    let configuration = &got["configuration"];
    assert_eq!(configuration["FunctionName"], "context");
    assert_eq!(
        configuration["FunctionArn"],
        "arn:aws:lambda:us-east-1:000000000000:function:context"
    );
    assert_eq!(configuration["Runtime"], "python3.12");
    assert_eq!(configuration["Handler"], "app.context_info");
    assert_eq!(configuration["MemorySize"], 256);
    assert_eq!(configuration["Timeout"], 3);
    assert_eq!(configuration["Version"], "$LATEST");
    assert_eq!(configuration["State"], "Active");
    assert_eq!(configuration["PackageType"], "Zip");
    assert_eq!(configuration["Environment"]["Variables"]["GREETING"], "hi");
    assert!(
        configuration["CodeSize"].as_u64().unwrap() > 0,
        "{configuration}"
    );
    let modified = configuration["LastModified"].as_str().unwrap();
    assert!(
        modified.ends_with("+0000") && modified.len() == 28,
        "{modified}"
    );
    // The same function, the same description, whichever way it is asked.
    assert_eq!(got["function"]["Configuration"], *configuration);
    assert!(
        got["function"]["Code"]["Location"]
            .as_str()
            .unwrap()
            .ends_with("fixtures/python")
    );
    assert_eq!(
        got["function"]["Concurrency"]["ReservedConcurrentExecutions"],
        10
    );
    let missing = json!({"Code": "ResourceNotFoundException", "Status": 404});
    assert_eq!(got["missing"], missing);
    assert_eq!(got["qualified"], missing);
}

#[tokio::test]
async fn the_function_gets_lambdas_context_and_environment() {
    let p = Portico::start(FUNCTIONS);
    let got = p.python("boto3_lambda.py", &["context"]);
    let ctx: Value = serde_json::from_str(got["Payload"].as_str().unwrap()).unwrap();
    assert_eq!(ctx["function_name"], "context");
    assert_eq!(ctx["function_version"], "$LATEST");
    assert_eq!(
        ctx["invoked_function_arn"],
        "arn:aws:lambda:us-east-1:000000000000:function:context"
    );
    assert_eq!(ctx["memory_limit_in_mb"], "256");
    assert_eq!(ctx["log_group_name"], "/aws/lambda/context");
    assert!(
        ctx["log_stream_name"]
            .as_str()
            .unwrap()
            .contains("/[$LATEST]"),
        "{ctx}"
    );
    assert_eq!(ctx["client_context"]["custom"], json!({"k": "v"}));
    assert_eq!(ctx["client_context"]["client"]["app_title"], "t");
    let remaining = ctx["remaining_ms"].as_u64().unwrap();
    assert!(remaining > 0 && remaining <= 3000, "{remaining}");
    let env = &ctx["env"];
    assert_eq!(env["AWS_LAMBDA_FUNCTION_NAME"], "context");
    assert_eq!(env["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"], "256");
    assert_eq!(env["AWS_REGION"], "us-east-1");
    assert_eq!(env["AWS_EXECUTION_ENV"], "AWS_Lambda_python3.12");
    assert_eq!(env["_HANDLER"], "app.context_info");
    assert_eq!(env["TZ"], ":UTC");
    assert_eq!(env["GREETING"], "hi");
    assert!(
        env["_X_AMZN_TRACE_ID"]
            .as_str()
            .unwrap()
            .starts_with("Root=1-"),
        "{env}"
    );
    assert!(
        env["LAMBDA_TASK_ROOT"]
            .as_str()
            .unwrap()
            .ends_with("fixtures/python")
    );
    // Lambda's variables, the function's own and the machine's search path; nothing else of
    // Portico's environment (which has this test's CARGO_* and HOME).
    let lambdas = [
        "_HANDLER",
        "_X_AMZN_TRACE_ID",
        "AWS_ACCESS_KEY_ID",
        "AWS_DEFAULT_REGION",
        "AWS_ENDPOINT_URL_LAMBDA",
        "AWS_EXECUTION_ENV",
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
        "AWS_LAMBDA_FUNCTION_NAME",
        "AWS_LAMBDA_FUNCTION_VERSION",
        "AWS_LAMBDA_INITIALIZATION_TYPE",
        "AWS_LAMBDA_LOG_GROUP_NAME",
        "AWS_LAMBDA_LOG_STREAM_NAME",
        "AWS_LAMBDA_RUNTIME_API",
        "AWS_REGION",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "AWS_XRAY_CONTEXT_MISSING",
        "GREETING",
        "LAMBDA_RUNTIME_DIR",
        "LAMBDA_TASK_ROOT",
        "LANG",
        "LD_LIBRARY_PATH",
        "PATH",
        "PYTHONDONTWRITEBYTECODE",
        "PYTHONUNBUFFERED",
        "TZ",
        // Python sets it itself when the machine lacks LANG's locale.
        "LC_CTYPE",
        // Portico's own, as AWS_ENDPOINT_URL_LAMBDA is: the SDKs trust its https://.
        "AWS_CA_BUNDLE",
        "NODE_EXTRA_CA_CERTS",
    ];
    let names: Vec<&str> = ctx["env_names"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n.as_str().unwrap())
        .collect();
    let unexpected: Vec<&&str> = names.iter().filter(|n| !lambdas.contains(n)).collect();
    assert!(unexpected.is_empty(), "{unexpected:?} of {names:?}");
    assert!(names.contains(&"AWS_ACCESS_KEY_ID") && names.contains(&"PATH"));
}

#[tokio::test]
async fn malformed_invoke_requests_are_refused_in_aws_shape() {
    let p = Portico::start(FUNCTIONS);
    // function, payload, headers, expected status and x-amzn-ErrorType
    type Row<'a> = (&'a str, &'a str, &'a [(&'a str, &'a str)], u16, &'a str);
    let rows: &[Row] = &[
        (
            "echo",
            "{}",
            &[("x-amz-invocation-type", "Sometimes")],
            400,
            "InvalidParameterValueException",
        ),
        (
            "echo",
            "{}",
            &[("x-amz-log-type", "Everything")],
            400,
            "InvalidParameterValueException",
        ),
        (
            "echo",
            "{}",
            &[("x-amz-client-context", "%%%")],
            400,
            "InvalidParameterValueException",
        ),
        ("echo", "[1,", &[], 400, "InvalidRequestContentException"),
        (
            "no%20such",
            "{}",
            &[],
            400,
            "InvalidParameterValueException",
        ),
        ("nosuch", "{}", &[], 404, "ResourceNotFoundException"),
    ];
    for (function, payload, headers, status, kind) in rows {
        let response = p.invoke(function, payload, headers).await;
        assert_eq!(response.status(), *status, "{function} {headers:?}");
        assert_eq!(
            response.headers()["x-amzn-errortype"],
            *kind,
            "{function} {headers:?}"
        );
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["Type"], "User");
        assert!(body["message"].is_string());
    }
    let wrong_method = p.client().get(p.invoke_url("echo")).send().await.unwrap();
    assert_eq!(wrong_method.status(), 404);
    assert_eq!(
        wrong_method.headers()["x-amzn-errortype"],
        "UnknownOperationException"
    );
}

#[tokio::test]
async fn boto3_reads_response_streams() {
    let p = Portico::start(FUNCTIONS);
    let streamed = p.python("boto3_lambda.py", &["stream"]);
    assert_eq!(streamed["StatusCode"], 200);
    assert_eq!(
        streamed["Chunks"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c.as_str().unwrap())
            .collect::<String>(),
        "abc"
    );
    assert_eq!(streamed["Complete"], json!({}));

    let tail = p.python("boto3_lambda.py", &["stream-tail"]);
    let log = tail["Complete"]["Log"].as_str().unwrap();
    assert!(
        log.starts_with("START RequestId: ")
            && log.contains("\nEND RequestId: ")
            && log.contains("\nREPORT RequestId: "),
        "{log}"
    );

    let buffered = p.python("boto3_lambda.py", &["stream-buffered"]);
    assert_eq!(buffered["Chunks"], json!([r#"{"buffered": true}"#]));
    assert_eq!(buffered["Complete"], json!({}));

    let failed = p.python("boto3_lambda.py", &["stream-error"]);
    assert_eq!(failed["Chunks"], json!(["partial\n"]));
    assert_eq!(failed["Complete"]["ErrorCode"], "Error");
    let details: Value =
        serde_json::from_str(failed["Complete"]["ErrorDetails"].as_str().unwrap()).unwrap();
    assert_eq!(details["errorMessage"], "stream broke");
}

#[tokio::test]
async fn a_stream_that_times_out_ends_with_sandbox_timedout() {
    let p = Portico::start(FUNCTIONS);
    let got = p.python("boto3_lambda.py", &["stream-timeout"]);
    // SDK callers see the HTTP prelude and its 8 NUL bytes as stream bytes, then the body.
    let bytes: String = got["Chunks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap())
        .collect();
    assert!(bytes.starts_with(r#"{"statusCode":201"#), "{bytes:?}");
    assert!(bytes.ends_with("\0\0\0\0\0\0\0\0first\n"), "{bytes:?}");
    assert_eq!(got["Complete"]["ErrorCode"], "Sandbox.Timedout");
}

#[tokio::test]
async fn aliases_and_versions_name_the_same_code() {
    let p = Portico::start(
        r#"
functions:
  ctx:
    runtime: python3.12
    handler: app.context_info
    code: "@fixtures/python"
    aliases:
      live: {}
      beta: {url: {}}
"#,
    );
    assert!(
        p.banner.contains(&format!(
            "http://beta.ctx.lambda-url.localhost:{}/",
            p.addr.port()
        )),
        "{}",
        p.banner
    );
    let got = p.python("boto3_lambda.py", &["aliases"]);
    let arn = "arn:aws:lambda:us-east-1:000000000000:function:ctx";
    // The alias's ARN reaches the function; the version it names runs.
    assert_eq!(
        got["alias"],
        json!({"ExecutedVersion": "1", "arn": format!("{arn}:live"), "version": "1"})
    );
    assert_eq!(got["version"], "1");
    assert_eq!(got["latest"]["ExecutedVersion"], "$LATEST");
    assert_eq!(got["latest"]["arn"], format!("{arn}:$LATEST"));
    assert_eq!(got["unqualified"]["arn"], arn);
    let not_found = |message: String| json!({"Code": "ResourceNotFoundException", "Status": 404, "Message": message});
    assert_eq!(
        got["no_alias"],
        not_found(format!("Function not found: {arn}:nope"))
    );
    assert_eq!(
        got["no_version"],
        not_found(format!("Function not found: {arn}:2"))
    );
    assert_eq!(
        got["versions"],
        json!([
            ["$LATEST", format!("{arn}:$LATEST")],
            ["1", format!("{arn}:1")]
        ])
    );
    let names: Vec<&str> = got["aliases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["Name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["beta", "live"]);
    assert_eq!(got["aliases_of_2"], json!([]));
    let live = &got["get_alias"];
    assert_eq!(live["AliasArn"], format!("{arn}:live"));
    assert_eq!(live["FunctionVersion"], "1");
    assert_eq!(got["aliases"][1], *live);
    assert_eq!(
        got["missing_alias"],
        not_found(format!("Alias not found: {arn}:nope"))
    );
    assert_eq!(got["configuration"]["Version"], "1");
    assert_eq!(got["configuration"]["FunctionArn"], format!("{arn}:live"));
    p.wait_for_log("Version: 1");

    // Only the alias `beta` has a URL, in both forms and whatever the host's case.
    let response = p.get("ctx:beta", "/").await;
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["invoked_function_arn"], format!("{arn}:beta"));
    let host_form = p
        .client()
        .get(format!("{}/", p.endpoint()))
        .header(
            "host",
            format!("BETA.ctx.lambda-url.localhost:{}", p.addr.port()),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(host_form.status(), 200);
    for no_url in ["ctx", "ctx:live", "ctx:nope"] {
        let response = p.get(no_url, "/").await;
        assert_eq!(response.status(), 403, "{no_url}");
    }
}
