//! WebSocket APIs, driven by the `websockets` client from PyPI and boto3's
//! `apigatewaymanagementapi` client, against a chat backend written as AWS documents one.

use serde_json::json;

use crate::harness::Portico;

#[tokio::test]
async fn a_chat_app_connects_broadcasts_and_disconnects_as_on_aws() {
    let store = tempfile::tempdir().unwrap();
    let config = format!(
        r#"
functions:
  connect: {{runtime: python3.12, handler: chat.connect, code: "@fixtures/websocket", environment: {{CHAT_STORE: "{store}"}}}}
  disconnect: {{runtime: python3.12, handler: chat.disconnect, code: "@fixtures/websocket", environment: {{CHAT_STORE: "{store}"}}}}
  send: {{runtime: python3.12, handler: chat.send_message, code: "@fixtures/websocket", environment: {{CHAT_STORE: "{store}"}}, concurrency: 2}}
  nodesend: {{runtime: nodejs20.x, handler: broadcast.handler, code: "@fixtures/websocket", environment: {{CHAT_STORE: "{store}"}}}}
  whoami: {{runtime: python3.12, handler: chat.whoami, code: "@fixtures/websocket", environment: {{CHAT_STORE: "{store}"}}}}
  echo: {{runtime: python3.12, handler: chat.echo, code: "@fixtures/websocket", environment: {{CHAT_STORE: "{store}"}}}}
  fail: {{runtime: python3.12, handler: chat.fail, code: "@fixtures/websocket", environment: {{CHAT_STORE: "{store}"}}}}
apis:
  chat:
    protocol: websocket
    stages: {{dev: {{}}}}
    routes:
      $connect: {{function: connect}}
      $disconnect: {{function: disconnect}}
      $default: {{function: echo, route_response: true}}
      sendmessage: {{function: send}}
      nodesend: {{function: nodesend}}
      whoami: {{function: whoami, route_response: true}}
      fail: {{function: fail}}
"#,
        store = store.path().display()
    );
    let p = Portico::start(&config);
    let url = format!("ws://chat.execute-api.localhost:{}/dev", p.addr.port());
    assert!(p.banner.contains(&url), "{}", p.banner);
    let ca = p.certificate_authority();
    let got = p.python("ws_chat.py", &["chat", "dev", "chat", ca.to_str().unwrap()]);
    assert_eq!(got["distinct_ids"], 3, "{got}");
    assert_eq!(got["whoami"]["routeKey"], "whoami", "{got}");
    assert_eq!(got["whoami"]["eventType"], "MESSAGE");
    assert_eq!(got["whoami"]["hasMessageId"], true);
    assert_eq!(
        got["broadcast"],
        json!(["hello all", "hello all", "hello all"])
    );
    assert_eq!(
        got["node_broadcast"],
        json!(["from node", "from node", "from node"])
    );
    assert_eq!(
        got["default_text"],
        json!({"echo": "plain words", "base64": false})
    );
    assert_eq!(
        got["default_unmatched"]["echo"],
        r#"{"action": "nosuchroute"}"#
    );
    assert_eq!(
        got["default_binary"],
        json!({"echo": "AP8=", "base64": true})
    );
    assert_eq!(got["failed"]["message"], "Internal server error");
    assert_eq!(got["failed"]["connectionId"], got["ids"][0]);
    assert_eq!(
        got["get"],
        json!({"has_connected_at": true, "source_ip": "127.0.0.1"})
    );
    assert_eq!(got["posted"], "direct");
    // Bytes that are not UTF-8 arrive as a binary frame.
    assert_eq!(got["posted_binary"], json!([255, 0]));
    assert_eq!(got["deleted_close"], 1000);
    let gone = json!({"Code": "GoneException", "Status": 410});
    assert_eq!(got["gone_post"], gone);
    assert_eq!(got["gone_get"], gone);
    assert_eq!(
        got["bad_id"],
        json!({"Code": "BadRequestException", "Status": 400})
    );
    assert_eq!(
        got["too_large"],
        json!({"Code": "PayloadTooLargeException", "Status": 413})
    );
    assert_eq!(got["oversized_close"], 1009);
    assert_eq!(got["invalid_utf8_close"], 1007);
    assert_eq!(got["refused"], 403);
    assert_eq!(got["subprotocol"], "chat.v2");
    // Every message the clients sent is counted: 5 whoami, sendmessage, nodesend, the text,
    // the unmatched, the binary and the failing one (the oversized one was never read whole).
    let text = crate::metrics::scrape(&p).await;
    let incoming = [("target", "ws:chat"), ("direction", "in")];
    assert_eq!(
        crate::metrics::metric(&text, "portico_websocket_messages_total", &incoming),
        Some(11.0),
        "{text}"
    );
    // $disconnect ran for every connection, the vanished one included (1006: no close frame).
    let vanished = got["vanished_id"].as_str().unwrap();
    p.wait_for_log(&format!("disconnect {vanished} 1006"));
    let deleted = got["ids"][2].as_str().unwrap();
    assert!(
        p.logs().contains(&format!("disconnect {deleted} 1000")),
        "{}",
        p.logs()
    );
}

#[tokio::test]
async fn a_connect_authorizer_decides_and_the_management_api_checks_signatures() {
    let p = Portico::start(
        r#"
credentials:
  AKIDPORTICOTEST: {secret: portico-test-secret}
functions:
  authorize: {runtime: python3.12, handler: chat.authorize, code: "@fixtures/websocket", environment: {CHAT_STORE: /nonexistent}}
  who: {runtime: python3.12, handler: chat.who_is_it, code: "@fixtures/websocket", environment: {CHAT_STORE: /nonexistent}}
apis:
  guarded:
    protocol: websocket
    stages:
      live:
        access_log: {format: 'ws $context.eventType $context.routeKey $context.status $context.connectionId $context.messageId $context.authorizer.user $context.requestId $context.error.message'}
    authorizers:
      token: {type: lambda, function: authorize, identity_source: route.request.querystring.token}
    routes:
      $connect: {function: who, authorizer: token}
      who: {function: who, route_response: true}
  signed:
    protocol: websocket
    stages: {live: {}}
    routes:
      $connect: {function: who, auth: aws_iam}
      who: {function: who, route_response: true}
"#,
    );
    let got = p.python("ws_chat.py", &["guarded", "live", "authorizer"]);
    // No token: refused unasked; `Unauthorized` raised: 401; a Deny policy: 403.
    assert_eq!(got["no_token"], 401, "{got}");
    assert_eq!(got["unauthorized"], 401);
    assert_eq!(got["denied"], 403);
    assert_eq!(
        got["authorizer"],
        json!({"principalId": "ada", "user": "ada", "level": "3"})
    );
    // `auth: aws_iam` on `$connect`: an unsigned or wrongly signed handshake is 403, one
    // signed by a key of `credentials:` connects.
    assert_eq!(got["iam_unsigned"], 403);
    assert_eq!(got["iam_wrong"], 403);
    // (No authorizer context on a connection IAM let in.)
    assert_eq!(got["iam_signed"], json!({"answered": null}), "{got}");
    assert_eq!(
        got["wrong_key"],
        json!({"Code": "ForbiddenException", "Status": 403})
    );
    assert_eq!(
        got["right_key"],
        json!({"Code": "GoneException", "Status": 410})
    );
    // Each handshake and message has its access log line, with AWS's WebSocket variables.
    let connects = p.wait_for_lines("ws CONNECT $connect", 4);
    let statuses: Vec<&str> = connects
        .iter()
        .map(|l| l.split(' ').nth(3).unwrap())
        .collect();
    assert_eq!(statuses, ["401", "401", "403", "200"], "{connects:#?}");
    assert!(
        connects[0].ends_with(" the identity source route.request.querystring.token is missing"),
        "{}",
        connects[0]
    );
    let message = &p.wait_for_lines("ws MESSAGE who 200", 1)[0];
    let fields: Vec<&str> = message.split(' ').collect();
    // The connection's id, the message's own, the authorizer's context, a request id; no
    // error.
    assert_eq!(fields[4], connects[3].split(' ').nth(4).unwrap());
    assert_eq!(fields[5].len(), 16, "{message}");
    assert_eq!(fields[6], "ada");
    assert_eq!(fields[7].len(), 16, "{message}");
    assert_eq!(fields[8..], ["-"]);
    // Asked for the three tokens only, not for the handshake without one (each handshake
    // waited for its answer, so a fourth would be logged by now).
    p.wait_for_lines("Billed Duration", 3);
    let asked = p
        .logs()
        .lines()
        .filter(|l| l.contains("REPORT RequestId") && l.contains("function=authorize"))
        .count();
    assert_eq!(asked, 3, "{}", p.logs());
}

#[tokio::test]
async fn a_thousand_connections_at_once_each_reached_through_the_management_api() {
    let p = Portico::start(
        r#"
functions:
  whoami: {runtime: python3.12, handler: chat.whoami, code: "@fixtures/websocket", environment: {CHAT_STORE: /nonexistent}}
apis:
  many:
    protocol: websocket
    stages: {dev: {}}
    routes:
      whoami: {function: whoami, route_response: true}
"#,
    );
    let got = p.python("ws_chat.py", &["many", "dev", "1000"]);
    assert_eq!(
        got,
        json!({"open": 1000, "distinct": 1000, "each_got_its_own": true})
    );
}

/// `serve --watch`: a reload keeps the open connections, and serves them by the new config:
/// the management API still reaches a connection made before, and its next message runs the
/// new code.
#[tokio::test]
async fn open_connections_outlive_a_reload_and_meet_the_new_code() {
    use futures_util::{SinkExt, StreamExt};
    use tokio_tungstenite::tungstenite::Message;
    let app = tempfile::tempdir().unwrap();
    let handler = |version: &str| {
        format!(
            "import json\n\ndef handler(event, context):\n    \
             return {{'statusCode': 200, 'body': json.dumps({{'id': event['requestContext']['connectionId'], 'version': '{version}'}})}}\n"
        )
    };
    std::fs::write(app.path().join("app.py"), handler("v1")).unwrap();
    std::fs::write(
        app.path().join("portico.yaml"),
        "functions:\n  who: {runtime: python3.12, handler: app.handler, code: .}\n\
         apis:\n  chat:\n    protocol: websocket\n    stages: {dev: {}}\n    \
         routes:\n      $default: {function: who, route_response: true}\n",
    )
    .unwrap();
    let dir = app.path().to_path_buf();
    let p = Portico::serve_in(app, &["--watch"]);
    let url = format!("ws://{}/execute-api/chat/dev", p.addr);
    let (mut socket, _) = tokio_tungstenite::connect_async(url).await.unwrap();
    let mut ask = async || -> serde_json::Value {
        socket.send(Message::text("who?")).await.unwrap();
        loop {
            if let Message::Text(text) = socket.next().await.unwrap().unwrap() {
                return serde_json::from_str(text.as_str()).unwrap();
            }
        }
    };
    let before = ask().await;
    assert_eq!(before["version"], "v1");
    std::fs::write(dir.join("app.py"), handler("v2")).unwrap();
    p.wait_for_log("reloaded ");
    let after = ask().await;
    assert_eq!(
        after,
        json!({"id": before["id"], "version": "v2"}),
        "{}",
        p.logs()
    );
    // The management API of the new config reaches the connection made before.
    let id = before["id"].as_str().unwrap();
    let posted = p
        .client()
        .post(format!(
            "{}/execute-api/chat/dev/@connections/{id}",
            p.endpoint()
        ))
        .body("still here")
        .send()
        .await
        .unwrap();
    assert_eq!(posted.status(), 200);
    let got = loop {
        if let Message::Text(text) = socket.next().await.unwrap().unwrap() {
            break text.as_str().to_string();
        }
    };
    assert_eq!(got, "still here");
}

/// Ctrl-C: an open connection is closed with 1001 (going away) and its `$disconnect` runs
/// before Portico stops its functions.
#[tokio::test]
async fn stopping_portico_closes_each_connection_and_runs_its_disconnect() {
    use futures_util::{SinkExt, StreamExt};
    use tokio_tungstenite::tungstenite::Message;
    let store = tempfile::tempdir().unwrap();
    let config = format!(
        r#"
functions:
  disconnect: {{runtime: python3.12, handler: chat.disconnect, code: "@fixtures/websocket", environment: {{CHAT_STORE: "{store}"}}}}
  whoami: {{runtime: python3.12, handler: chat.whoami, code: "@fixtures/websocket", environment: {{CHAT_STORE: "{store}"}}}}
apis:
  chat:
    protocol: websocket
    stages: {{dev: {{}}}}
    routes:
      $disconnect: {{function: disconnect}}
      $default: {{function: whoami, route_response: true}}
"#,
        store = store.path().display()
    );
    let p = Portico::start(&config);
    let url = format!("ws://{}/execute-api/chat/dev", p.addr);
    let (mut socket, _) = tokio_tungstenite::connect_async(url).await.unwrap();
    socket.send(Message::text("who?")).await.unwrap();
    let id = loop {
        if let Message::Text(text) = socket.next().await.unwrap().unwrap() {
            let who: serde_json::Value = serde_json::from_str(text.as_str()).unwrap();
            break who["connectionId"].as_str().unwrap().to_string();
        }
    };
    p.press_ctrl_c();
    let close = loop {
        match socket.next().await {
            Some(Ok(Message::Close(frame))) => break frame,
            Some(Ok(_)) => continue,
            other => panic!("no close frame: {other:?}\n{}", p.logs()),
        }
    };
    let close = close.expect("a close frame with a status");
    assert_eq!(u16::from(close.code), 1001, "{close:?}");
    assert_eq!(close.reason.as_str(), "Going away: Portico is stopping");
    p.wait_for_log(&format!(
        "disconnect {id} 1001 Going away: Portico is stopping"
    ));
    assert!(
        p.logs().contains("closing 1 WebSocket connection(s)"),
        "{}",
        p.logs()
    );
}

const INTEGRATIONS: &str = r#"
functions:
  who: {runtime: python3.12, handler: chat.whoami, code: "@fixtures/websocket", environment: {CHAT_STORE: "."}}
apis:
  chat:
    protocol: websocket
    stages: {dev: {variables: {colour: blue}}}
    routes:
      $connect:
        http: UPSTREAM/echo/connect
        request_parameters:
          integration.request.header.x-connection: context.connectionId
      ping:
        route_response: true
        mock:
          responses:
            $default: >-
              {"pong": "$context.connectionId", "route": "$context.routeKey",
              "said": $input.json('$.data'), "colour": "$stageVariables.colour"}
      teapot:
        route_response: true
        mock:
          request_template: '{"statusCode": 418}'
          responses:
            /4\d\d/: '{"error": "short and stout"}'
            $default: 'fine'
      silent:
        mock: {}
      nostatus:
        route_response: true
        mock: {request_template: 'no status here'}
      relay:
        route_response: true
        http: UPSTREAM/echo/relay
        request_parameters:
          integration.request.header.x-connection: context.connectionId
          integration.request.header.x-said: route.request.body.data
          integration.request.querystring.colour: stageVariables.colour
          integration.request.header.x-fixed: "'fixed'"
      $default: {function: who, route_response: true}
  closed:
    protocol: websocket
    stages: {dev: {}}
    routes:
      $connect: {http: UPSTREAM/nowhere}
"#;

/// MOCK and HTTP proxy integrations answer as API Gateway's do, and every route's events are
/// counted and timed under it, in /metrics and on the dashboard.
#[tokio::test]
async fn mock_and_http_integrations_answer_and_each_route_is_measured() {
    use futures_util::{SinkExt, StreamExt};
    use tokio_tungstenite::tungstenite::Message;
    let upstream = crate::harness::Upstream::start(None);
    let p = Portico::start(&INTEGRATIONS.replace("UPSTREAM", &upstream.url()));
    let url = format!("ws://{}/execute-api/chat/dev", p.addr);
    let (mut socket, _) = tokio_tungstenite::connect_async(&url).await.unwrap();
    type Socket = tokio_tungstenite::WebSocketStream<
        tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>,
    >;
    async fn ask(socket: &mut Socket, message: serde_json::Value) -> String {
        socket
            .send(Message::text(message.to_string()))
            .await
            .unwrap();
        loop {
            if let Message::Text(text) = socket.next().await.unwrap().unwrap() {
                return text.as_str().to_string();
            }
        }
    }
    let who: serde_json::Value =
        serde_json::from_str(&ask(&mut socket, json!({"action": "nosuch"})).await).unwrap();
    let id = who["connectionId"].as_str().unwrap().to_string();
    let pong = ask(&mut socket, json!({"action": "ping", "data": {"n": 1}})).await;
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&pong).unwrap(),
        json!({"pong": id, "route": "ping", "said": {"n": 1}, "colour": "blue"}),
        "{pong}"
    );
    assert_eq!(
        ask(&mut socket, json!({"action": "teapot"})).await,
        r#"{"error": "short and stout"}"#
    );
    // A one-way route sends nothing back: the next answer is the relay's.
    socket
        .send(Message::text(json!({"action": "silent"}).to_string()))
        .await
        .unwrap();
    let broken: serde_json::Value =
        serde_json::from_str(&ask(&mut socket, json!({"action": "nostatus"})).await).unwrap();
    assert_eq!(broken["message"], "Internal server error", "{broken}");
    let relayed: serde_json::Value =
        serde_json::from_str(&ask(&mut socket, json!({"action": "relay", "data": "hi"})).await)
            .unwrap();
    assert_eq!(relayed["method"], "POST", "{relayed}");
    assert_eq!(relayed["path"], "/echo/relay");
    assert_eq!(relayed["query"], "colour=blue");
    assert_eq!(
        relayed["body_bytes"],
        json!({"action": "relay", "data": "hi"}).to_string().len()
    );
    let headers = &relayed["headers"];
    assert_eq!(headers["x-connection"], id.as_str());
    assert_eq!(headers["x-said"], "hi");
    assert_eq!(headers["x-fixed"], "fixed");
    assert_eq!(headers["user-agent"], "AmazonAPIGateway_chat");
    assert!(headers.get("sec-websocket-key").is_none(), "{headers}");
    // An HTTP `$connect` that answers 404 refuses the handshake with it.
    let refused =
        tokio_tungstenite::connect_async(format!("ws://{}/execute-api/closed/dev", p.addr))
            .await
            .unwrap_err();
    match refused {
        tokio_tungstenite::tungstenite::Error::Http(response) => {
            assert_eq!(response.status(), 404)
        }
        other => panic!("not refused with a status: {other}"),
    }
    // Each route's events are counted under it, as a request to it is.
    let route = |name: &'static str| [("target", "ws:chat"), ("stage", "dev"), ("route", name)];
    // `silent` answers nobody: its record may come after the answers that followed it.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    let text = loop {
        let text = crate::metrics::scrape(&p).await;
        let recorded = crate::metrics::metric(&text, "portico_requests_total", &route("silent"));
        if recorded.is_some() || std::time::Instant::now() > deadline {
            break text;
        }
        tokio::task::yield_now().await;
    };
    for name in ["ping", "teapot", "relay", "silent", "$default"] {
        assert_eq!(
            crate::metrics::metric(&text, "portico_requests_total", &route(name)),
            Some(1.0),
            "{name}: {text}"
        );
        assert_eq!(
            crate::metrics::metric(
                &text,
                "portico_integration_latency_seconds_count",
                &route(name)
            ),
            Some(1.0),
            "{name}"
        );
    }
    assert_eq!(
        crate::metrics::metric(&text, "portico_5xx_errors_total", &route("nostatus")),
        Some(1.0)
    );
    let traffic = crate::metrics::admin_json(&p, "/api/traffic").await;
    let ping = crate::metrics::find(
        &traffic["routes"],
        &[("target", "ws:chat"), ("route", "ping")],
    );
    assert_eq!(ping["totals"]["requests"], 1, "{traffic:#}");
    let relay = crate::metrics::find(
        &traffic["routes"],
        &[("target", "ws:chat"), ("route", "relay")],
    );
    assert_eq!(relay["totals"]["requests"], 1);
}
