//! Broken configs: each row is a file and the diagnostics Portico must print for it.

use std::path::Path;

fn dir() -> tempfile::TempDir {
    let d = tempfile::tempdir().unwrap();
    std::fs::create_dir(d.path().join("hello")).unwrap();
    std::fs::write(
        d.path().join("hello/app.py"),
        "def handler(e, c):\n    return 1\n",
    )
    .unwrap();
    d
}

fn errors(yaml: &str) -> Vec<String> {
    let d = dir();
    let path = d.path().join("portico.yaml");
    match portico_config::parse(&path, yaml) {
        Ok(_) => vec![],
        Err(e) => e
            .diagnostics()
            .iter()
            .map(|d| {
                let help = d
                    .help
                    .as_deref()
                    .map(|h| format!(" | {h}"))
                    .unwrap_or_default();
                format!("{}:{} {}{}", d.line, d.column, d.message, help)
            })
            .collect(),
    }
}

#[test]
fn a_good_config_compiles() {
    let d = dir();
    let yaml = "functions:\n  hello:\n    runtime: python3.12\n    handler: app.handler\n    code: ./hello\n    timeout: 30\n    environment: {PORT: 8080, GREETING: hi}\n    url: {invoke_mode: response_stream, cors: {allow_origins: ['*'], max_age: 300}}\n";
    let c = portico_config::parse(&d.path().join("portico.yaml"), yaml).unwrap();
    let f = &c.functions["hello"];
    assert_eq!(f.timeout.as_secs(), 30);
    assert_eq!(f.environment["PORT"], "8080");
    assert_eq!(f.runtime, portico_config::Runtime::Python { minor: 12 });
    assert_eq!(
        f.url.as_ref().unwrap().invoke_mode,
        portico_config::InvokeMode::ResponseStream
    );
    assert_eq!(f.limits, portico_config::Limits::AWS);
    assert!(f.code.is_absolute());
}

#[test]
fn a_web_function_compiles_with_the_adapters_defaults() {
    let d = dir();
    let yaml = "functions:\n  site: {runtime: web, code: ./hello, command: [python3, app.py]}\n  fixed:\n    runtime: web\n    code: ./hello\n    command: [./server]\n    port: 8000\n    concurrency: 1\n    readiness: {protocol: tcp, healthy_status: '200-299,404'}\n  env:\n    runtime: web\n    code: ./hello\n    command: [./server]\n    environment: {AWS_LWA_READINESS_CHECK_PATH: /health, AWS_LWA_READINESS_CHECK_HEALTHY_STATUS: '200'}\n";
    let c = portico_config::parse(&d.path().join("portico.yaml"), yaml).unwrap();
    let site = c.functions["site"].web.as_ref().unwrap();
    assert_eq!(c.functions["site"].runtime, portico_config::Runtime::Web);
    assert_eq!(site.port, None);
    assert_eq!(site.readiness, portico_config::Readiness::default());
    assert_eq!(site.readiness.path, "/");
    assert!(site.readiness.healthy.accepts(404) && !site.readiness.healthy.accepts(500));
    let fixed = c.functions["fixed"].web.as_ref().unwrap();
    assert_eq!(fixed.port, Some(8000));
    assert_eq!(
        fixed.readiness.protocol,
        portico_config::ReadinessProtocol::Tcp
    );
    assert!(fixed.readiness.healthy.accepts(404) && !fixed.readiness.healthy.accepts(301));
    let env = c.functions["env"].web.as_ref().unwrap();
    assert_eq!(env.readiness.path, "/health");
    assert!(env.readiness.healthy.accepts(200) && !env.readiness.healthy.accepts(204));
    assert!(c.functions["env"].handler.is_empty());
}

#[test]
fn identity_sources_may_be_one_string_separated_by_commas() {
    let d = dir();
    let yaml = "functions:\n  auth: {runtime: python3.12, handler: app.handler, code: ./hello}\napis:\n  shop:\n    protocol: http\n    authorizers:\n      a: {type: lambda, function: auth, identity_source: \"$request.header.Authorization, $request.querystring.key\"}\n";
    let c = portico_config::parse(&d.path().join("portico.yaml"), yaml).unwrap();
    use portico_config::IdentitySource::{Header, Query};
    assert_eq!(
        c.apis["shop"].authorizers["a"].identity_sources,
        [Header("authorization".into()), Query("key".into())]
    );
}

#[test]
fn broken_configs_say_where_and_how_to_fix() {
    let cases: &[(&str, &[&str])] = &[
        (
            "functions:\n  hello:\n    runtime: python3.12\n    handler: app.handler\n    code: ./hello\n    timout: 3\n",
            &["6:5 unknown field `timout`"],
        ),
        (
            "endpoints:\n  DynamoDB: http://127.0.0.1:8000\n  s3: localhost:9000\n  lambda: self\n",
            &[
                "2:3 `DynamoDB` is not an AWS service id | write the SDK's service id in lower case",
                "3:7 `localhost:9000` is not an http:// or https:// URL | write e.g. `dynamodb: http://127.0.0.1:8000`, or `self` for Portico",
            ],
        ),
        (
            "functions:\n  hello: {runtime: python3.12, handler: app.handler, code: ./hello, layers: [./hello, ./nope]}\n",
            &["2:87 layer folder `./nope` does not exist"],
        ),
        (
            "admin: {prices: nowhere.yaml}\n",
            &[
                "1:17 price table `nowhere.yaml` not found | write the default one with `portico cost --print-prices > prices.yaml` and name it here (relative to this file)",
            ],
        ),
        (
            "tracing: {otlp_endpoint: 'grpc://127.0.0.1:4317'}\n",
            &[
                "1:26 `grpc://127.0.0.1:4317` is not an http:// or https:// URL | write the collector's OTLP/HTTP address, as `otlp_endpoint: http://127.0.0.1:4318`",
            ],
        ),
        (
            "functions:\n  hello:\n    runtime: python3.12\n    handler: app.handler\n    code: ./hello\n    colour: red\n",
            &[
                "6:5 unknown field `colour`, expected one of runtime, handler, code, command, port, readiness, timeout, memory, concurrency, idle_timeout, limits, environment, url, aliases, build, layers | remove `colour`; the keys allowed here are runtime, handler, code, command, port, readiness, timeout, memory, concurrency, idle_timeout, limits, environment, url, aliases, build, layers",
            ],
        ),
        (
            "functions:\n  hello:\n    runtime: pyhton3.12\n    handler: app.handler\n    code: ./hello\n",
            &[
                "3:14 unknown runtime `pyhton3.12` | did you mean `python3.12`? use python3.x, nodejs20.x, nodejs22.x, provided or web",
            ],
        ),
        (
            "functions:\n  hello:\n    runtime: python3.12\n    handler: main.handler\n    code: ./hello\n",
            &[
                "4:14 handler file `main.py` not found in `./hello` | check the file name in `handler:` and the `code:` folder",
            ],
        ),
        (
            "functions:\n  hello:\n    runtime: python3.12\n    handler: app.handler\n    code: ./nope\n    timeout: 901\n",
            &[
                "5:11 code folder `./nope` does not exist",
                "6:14 timeout 901 is out of range | timeout is 1 to 900 seconds",
            ],
        ),
        (
            "functions:\n  hello:\n    runtime: python3.12\n    code: ./hello\n",
            &[
                "3:14 this function has no `handler` | add `handler: <file>.<function>`, e.g. `handler: app.handler`",
            ],
        ),
        (
            "functions:\n  hello:\n    runtime: python3.12\n    handler: app.handler\n    code: ./hello\n    environment: {AWS_REGION: x}\n",
            &[
                "6:19 `AWS_REGION` is reserved by Lambda | Portico sets this variable itself; remove it from `environment:`",
            ],
        ),
        (
            "functions:\n  hello:\n    runtime: python3.12\n    handler: app.handler\n    code: ./hello\n    url: {invoke_mode: stream}\n",
            &["6:24 unknown variant `stream`"],
        ),
        ("functions: [\n", &["1:12 expected mapping start"]),
        (
            "functions:\n  hello: {runtime: python3.12, code: ./hello, handler: app.handler, timeout: -1}\n",
            &["2:78 invalid u64"],
        ),
        (
            "admin: {listen: \"localhost:nine\"}\n",
            &[
                "1:17 `localhost:nine` is not an address to listen on | write `listen: 127.0.0.1:9000` (a host IP and a port), or `off`",
            ],
        ),
        (
            "apis:\n  shop:\n    protocol: http\n    stages:\n      prod: {access_log: {format: \"$context.status\", rotation: weekly}}\n",
            &[
                "5:35 an access log format must include `$context.requestId`",
                "5:64 rotation `weekly` is not daily, hourly or never | write `rotation: daily`",
            ],
        ),
        (
            "functions:\n  hello:\n    runtime: python3.12\n    handler: app.handler\n    code: ./hello\n    aliases:\n      '7': {}\n      live: {version: 0}\n      Beta: {url: {}}\n      beta: {url: {}}\n",
            &[
                "7:7 `7` is not a valid alias name | use 1 to 128 letters, digits, hyphens or underscores, not digits alone (those name versions)",
                "8:23 version 0 is not a published version | versions are numbered from 1; leave `version` out for 1",
                "10:7 alias names `Beta` and `beta` differ only in case | rename one: their Function URLs' host names (<alias>.<function>.lambda-url.localhost) would be the same, and host names do not keep case",
            ],
        ),
        (
            "functions:\n  hello:\n    runtime: python3.12\n    handler: app.handler\n    code: ./hello\n    aliases: {live: {}, beta: {version: 2}}\napis:\n  shop:\n    protocol: http\n    routes:\n      GET /a: {function: 'hello:live'}\n      GET /b: {function: 'hello:prod'}\n      GET /c: {function: 'hello:3'}\n      GET /d: {function: 'helo:live'}\n      GET /e: {function: 'hello:2'}\n",
            &[
                "12:26 route `GET /b` invokes `hello:prod`, but `hello` has no alias or version `prod` | declare it under the function's `aliases:` (`prod: {}`); it has beta, live (versions 1 to 2)",
                "13:26 route `GET /c` invokes `hello:3`, but `hello` has no alias or version `3`",
                "14:26 route `GET /d` invokes `helo`, which is not a function here | did you mean `hello`?",
            ],
        ),
        (
            "limits: lax\n",
            &["1:9 unknown limits profile `lax` | use one of: aws, unbounded"],
        ),
        (
            "functions:\n  hello: {runtime: python3.12, handler: app.handler, code: ./hello}\napis:\n  shop:\n    protocol: http\n    routes:\n      GET /items: {function: helo}\n      FETCH /x: {function: hello}\n",
            &[
                "7:30 route `GET /items` invokes `helo`, which is not a function here | did you mean `hello`?",
                "8:7 route `FETCH /x`: `FETCH` is not a method",
            ],
        ),
        (
            "functions:\n  hello: {runtime: python3.12, handler: app.handler, code: ./hello}\napis:\n  shop:\n    protocol: http\n    routes:\n      GET /items: {function: hello, timeout_ms: 40000}\n",
            &["7:49 timeout_ms 40000 is out of range | timeout_ms is 50 to 30000 milliseconds"],
        ),
        (
            "apis:\n  shop:\n    protocol: http\n    routes:\n      GET /x:\n        http: http://127.0.0.1:1/\n        request_parameters: {\"append:header.authorization\": x, \"append:path\": y, \"append:header.a b\": z}\n",
            &[
                "7:30 mapping `append:header.authorization`: header `authorization` is reserved by API Gateway",
                "7:64 mapping `append:path`: the path can only be overwritten",
                "7:82 mapping `append:header.a b`: `a b` is not a header name",
            ],
        ),
        (
            "apis:\n  shop:\n    protocol: http\n    routes:\n      GET /x:\n        http: http://127.0.0.1:1/\n        request_parameters: {\"append:header.x-a\": $request.nope.x, \"append:header.x-b\": \"$context.nope\", \"append:header.x-c\": \"$response.header.etag\"}\n",
            &[
                "7:30 mapping `append:header.x-a`: `$request.nope.x` is not a reference",
                "7:68 mapping `append:header.x-b`: `$context.nope` is not one Portico maps",
                "7:106 mapping `append:header.x-c`: a request mapping cannot read `$response`",
            ],
        ),
        (
            "apis:\n  shop:\n    protocol: http\n    routes:\n      GET /x:\n        http: http://127.0.0.1:1/\n        response_parameters: {\"99\": {}, \"200\": {\"append:statuscode\": \"204\", \"overwrite:path\": x, \"append:header.x-a\": \"$response.body.id\"}}\n",
            &[
                "7:31 `99` is not a status code from 200 to 599",
                "7:49 mapping `append:statuscode`: the status code can only be overwritten",
                "7:77 mapping `overwrite:path`: a response has only headers and `statuscode` to map",
            ],
        ),
        (
            "apis:\n  shop:\n    protocol: http\n    authorizers:\n      users: {type: jwt, issuer: \"issuer.example\", audience: [app]}\n    routes:\n      GET /a: {http: \"ftp://files.example/a\"}\n      GET /b: {http: \"https:///b\"}\n",
            &[
                "5:34 `issuer.example` is not an http:// or https:// URL to fetch keys from",
                "7:22 `ftp://files.example/a` is not an http:// or https:// URL",
                "8:22 `https:///b` is not an http:// or https:// URL",
            ],
        ),
        (
            "functions:\n  hello: {runtime: python3.12, handler: app.handler, code: ./hello}\napis:\n  pets:\n    protocol: rest\n    stages: {prod: {cache_methods: {\"GET /pet\": 60}}}\n    api_keys: {k: {}}\n    usage_plans: {p: {keys: [k], method_throttles: {\"PUT /pets\": {rate: 1, burst: 1}}}}\n    routes:\n      GET /pets: {function: hello}\n",
            &[
                "6:37 `GET /pet` is not a method of this API | did you mean `GET /pets`?",
                "8:53 `PUT /pets` is not a method of this API | did you mean `GET /pets`?",
            ],
        ),
        (
            "functions:\n  hello: {runtime: python3.12, handler: app.handler, code: ./hello}\napis:\n  pets:\n    protocol: rest\n    stages: {$default: {}}\n    routes:\n      $default: {function: hello}\n      GET /a: {function: hello, payload_format: \"1.0\"}\n      GET /b: {function: hello, timeout_ms: 300001}\n      GET /c: {function: helo}\n",
            &[
                "6:14 `$default` is not a valid stage name | use letters, digits, `-` and `_` (REST and WebSocket APIs have no `$default` stage)",
                "8:7 REST APIs have no `$default` route | use a greedy resource, `ANY /{proxy+}`",
                "9:7 route `GET /a`: `payload_format` is for HTTP API routes",
                "10:45 timeout_ms 300001 is out of range | timeout_ms is 50 to 300000 milliseconds",
                "11:26 route `GET /c` invokes `helo`, which is not a function here | did you mean `hello`?",
            ],
        ),
        (
            "functions:\n  hello: {runtime: python3.12, handler: app.handler, code: ./hello}\napis:\n  shop:\n    protocol: http\n    routes:\n      GET /x: {function: hello, request_parameters: {\"overwrite:path\": /y}}\n",
            &["7:54 a `function:` route's path cannot be mapped"],
        ),
        (
            "functions:\n  auth: {runtime: python3.12, handler: app.handler, code: ./hello}\napis:\n  shop:\n    protocol: http\n    authorizers:\n      a: {type: lambda, function: auth, payload_format: \"1.0\", simple_responses: true}\n      b: {type: lambda, function: auth, payload_format: \"3.0\"}\n",
            &[
                "7:57 simple responses need authorizer payload_format \"2.0\"",
                "8:57 authorizer payload_format `3.0` is not \"1.0\" or \"2.0\"",
            ],
        ),
        (
            "functions:\n  site:\n    runtime: web\n    code: ./hello\n    port: 70000\n    readiness: {path: health, protocol: htp, healthy_status: 200-x}\n",
            &[
                "3:14 a web function has no `command` | add the web server and its arguments",
                "5:11 port 70000 is out of range",
                "6:23 readiness path `health` does not start with `/`",
                "6:41 unknown readiness protocol `htp` | did you mean `http`? use http or tcp",
                "6:62 `200-x` is not a status code or a range of them",
            ],
        ),
        (
            "functions:\n  site: {runtime: web, code: ./hello, command: [], port: 8000}\n  hello: {runtime: python3.12, handler: app.handler, code: ./hello, port: 8000, readiness: {}}\n",
            &[
                "2:48 `command` is empty",
                "2:58 a fixed port lets one instance run at a time, but concurrency is 10 | add `concurrency: 1`",
                "3:75 `port` is for `runtime: web`",
                "3:92 `readiness` is for `runtime: web`",
            ],
        ),
        (
            "functions:\n  hello: {runtime: python3.12, handler: app.handler, code: ./hello}\napis:\n  pets:\n    protocol: rest\n    api_keys: {k: {}}\n    usage_plans: {p: {keys: [k], method_throttles: {\"GET /plantest/\": {rate: 1, burst: 1}}}}\n    routes:\n      GET /plantest/: {function: hello}\n",
            &[
                "7:53 `GET /plantest/` is not a method: the path ends with `/`: write `GET /plantest`",
                "9:7 route `GET /plantest/`: the path ends with `/`: write `GET /plantest`",
            ],
        ),
        (
            "functions:\n  hello: {runtime: python3.12, handler: main.handler, code: ./hello}\napis:\n  shop:\n    protocol: http\n    authorizers:\n      a: {type: lambda, function: hello}\n    routes:\n      GET /a: {function: hello}\n      GET /b: {function: helo}\n",
            &[
                "2:41 handler file `main.py` not found in `./hello`",
                "10:26 route `GET /b` invokes `helo`, which is not a function here | did you mean `hello`?",
            ],
        ),
        (
            "functions:\n  auth: {runtime: python3.12, handler: app.handler, code: ./hello}\napis:\n  shop:\n    protocol: http\n    authorizers:\n      a: {type: lambda, function: auht, identity_source: \"$request.header.Authorization, $request.hedaer.X\"}\n",
            &[
                "7:35 authorizer `a` invokes `auht`, which is not a function here | did you mean `auth`?",
                "7:58 identity source `$request.hedaer.X` is not understood",
            ],
        ),
        (
            "functions:\n  Hello: {runtime: python3.12, handler: app.handler, code: ./hello, url: {}}\n  hello: {runtime: python3.12, handler: app.handler, code: ./hello, url: {}}\n  HELLO: {runtime: python3.12, handler: app.handler, code: ./hello}\napis:\n  Shop: {protocol: http}\n  shop: {protocol: rest}\n",
            &[
                "3:3 function names `Hello` and `hello` differ only in case | rename one: their Function URLs' host names",
                "7:3 API names `Shop` and `shop` differ only in case | rename one: their host names",
            ],
        ),
        (
            "functions:\n  hello: {runtime: python3.12, handler: app.handler, code: ./hello}\napis:\n  shop:\n    protocol: http\n    routes:\n      GET /a: {function: hello, route_response: true, mock: {}}\n",
            &[
                "7:7 route `GET /a`: `route_response` is for WebSocket routes | an HTTP API route answers with its integration's response",
                "7:7 route `GET /a`: `mock` is for WebSocket routes",
            ],
        ),
        (
            "functions:\n  hello: {runtime: python3.12, handler: app.handler, code: ./hello}\napis:\n  shop:\n    protocol: http\n    routes:\n      POST /a: {integration_subtype: SQS-Send}\n      POST /b: {integration_subtype: SQS-SendMessage, request_parameters: {QueueUrl: q}}\n      POST /c: {integration_subtype: SQS-SendMessage, request_parameters: {QueueUrl: q, MessageBody: $request.nobody, Colour: red}}\n      POST /d: {http: 'http://127.0.0.1:1/', request_parameters: {append:header.x: $request.body.x}}\n",
            &[
                "7:38 `SQS-Send` is not an integration subtype Portico serves | use one of: SQS-SendMessage,",
                "8:7 route `POST /b`: SQS-SendMessage needs MessageBody",
                "9:89 SQS-SendMessage parameter `MessageBody`:",
                "9:119 SQS-SendMessage takes no parameter `Colour`",
                "10:67 mapping `append:header.x`: `$request.body` is mapped by AWS service integrations only",
            ],
        ),
        (
            "apis:\n  shop:\n    protocol: rest\n    routes:\n      PUT /a: {aws: {service: dynamodb}}\n  web:\n    protocol: http\n    routes:\n      PUT /b: {aws: {service: sqs, action: SendMessage}}\n",
            &[
                "5:21 route `PUT /a`: `aws` needs one of `action` or `path`",
                "9:7 route `PUT /b`: `aws` is for REST API routes",
                "9:7 route `PUT /b` needs one integration",
            ],
        ),
        (
            "apis:\n  shop:\n    protocol: graphql\n",
            &[
                "3:15 protocol `graphql` is not served | use `http` (HTTP APIs), `rest` (REST APIs) or `websocket` (WebSocket APIs)",
            ],
        ),
        (
            "functions:\n  hello: {runtime: python3.12, handler: app.handler, code: ./hello}\napis:\n  chat:\n    protocol: websocket\n    route_selection: $request.header.x\n    cors: {allow_origins: ['*']}\n    stages: {\"bad stage\": {}, prod: {throttle: {rate: 1, burst: 1}, cache_ttl: 60}}\n    routes:\n      $connect: {function: hello, route_response: true}\n      $ping: {function: hello}\n      send: {http: 'http://127.0.0.1:1/', function: hello}\n      other: {function: helo}\n      ping: {mock: {responses: {'2xx': x, $default: y}}}\n      mapped: {function: hello, request_parameters: {integration.request.header.a: context.connectionId}}\n      relay: {http: 'http://127.0.0.1:1/', request_parameters: {integration.response.header.a: context.connectionId, integration.request.header.b: route.request.path.x}}\n      who: {function: hello, auth: aws_iam}\n",
            &[
                "4:3 `cors` is not served on WebSocket APIs | a WebSocket API has `route_selection`, `stages`, `authorizers` and `routes` (`$connect`, `$disconnect`, `$default` and your own keys), each with `function`, `http` or `mock`",
                "6:22 route_selection: `$request.header.x` is not a variable a route selection expression may use | write `$request.body.action` (the default), or `${request.body.a}/${request.body.b}`",
                "8:14 `bad stage` is not a valid stage name | use letters, digits, `-` and `_` (REST and WebSocket APIs have no `$default` stage)",
                "8:31 stage `prod`: `throttle` is not served on WebSocket APIs | a WebSocket API's stage takes `variables` and `access_log`",
                "8:31 stage `prod`: `cache_ttl` is not served on WebSocket APIs",
                "10:7 route `$connect`: `route_response` is for message routes",
                "11:7 `$ping` is not a route key of WebSocket APIs",
                "12:7 route `send` needs one integration | give it `function: <name>`, `http: <url>` or `mock: {}`, one of them",
                "13:25 route `other` invokes `helo`, which is not a function here | did you mean `hello`?",
                "14:33 route `ping`: `2xx` is not an integration response key | write `$default`, or a pattern over the status code between slashes: `/2\\d\\d/`",
                "15:7 route `mapped`: `request_parameters` are for `http:` integrations",
                "16:65 route `relay`: `integration.response.header.a` is not an integration request parameter",
                "16:118 route `relay`: `route.request.path.x` is not a mapping expression of WebSocket APIs",
                "17:36 route `who`: `auth` guards `$connect` only",
            ],
        ),
        (
            "functions:\n  hello: {runtime: python3.12, handler: app.handler, code: ./hello}\napis:\n  chat:\n    protocol: websocket\n    authorizers:\n      a: {type: jwt, issuer: x}\n      b: {type: lambda, function: hello, identity_source: route.request.body.x}\n    routes:\n      $connect: {function: hello, authorizer: c}\n      send: {function: hello, authorizer: b}\n",
            &[
                "7:17 authorizer `a`: WebSocket APIs take Lambda REQUEST authorizers only | write `type: lambda` with its `function` and `identity_source`",
                "8:59 `route.request.body.x` is not an identity source of a WebSocket API | write `route.request.header.<name>` or `route.request.querystring.<name>`",
                "10:47 route `$connect` names the authorizer `c`, which this API does not declare | declare it under `authorizers:`; this API has: b",
                "11:43 route `send`: authorizers guard `$connect` only | put `authorizer:` on `$connect`: its decision holds for the whole connection, as on AWS",
            ],
        ),
    ];
    for (yaml, expected) in cases {
        let got = errors(yaml);
        assert_eq!(got.len(), expected.len(), "for\n{yaml}\ngot {got:#?}");
        for (g, e) in got.iter().zip(expected.iter()) {
            assert!(
                g.starts_with(e),
                "for\n{yaml}\nexpected `{e}`\ngot      `{g}`"
            );
        }
    }
}

#[test]
fn the_rendered_error_names_the_file() {
    let d = dir();
    let path = d.path().join("portico.yaml");
    let err = portico_config::parse(
        &path,
        "functions:\n  hello:\n    runtime: java21\n    code: ./hello\n",
    )
    .unwrap_err();
    let text = err.to_string();
    assert!(
        text.starts_with(&format!(
            "{}:3:14: unknown runtime `java21`",
            path.display()
        )),
        "{text}"
    );
    assert!(text.contains("\n  help: "), "{text}");
}

#[test]
fn a_missing_file_is_a_read_error() {
    let err = portico_config::load(Path::new("/nonexistent/portico.yaml")).unwrap_err();
    assert!(
        err.to_string()
            .starts_with("cannot read /nonexistent/portico.yaml"),
        "{err}"
    );
}
