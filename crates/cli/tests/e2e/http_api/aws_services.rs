//! HTTP APIs' AWS service integrations (`integration_subtype`), against moto in server mode:
//! each action's parameters mapped from the request, and what the service then holds.

use serde_json::json;

use crate::harness::{Helper, Setup};

#[tokio::test]
async fn integration_subtypes_call_their_actions_with_mapped_parameters() {
    let moto = Helper::start("moto_server.py", &[]);
    let moto_url = format!("http://127.0.0.1:{}", moto.ready.trim());
    let routes = format!(
        r#"
stages: {{$default: {{variables: {{queue: "{moto_url}/123456789012/http-orders"}}}}}}
routes:
  POST /orders:
    integration_subtype: SQS-SendMessage
    request_parameters:
      QueueUrl: $stageVariables.queue
      MessageBody: $request.body.message
      DelaySeconds: "0"
  POST /events:
    integration_subtype: EventBridge-PutEvents
    request_parameters:
      Source: shop
      DetailType: order placed
      Detail: $request.body
  POST /runs:
    integration_subtype: StepFunctions-StartExecution
    request_parameters:
      StateMachineArn: arn:aws:states:us-east-1:123456789012:stateMachine:fulfil
      Name: run-${{request.header.x-run}}
      Input: $request.body
"#
    );
    let p = Setup::new()
        .http_api("shop", &routes)
        .config(&format!(
            "endpoints: {{sqs: \"{moto_url}\", eventbridge: \"{moto_url}\", sfn: \"{moto_url}\"}}"
        ))
        .serve();
    let got = p.python("aws_services.py", &[&moto_url, "http"]);
    // SQS-SendMessage: the body's `message` is the message, in the stage's queue.
    assert_eq!(got["orders"]["status"], 200, "{got}");
    assert_eq!(got["orders"]["queued"], json!(["two books"]));
    // EventBridge-PutEvents: one entry, which the bus's rule delivered to its queue.
    assert_eq!(got["events"]["status"], 200, "{got}");
    assert_eq!(got["events"]["answer"]["FailedEntryCount"], 0);
    let delivered = &got["events"]["delivered"][0];
    assert_eq!(delivered["source"], "shop", "{got}");
    assert_eq!(delivered["detail-type"], "order placed");
    assert_eq!(delivered["detail"], json!({"order": 7}));
    // StepFunctions-StartExecution: the execution, named from a header, with the body as
    // its input.
    assert_eq!(got["runs"]["status"], 200, "{got}");
    assert_eq!(
        got["runs"]["executions"],
        json!([{"name": "run-42", "input": {"order": 7}}])
    );
}
