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
