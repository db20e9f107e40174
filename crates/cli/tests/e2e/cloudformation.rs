//! Plain CloudFormation templates served as they are: the CDK app of `fixtures/sam/cdk-rest`
//! (inline code, a REST API of `AWS::ApiGateway::*` resources) with the answers its
//! EXPECTED.md gives, and a hand-written template with an HTTP API of
//! `AWS::ApiGatewayV2::*` resources and an `AWS::Lambda::Url`.

use std::path::Path;

use serde_json::{Value, json};

use crate::harness::{Portico, header, repo};

/// Copies the folder `from` into `to`, recursively.
fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

/// Sends `request`: the status, the headers and the body as JSON.
async fn answer(request: reqwest::RequestBuilder) -> (u16, reqwest::header::HeaderMap, Value) {
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let text = response.text().await.unwrap();
    let body = serde_json::from_str(&text)
        .unwrap_or_else(|e| panic!("the body is not JSON ({e}): {text}"));
    (status, headers, body)
}

#[tokio::test]
async fn the_cdk_app_answers_as_its_expected_file_says() {
    let app = tempfile::tempdir().unwrap();
    copy_dir(&repo().join("fixtures/sam/cdk-rest"), app.path());
    let root = app.path().to_path_buf();
    let p = Portico::serve_in(app, &["cdk.out/AppStack.template.json"]);
    // The inline code is written beside the template (the copy), as Lambda names it.
    assert!(
        root.join("cdk.out/.portico/inline/HelloHandler2E4FBA4D/index.py")
            .is_file()
    );
    let api = format!("{}/execute-api/HelloApi3F989F66", p.endpoint());
    let client = p.client();

    // 1, 2: the function's answers, through the REST API's Lambda proxy.
    let (status, headers, body) = answer(client.get(format!("{api}/prod/hello"))).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body,
        json!({"message": "Hello, world!", "resource": "/hello"})
    );
    assert_eq!(
        header(&headers, "content-type").as_deref(),
        Some("application/json")
    );
    assert!(header(&headers, "x-amzn-requestid").is_some());
    assert!(header(&headers, "x-amz-apigw-id").is_some());
    let (status, _, body) = answer(client.get(format!("{api}/prod/hello/Ada"))).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body,
        json!({"message": "Hello, Ada!", "resource": "/hello/{name}"})
    );

    // 3, 4, 5: no such method or resource.
    let missing = json!({"message": "Missing Authentication Token"});
    for request in [
        client.post(format!("{api}/prod/hello")),
        client.get(format!("{api}/prod/")),
        client.get(format!("{api}/prod/hello/Ada/more")),
    ] {
        let (status, headers, body) = answer(request).await;
        assert_eq!((status, &body), (403, &missing));
        assert_eq!(
            header(&headers, "x-amzn-errortype").as_deref(),
            Some("MissingAuthenticationTokenException")
        );
    }

    // 6: there is no `Stage` stage: this is not SAM.
    let (status, _, body) = answer(client.get(format!("{api}/Stage/hello"))).await;
    assert_eq!(status, 403, "{body}");
    assert!(
        body == missing || body == json!({"message": "Forbidden"}),
        "{body}"
    );

    // 7: the function itself, through the Invoke API.
    let response = p
        .invoke("HelloHandler2E4FBA4D", r#"{"resource": "/hello"}"#, &[])
        .await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers().get("x-amz-function-error"), None);
    let result: Value = response.json().await.unwrap();
    assert_eq!(result["statusCode"], 200);
    assert_eq!(
        result["headers"],
        json!({"Content-Type": "application/json"})
    );
    let inner: Value = serde_json::from_str(result["body"].as_str().unwrap()).unwrap();
    assert_eq!(
        inner,
        json!({"message": "Hello, world!", "resource": "/hello"})
    );
}

/// A hand-written template: functions whose code is a local folder, an HTTP API of
/// resources (its integration, route and stage) and a function URL.
const HAND_WRITTEN: &str = r#"
AWSTemplateFormatVersion: "2010-09-09"
Description: An HTTP API and a function URL, written by hand
Resources:
  Echo:
    Type: AWS::Lambda::Function
    Properties:
      Runtime: python3.12
      Handler: app.echo_proxy
      Role: !GetAtt Role.Arn
      Code: {S3Bucket: deploy-bucket, S3Key: app.zip}
    Metadata: {aws:asset:path: src, aws:asset:property: Code}
  Hello:
    Type: AWS::Lambda::Function
    Properties:
      FunctionName: hello
      Runtime: python3.12
      Handler: app.hello
      Role: !GetAtt Role.Arn
      Code: {S3Bucket: deploy-bucket, S3Key: app.zip}
    Metadata: {aws:asset:path: src}
  Info:
    Type: AWS::Lambda::Function
    Properties:
      Runtime: python3.12
      Handler: app.context_info
      Role: !GetAtt Role.Arn
      Code: {S3Bucket: deploy-bucket, S3Key: app.zip}
      Environment:
        Variables:
          GREETING_URL: !GetAtt HelloUrl.FunctionUrl
    Metadata: {aws:asset:path: src}
  Role:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument:
        Statement: [{Effect: Allow, Principal: {Service: lambda.amazonaws.com}, Action: sts:AssumeRole}]
  Api:
    Type: AWS::ApiGatewayV2::Api
    Properties:
      Name: shop
      ProtocolType: HTTP
  EchoIntegration:
    Type: AWS::ApiGatewayV2::Integration
    Properties:
      ApiId: !Ref Api
      IntegrationType: AWS_PROXY
      IntegrationUri: !GetAtt Echo.Arn
      PayloadFormatVersion: "2.0"
  ItemRoute:
    Type: AWS::ApiGatewayV2::Route
    Properties:
      ApiId: !Ref Api
      RouteKey: GET /items/{id}
      Target: !Sub integrations/${EchoIntegration}
  Stage:
    Type: AWS::ApiGatewayV2::Stage
    Properties:
      ApiId: !Ref Api
      StageName: v1
      AutoDeploy: true
      StageVariables: {table: items}
  EchoPermission:
    Type: AWS::Lambda::Permission
    Properties:
      Action: lambda:InvokeFunction
      FunctionName: !Ref Echo
      Principal: apigateway.amazonaws.com
      SourceArn: !Sub arn:aws:execute-api:${AWS::Region}:${AWS::AccountId}:${Api}/*/*/items/*
  HelloUrl:
    Type: AWS::Lambda::Url
    Properties:
      TargetFunctionArn: !Ref Hello
      AuthType: NONE
Outputs:
  Endpoint:
    Value: !Sub "${Api.ApiEndpoint}/${Stage}"
  HelloUrl:
    Value: !GetAtt HelloUrl.FunctionUrl
"#;

#[tokio::test]
async fn a_hand_written_http_api_and_function_url_are_served() {
    let app = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(app.path().join("src")).unwrap();
    std::fs::copy(
        repo().join("fixtures/python/app.py"),
        app.path().join("src/app.py"),
    )
    .unwrap();
    std::fs::write(app.path().join("template.yaml"), HAND_WRITTEN).unwrap();
    let p = Portico::serve_in(app, &["template.yaml"]);
    let client = p.client();

    // The route, through its integration, with the stage's variables.
    let url = format!("{}/execute-api/Api/v1/items/7", p.endpoint());
    let (status, headers, event) = answer(client.get(url)).await;
    assert_eq!(status, 200, "{event}");
    assert!(header(&headers, "apigw-requestid").is_some());
    assert_eq!(event["version"], "2.0");
    assert_eq!(event["routeKey"], "GET /items/{id}");
    assert_eq!(event["rawPath"], "/v1/items/7");
    assert_eq!(event["pathParameters"], json!({"id": "7"}));
    assert_eq!(event["stageVariables"], json!({"table": "items"}));
    assert_eq!(event["requestContext"]["stage"], "v1");

    // No such route, and no `$default` stage.
    let (status, _, body) =
        answer(client.get(format!("{}/execute-api/Api/v1/other", p.endpoint()))).await;
    assert_eq!((status, body), (404, json!({"message": "Not Found"})));
    let (status, _, body) =
        answer(client.get(format!("{}/execute-api/Api/items/7", p.endpoint()))).await;
    assert_eq!((status, body), (404, json!({"message": "Not Found"})));

    // The function URL of `hello` (its FunctionName).
    let response = p.get("hello", "/").await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.text().await.unwrap(), "Hello from Python");
    // A function without a URL is refused, as Lambda refuses it.
    let response = p.get("Echo", "/").await;
    assert_eq!(response.status(), 403, "{}", response.text().await.unwrap());

    // `Fn::GetAtt HelloUrl.FunctionUrl` gave the function URL's address.
    let response = p.invoke("Info", "{}", &[]).await;
    assert_eq!(response.status(), 200);
    let info: Value = response.json().await.unwrap();
    assert_eq!(
        info["env"]["GREETING_URL"],
        "http://hello.lambda-url.localhost:3000/"
    );
    assert_eq!(info["function_name"], "Info");
}
