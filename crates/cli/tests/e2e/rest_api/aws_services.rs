//! AWS service integrations (`type: aws` with a service's URI), against moto in server mode:
//! what the client gets, and what the service then holds.

use serde_json::json;

use crate::harness::{Helper, Setup};

#[tokio::test]
async fn methods_call_aws_services_signed_and_the_services_hold_what_they_sent() {
    let moto = Helper::start("moto_server.py", &[]);
    let moto_url = format!("http://127.0.0.1:{}", moto.ready.trim());
    let p = Setup::new()
        .rest_api(
            "shop",
            "stages: {prod: {}}\nroutes: {PUT /raw-items: {aws: {service: dynamodb, action: PutItem}}}",
        )
        .openapi("fixtures/openapi/aws-services.yaml")
        .config(&format!(
            "endpoints: {{sqs: \"{moto_url}\", dynamodb: \"{moto_url}\", sns: \"{moto_url}\", s3: \"{moto_url}\", ses: \"http://127.0.0.1:1\"}}\n\
             credentials:\n  AKIDPORTICOTEST: {{secret: portico-test-secret}}"
        ))
        .serve();
    let got = p.python("aws_services.py", &[&moto_url]);
    // SQS: the form-encoded template's message is in the queue; the response template read
    // its MessageId from SQS's answer (as the JSON AWS gives, moto's XML read so).
    assert_eq!(got["orders"]["status"], 200, "{got}");
    assert_eq!(got["orders"]["answer_is_the_queued_message"], true, "{got}");
    assert_eq!(
        got["orders"]["queued"],
        json!([{"item": "book", "note": "a & b"}])
    );
    // DynamoDB: the item the template made (its id the request's), and the response
    // template's answer.
    assert_eq!(got["items"]["status"], 201);
    let stored = &got["items"]["stored"];
    assert_eq!(stored["name"], json!({"S": "pen"}), "{got}");
    assert_eq!(stored["colour"], json!({"S": "blue"}));
    // `aws:` in portico.yaml: the request's own body, as the service's API takes it.
    assert_eq!(got["raw_item"]["status"], 200, "{got}");
    assert_eq!(got["raw_item"]["stored"]["name"], json!({"S": "ink"}));
    assert_eq!(
        got["raw_item"]["refused"], 400,
        "the service's 4xx is the route's 400"
    );
    // A request the service refuses (400): the integration response for 4xx decides.
    assert_eq!(
        got["broken"],
        json!({"status": 400, "body": {"error": "the table refused it"}})
    );
    // SNS: the query string's message, published to the topic (and so to its queue).
    assert_eq!(
        got["notify"],
        json!({"status": 200, "published": [{"hello": "world"}]})
    );
    // S3 at the path the method's parameters fill, for signed callers only.
    assert_eq!(got["file_unsigned"], 403);
    assert_eq!(got["file"], json!([200, "a good year"]));
    // A service nobody answers: 500, the reason in the log.
    assert_eq!(
        got["mail"],
        json!({"status": 500, "body": {"message": "Internal server error"}})
    );
    assert!(p.logs().contains("127.0.0.1:1"), "{}", p.logs());
}
