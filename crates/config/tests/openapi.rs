//! The OpenAPI importer against AWS's documented example APIs (tests/openapi/), broken
//! documents (each with the exact pointer and message Portico must give), and mangled ones.

use std::collections::BTreeMap;
use std::time::Duration;

use portico_config::openapi::{self, Imported, Problem};
use portico_config::rest::{
    ApiKeySource, Authorization, ContentHandling, IntegrationKind, Passthrough, RestAuthorizerKind,
    Validator,
};
use serde_json::{Value, json};

const FUNCTIONS: &[&str] = &[
    "function-name",
    "APIGateway-Request-Authorizer",
    "ItemsFunction",
    "Calc",
    "hello",
    "my_function",
];

fn exists(name: &str) -> bool {
    FUNCTIONS.contains(&name)
}

fn data(file: &str) -> String {
    let path = format!("{}/tests/openapi/{file}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn load(file: &str) -> Imported {
    let doc = openapi::read(&data(file)).unwrap_or_else(|p| panic!("{file}: {p}"));
    openapi::import(&doc, &exists).unwrap_or_else(|problems| {
        let all: Vec<String> = problems.iter().map(ToString::to_string).collect();
        panic!("{file}:\n{}", all.join("\n"))
    })
}

fn keys(imported: &Imported) -> Vec<&str> {
    imported.methods.iter().map(|m| m.key.text()).collect()
}

fn method<'a>(imported: &'a Imported, key: &str) -> &'a portico_config::rest::Method {
    imported
        .methods
        .iter()
        .find(|m| m.key.text() == key)
        .unwrap_or_else(|| panic!("no method {key}"))
}

fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn required(list: &[(&str, bool)]) -> BTreeMap<String, bool> {
    list.iter().map(|(k, v)| (k.to_string(), *v)).collect()
}

fn pointers(problems: &[Problem]) -> Vec<(&str, &str)> {
    problems
        .iter()
        .map(|p| (p.pointer.as_str(), p.message.as_str()))
        .collect()
}

#[test]
fn petstore_openapi3_http_and_mock_integrations() {
    let api = load("petstore.yaml");
    assert_eq!(
        keys(&api),
        [
            "GET /",
            "GET /pets",
            "OPTIONS /pets",
            "POST /pets",
            "GET /pets/{petId}",
            "OPTIONS /pets/{petId}",
        ]
    );

    let list = method(&api, "GET /pets");
    assert_eq!(
        list.integration.kind,
        IntegrationKind::Http {
            method: Some("GET".into()),
            url: "http://petstore.execute-api.us-east-1.amazonaws.com/petstore/pets".into()
        }
    );
    assert_eq!(
        list.request_parameters,
        required(&[
            ("method.request.querystring.page", false),
            ("method.request.querystring.type", false)
        ])
    );
    assert_eq!(
        list.integration.request_parameters,
        pairs(&[
            (
                "integration.request.querystring.page",
                "method.request.querystring.page"
            ),
            (
                "integration.request.querystring.type",
                "method.request.querystring.type"
            ),
        ])
    );
    assert_eq!(list.integration.passthrough, Passthrough::WhenNoMatch);
    assert_eq!(
        list.integration.timeout,
        Some(Duration::from_millis(29_000))
    );
    assert_eq!(list.authorization, Authorization::None);
    assert!(!list.api_key_required);
    let [response] = list.integration.responses.as_slice() else {
        panic!("{:?}", list.integration.responses)
    };
    assert_eq!(response.pattern, None);
    assert_eq!(response.status, 200);
    assert_eq!(
        response.parameters,
        pairs(&[("method.response.header.Access-Control-Allow-Origin", "'*'")])
    );

    let create = method(&api, "POST /pets");
    assert_eq!(
        create.request_models,
        BTreeMap::from([("application/json".to_string(), "NewPet".to_string())])
    );
    assert!(matches!(
        &create.integration.kind,
        IntegrationKind::Http { method: Some(m), .. } if m == "POST"
    ));

    let one = method(&api, "GET /pets/{petId}");
    assert_eq!(
        one.request_parameters,
        required(&[("method.request.path.petId", true)])
    );
    assert!(matches!(
        &one.integration.kind,
        IntegrationKind::Http { url, .. } if url.ends_with("/petstore/pets/{petId}")
    ));

    let preflight = method(&api, "OPTIONS /pets");
    assert_eq!(preflight.integration.kind, IntegrationKind::Mock);
    assert_eq!(
        preflight.integration.request_templates["application/json"],
        r#"{"statusCode": 200}"#
    );
    assert_eq!(
        preflight.integration.responses[0].parameters,
        pairs(&[
            (
                "method.response.header.Access-Control-Allow-Headers",
                "'Content-Type,X-Amz-Date,Authorization,X-Api-Key'"
            ),
            (
                "method.response.header.Access-Control-Allow-Methods",
                "'POST,GET,OPTIONS'"
            ),
            ("method.response.header.Access-Control-Allow-Origin", "'*'"),
        ])
    );

    let root = method(&api, "GET /");
    assert_eq!(root.integration.kind, IntegrationKind::Mock);
    let page = &root.integration.responses[0].templates["text/html"];
    assert!(page.starts_with("<html>\n"), "{page}");
    assert!(page.contains("<h1>Welcome to your Pet Store API</h1>"));
    assert!(page.contains("href=\"/$context.stage/pets/1\""));

    // Models: all schemas, each self-contained.
    assert_eq!(
        api.models.keys().collect::<Vec<_>>(),
        [
            "Empty",
            "NewPet",
            "NewPetResponse",
            "Pet",
            "PetType",
            "Pets"
        ]
    );
    assert_eq!(
        api.models["NewPet"],
        json!({
            "type": "object",
            "properties": {
                "type": {"$ref": "#/definitions/PetType"},
                "price": {"type": "number"}
            },
            "definitions": {
                "PetType": {"type": "string", "enum": ["dog", "cat", "fish", "bird", "gecko"]}
            }
        })
    );
    assert_eq!(
        api.models["Pets"]["items"],
        json!({"$ref": "#/definitions/Pet"})
    );
    assert_eq!(api.models["Pets"]["definitions"]["Pet"], api.models["Pet"]);
    assert_eq!(api.models["Empty"], json!({"type": "object"}));

    assert!(api.authorizers.is_empty());
    assert_eq!(api.api_key_source, ApiKeySource::Header);
    assert_eq!(
        pointers(&api.unsupported),
        [(
            "/servers/0/variables/basePath/default",
            "the base path `/dev` is ignored, as API Gateway's import does by default (basepath=ignore)"
        )]
    );
}

#[test]
fn request_validation_swagger2_validators_parameters_and_body_model() {
    let api = load("request_validation.json");
    assert_eq!(keys(&api), ["GET /validation", "POST /validation"]);
    assert_eq!(
        api.validators,
        BTreeMap::from([
            (
                "all".to_string(),
                Validator {
                    body: true,
                    parameters: true
                }
            ),
            (
                "params-only".to_string(),
                Validator {
                    body: false,
                    parameters: true
                }
            ),
        ])
    );

    // The document's default validator, and a required query string.
    let get = method(&api, "GET /validation");
    assert_eq!(get.validator.as_deref(), Some("params-only"));
    assert_eq!(
        get.request_parameters,
        required(&[("method.request.querystring.q1", true)])
    );
    assert!(get.request_models.is_empty());
    assert_eq!(
        get.integration.request_parameters,
        pairs(&[(
            "integration.request.querystring.type",
            "method.request.querystring.q1"
        )])
    );

    // The operation's own validator, a required header and the body's model.
    let post = method(&api, "POST /validation");
    assert_eq!(post.validator.as_deref(), Some("all"));
    assert_eq!(
        post.request_parameters,
        required(&[("method.request.header.h1", true)])
    );
    assert_eq!(
        post.request_models,
        BTreeMap::from([(
            "application/json".to_string(),
            "RequestBodyModel".to_string()
        )])
    );
    // `security: [api_key]` with `x-amazon-apigateway-auth: none`.
    assert!(post.api_key_required);
    assert_eq!(post.authorization, Authorization::None);

    // Integration responses: the selection pattern first, the default last.
    let responses = &post.integration.responses;
    assert_eq!(responses.len(), 2);
    assert_eq!(responses[0].pattern.as_deref(), Some(r"2\d{2}"));
    assert_eq!(responses[0].status, 200);
    assert!(responses[0].templates.is_empty());
    assert_eq!(responses[1].pattern, None);
    assert_eq!(responses[1].status, 400);
    assert_eq!(
        responses[1].parameters,
        pairs(&[(
            "method.response.header.test-method-response-header",
            "'static value'"
        )])
    );
    assert_eq!(
        responses[1].templates,
        BTreeMap::from([
            (
                "application/json".to_string(),
                "json 400 response template".to_string()
            ),
            (
                "application/xml".to_string(),
                "xml 400 response template".to_string()
            ),
        ])
    );

    assert_eq!(
        api.models["RequestBodyModel"]["required"],
        json!(["type", "name", "price"])
    );
    assert_eq!(
        api.models["RequestBodyModel"]["properties"]["price"],
        json!({"type": "number", "minimum": 25, "maximum": 500})
    );
    assert_eq!(
        pointers(&api.unsupported),
        [(
            "/basePath",
            "the base path `/v1` is ignored, as API Gateway's import does by default (basepath=ignore)"
        )]
    );
}

#[test]
fn lambda_non_proxy_integration_with_templates() {
    let api = load("lambda_calc.json");
    assert_eq!(
        keys(&api),
        [
            "GET /calc",
            "POST /calc",
            "GET /calc/{operand1}/{operand2}/{operator}"
        ]
    );
    for m in &api.methods {
        assert_eq!(
            m.integration.kind,
            IntegrationKind::Aws {
                function: "Calc".into()
            }
        );
    }

    let get = method(&api, "GET /calc");
    assert_eq!(
        get.validator.as_deref(),
        Some("Validate query string parameters and headers")
    );
    assert_eq!(
        get.request_parameters,
        required(&[
            ("method.request.querystring.operand1", true),
            ("method.request.querystring.operand2", true),
            ("method.request.querystring.operator", true),
        ])
    );
    assert_eq!(
        get.integration.request_templates["application/json"],
        "{\n    \"a\":  \"$input.params('operand1')\",\n    \"b\":  \"$input.params('operand2')\", \n    \"op\": \"$input.params('operator')\"   \n}"
    );
    let [response] = get.integration.responses.as_slice() else {
        panic!()
    };
    assert_eq!(response.pattern, None);
    assert_eq!(
        response.parameters,
        pairs(&[
            (
                "method.response.header.operand_1",
                "integration.response.body.a"
            ),
            (
                "method.response.header.operand_2",
                "integration.response.body.b"
            ),
            (
                "method.response.header.operator",
                "integration.response.body.op"
            ),
        ])
    );
    assert!(response.templates["application/json"].starts_with("#set($res = $input.path('$'))"));
    assert_eq!(get.integration.passthrough, Passthrough::WhenNoMatch);
    assert_eq!(get.integration.content_handling, None);

    let post = method(&api, "POST /calc");
    assert_eq!(post.validator.as_deref(), Some("Validate body"));
    assert_eq!(
        post.request_parameters,
        required(&[("method.request.header.InvocationType", false)])
    );
    assert_eq!(
        post.request_models,
        BTreeMap::from([("application/json".to_string(), "Input".to_string())])
    );
    assert_eq!(post.integration.passthrough, Passthrough::WhenNoTemplates);
    assert!(post.integration.request_templates.is_empty());

    let path = method(&api, "GET /calc/{operand1}/{operand2}/{operator}");
    assert_eq!(path.validator, None);
    assert_eq!(
        path.integration.content_handling,
        Some(ContentHandling::ConvertToText)
    );
    assert_eq!(
        path.request_parameters,
        required(&[
            ("method.request.path.operand1", true),
            ("method.request.path.operand2", true),
            ("method.request.path.operator", true),
        ])
    );
    assert!(
        path.integration.request_templates["application/json"]
            .contains("#if($input.params('operator')=='%2F')")
    );

    // Result refers to Input and Output: both come along under `definitions`.
    assert_eq!(
        api.models["Result"]["properties"],
        json!({"input": {"$ref": "#/definitions/Input"}, "output": {"$ref": "#/definitions/Output"}})
    );
    assert_eq!(
        api.models["Result"]["definitions"]["Input"],
        api.models["Input"]
    );
    assert_eq!(
        api.models["Result"]["definitions"]["Output"],
        api.models["Output"]
    );
    assert!(api.models["Input"].get("definitions").is_none());
}

#[test]
fn authorizers_security_and_api_settings() {
    let api = load("authorizers.yaml");
    assert_eq!(
        keys(&api),
        [
            "GET /bucket",
            "GET /cognito",
            "GET /http",
            "GET /operation1",
            "GET /protected-by-iam",
            "GET /request",
            "ANY /items/{proxy+}",
        ]
    );

    let token = &api.authorizers["test-authorizer"];
    assert_eq!(token.ttl, Duration::from_secs(60));
    let RestAuthorizerKind::Token {
        function,
        header,
        validation,
    } = &token.kind
    else {
        panic!("{token:?}")
    };
    assert_eq!(function, "function-name");
    assert_eq!(header, "Authorization");
    assert_eq!(validation.as_deref(), Some("^x-[a-z]+"));

    let request = &api.authorizers["request_authorizer_header_query"];
    assert_eq!(request.ttl, Duration::from_secs(300));
    let RestAuthorizerKind::Request {
        function,
        identity_sources,
    } = &request.kind
    else {
        panic!("{request:?}")
    };
    assert_eq!(function, "APIGateway-Request-Authorizer");
    assert_eq!(
        identity_sources,
        &[
            "method.request.header.HeaderAuth1",
            "method.request.querystring.QueryString1"
        ]
    );

    let cognito = &api.authorizers["cognito-pool"];
    assert_eq!(cognito.ttl, Duration::from_secs(300));
    let RestAuthorizerKind::CognitoUserPools { issuers, header } = &cognito.kind else {
        panic!("{cognito:?}")
    };
    assert_eq!(
        issuers,
        &[
            "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_ABC123",
            "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_XYZ789"
        ]
    );
    assert_eq!(header, "Authorization");
    assert_eq!(api.authorizers.len(), 3);

    assert_eq!(
        method(&api, "GET /http").authorization,
        Authorization::Authorizer {
            name: "test-authorizer".into(),
            scopes: vec![]
        }
    );
    let request_method = method(&api, "GET /request");
    assert_eq!(
        request_method.authorization,
        Authorization::Authorizer {
            name: "request_authorizer_header_query".into(),
            scopes: vec![]
        }
    );
    assert!(request_method.api_key_required);
    assert_eq!(
        request_method.integration.responses[0].status, 200,
        "a numeric statusCode"
    );
    let cognito_method = method(&api, "GET /cognito");
    assert_eq!(
        cognito_method.authorization,
        Authorization::Authorizer {
            name: "cognito-pool".into(),
            scopes: vec!["email".into(), "pets/read".into()]
        }
    );
    // Fn::Sub with `${ItemsFunction.Arn}`: the function named like the resource.
    assert_eq!(
        cognito_method.integration.kind,
        IntegrationKind::AwsProxy {
            function: "ItemsFunction".into()
        }
    );
    assert!(!cognito_method.api_key_required);

    // `x-amazon-apigateway-authtype: awsSigv4`, and `x-amazon-apigateway-auth: AWS_IAM`.
    let sigv4 = method(&api, "GET /operation1");
    assert_eq!(sigv4.authorization, Authorization::Iam);
    // A function chosen by stage variable stays as written, for the gateway to resolve.
    assert_eq!(
        sigv4.integration.kind,
        IntegrationKind::AwsProxy {
            function: "${stageVariables.fn}".into()
        }
    );
    assert_eq!(sigv4.integration.timeout, Some(Duration::from_millis(5000)));
    let iam = method(&api, "GET /protected-by-iam");
    assert_eq!(iam.authorization, Authorization::Iam);
    assert_eq!(
        iam.integration.kind,
        IntegrationKind::HttpProxy {
            method: None,
            url: "https://example.com/iam".into()
        }
    );

    // x-amazon-apigateway-any-method, a greedy path, Fn::Sub with a `Ref` variable.
    let any = method(&api, "ANY /items/{proxy+}");
    assert_eq!(
        any.integration.kind,
        IntegrationKind::AwsProxy {
            function: "ItemsFunction".into()
        }
    );
    assert_eq!(
        any.request_parameters,
        required(&[("method.request.path.proxy", true)])
    );

    assert_eq!(api.api_key_source, ApiKeySource::Authorizer);
    assert_eq!(api.binary_media_types, ["image/png", "*/*"]);
    let default_4xx = &api.gateway_responses["DEFAULT_4XX"];
    assert_eq!(default_4xx.status, None);
    assert_eq!(
        default_4xx.parameters,
        pairs(&[(
            "gatewayresponse.header.Access-Control-Allow-Origin",
            "'domain.com'"
        )])
    );
    assert_eq!(
        default_4xx.templates["application/json"],
        "{\"message\": test 4xx b }"
    );
    assert_eq!(api.gateway_responses["INVALID_API_KEY"].status, Some(429));
    assert_eq!(api.gateway_responses.len(), 2);

    // The S3 method calls S3 at its path, with GET; every unserved extension is reported.
    let bucket = api
        .methods
        .iter()
        .find(|m| m.key.text() == "GET /bucket")
        .unwrap();
    assert_eq!(
        bucket.integration.kind,
        portico_config::rest::IntegrationKind::AwsService(portico_config::rest::ServiceCall {
            service: "s3".into(),
            region: Some("us-east-1".into()),
            operation: portico_config::rest::ServiceOperation::Path("my-bucket/index.html".into()),
            method: Some("GET".into()),
        })
    );
    assert_eq!(
        pointers(&api.unsupported),
        [
            (
                "/components/securitySchemes/request_authorizer_header_query/x-amazon-apigateway-authorizer/authorizerUri",
                "the qualifier `vtwo` is ignored: the authorizer invokes function `APIGateway-Request-Authorizer` as `$LATEST`"
            ),
            (
                "/tags/0/x-amazon-apigateway-tag-value",
                "tags do not apply to Portico"
            ),
            (
                "/x-amazon-apigateway-documentation",
                "documentation parts are not served by Portico"
            ),
            (
                "/x-amazon-apigateway-endpoint-configuration",
                "endpoint types (EDGE, REGIONAL, PRIVATE) and VPC endpoints do not apply to Portico"
            ),
            (
                "/x-amazon-apigateway-minimum-compression-size",
                "response compression is not served by Portico"
            ),
            (
                "/x-amazon-apigateway-policy",
                "the resource policy is not enforced by Portico"
            ),
        ]
    );
}

/// A small OpenAPI 3 document around one operation.
fn with_operation(operation: &str) -> String {
    let indented: String = operation.lines().map(|l| format!("      {l}\n")).collect();
    format!(
        "openapi: 3.0.1\ninfo: {{title: t, version: '1'}}\npaths:\n  /pets:\n    get:\n{indented}"
    )
}

const HELLO: &str = "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/arn:aws:lambda:us-east-1:123456789012:function:hello/invocations";

fn problems(yaml: &str) -> Vec<String> {
    let doc = openapi::read(yaml).unwrap_or_else(|p| panic!("{p}\n{yaml}"));
    match openapi::import(&doc, &exists) {
        Ok(_) => vec![],
        Err(problems) => problems
            .iter()
            .map(|p| {
                let help = p
                    .help
                    .as_deref()
                    .map(|h| format!(" | {h}"))
                    .unwrap_or_default();
                format!("{} {}{help}", p.pointer, p.message)
            })
            .collect(),
    }
}

#[test]
fn broken_documents_say_where_and_how_to_fix() {
    const I: &str = "/paths/~1pets/get/x-amazon-apigateway-integration";
    let cases: Vec<(String, Vec<String>)> = vec![
        (
            with_operation("x-amazon-apigateway-integration: {type: lambda, uri: x}"),
            vec![format!("{I}/type `lambda` is not an integration type | use aws_proxy (Lambda proxy), aws (Lambda with templates), http_proxy, http or mock")],
        ),
        (
            with_operation("x-amazon-apigateway-integration: {type: aws_prox, httpMethod: POST, uri: x}"),
            vec![format!("{I}/type `aws_prox` is not an integration type | did you mean `aws_proxy`?")],
        ),
        (
            with_operation("x-amazon-apigateway-integration:\n  type: aws_proxy\n  httpMethod: POST\n  uri: arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/arn:aws:lambda:us-east-1:123456789012:function:Missing/invocations"),
            vec![format!("{I}/uri function `Missing` is not defined | define `Missing` under `functions:` in portico.yaml, or name one that is")],
        ),
        (
            with_operation("x-amazon-apigateway-integration:\n  type: aws_proxy\n  uri: arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/arn:aws:lambda:us-east-1:123456789012:function:Hello/invocations"),
            vec![format!("{I}/uri function `Hello` is not defined | did you mean `hello`?")],
        ),
        (
            with_operation("x-amazon-apigateway-integration:\n  type: aws_proxy\n  uri: arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/arn:aws:lambda:us-east-1:123456789012:function:my-function/invocations"),
            vec![format!("{I}/uri function `my-function` is not defined | did you mean `my_function`?")],
        ),
        (
            with_operation("x-amazon-apigateway-integration:\n  type: aws_proxy\n  uri: arn:aws:lambda:us-east-1:123456789012:function:hello"),
            vec![format!("{I}/uri `arn:aws:lambda:us-east-1:123456789012:function:hello` is a function ARN, not an API Gateway invocation URI | wrap it: arn:aws:apigateway:{{region}}:lambda:path/2015-03-31/functions/arn:aws:lambda:us-east-1:123456789012:function:hello/invocations")],
        ),
        (
            with_operation("x-amazon-apigateway-integration:\n  type: aws_proxy\n  uri: {'Fn::Sub': 'arn:aws:apigateway:${AWS::Region}:lambda:path/2015-03-31/functions/${HelloFunction.Arn}/invocations'}"),
            vec![format!("{I}/uri CloudFormation resource `HelloFunction` is not a function Portico knows | name a function `HelloFunction` in portico.yaml (a resource stands for the function of the same name), or write the function's ARN")],
        ),
        (
            with_operation("x-amazon-apigateway-integration:\n  type: aws_proxy\n  uri: {'Fn::Join': ['', [a, b]]}"),
            vec![format!("{I}/uri `Fn::Join` cannot be evaluated here | write the URI as a string or with `Fn::Sub`: arn:aws:apigateway:{{region}}:lambda:path/2015-03-31/functions/{{function ARN}}/invocations")],
        ),
        (
            with_operation(&format!("x-amazon-apigateway-integration: {{type: aws, httpMethod: GET, uri: '{HELLO}'}}")),
            vec![format!("{I}/httpMethod `httpMethod` is GET, but Lambda functions are invoked with POST | set `httpMethod: POST` (the client's method is still the operation's)")],
        ),
        (
            with_operation(&format!("x-amazon-apigateway-integration: {{type: aws_proxy, uri: '{HELLO}', timeoutInMillis: 10}}")),
            vec![format!("{I}/timeoutInMillis `timeoutInMillis` is 10, not 50 to 300000 | give milliseconds from 50 to 29000 (up to 300000 for a Regional API with a raised quota)")],
        ),
        (
            with_operation(&format!("x-amazon-apigateway-integration: {{type: aws_proxy, uri: '{HELLO}', responseTransferMode: TRICKLE}}")),
            vec![format!("{I}/responseTransferMode `responseTransferMode` is TRICKLE, not BUFFERED or STREAM | write `responseTransferMode: STREAM` to stream the response")],
        ),
        (
            with_operation(&format!("x-amazon-apigateway-integration: {{type: aws, uri: '{HELLO}', responseTransferMode: STREAM, responses: {{default: {{statusCode: '200', responseTemplates: {{application/json: x}}}}}}}}")),
            vec![format!("{I}/responseTransferMode a streaming integration cannot have response templates | remove the `responseTemplates`, or use `responseTransferMode: BUFFERED`")],
        ),
        (
            with_operation(&format!("x-amazon-apigateway-integration: {{type: aws_proxy, uri: '{HELLO}', timeoutInMillis: 300001}}")),
            vec![format!("{I}/timeoutInMillis `timeoutInMillis` is 300001, not 50 to 300000 | give milliseconds from 50 to 29000 (up to 300000 for a Regional API with a raised quota)")],
        ),
        (
            with_operation(&format!("x-amazon-apigateway-integration: {{type: aws_proxy, uri: '{HELLO}', timeoutInMilis: 100}}")),
            vec![format!("{I}/timeoutInMilis unknown integration property `timeoutInMilis` | did you mean `timeoutInMillis`?")],
        ),
        (
            with_operation(&format!("x-amazon-apigateway-integration: {{type: aws_proxy, uri: '{HELLO}', passthroughBehavior: sometimes}}")),
            vec![format!("{I}/passthroughBehavior `sometimes` is not a passthrough behavior | use when_no_match, when_no_templates or never")],
        ),
        (
            with_operation("x-amazon-apigateway-integration: {type: http, httpMethod: GET, uri: 'ftp://example.com'}"),
            vec![format!("{I}/uri ftp://example.com is not an http(s) URL | write the backend's absolute URL, e.g. `https://example.com/pets/{{petId}}`")],
        ),
        (
            with_operation("x-amazon-apigateway-integration: {type: http_proxy, uri: 'https://example.com'}"),
            vec![format!("{I}/httpMethod the `http_proxy` integration has no `httpMethod` | give the backend's method (GET, POST, ...) or ANY to pass the client's on")],
        ),
        (
            with_operation("x-amazon-apigateway-integration:\n  type: mock\n  responses:\n    default: {statusCode: '2000'}\n    '5\\d{2}': {statusCod: '500'}"),
            vec![
                format!("{I}/responses/5\\d{{2}}/statusCod unknown integration response property `statusCod` | did you mean `statusCode`?"),
                format!("{I}/responses/5\\d{{2}}/statusCode the integration response has no `statusCode` | give the method response's status, e.g. statusCode: \"200\""),
                format!("{I}/responses/default/statusCode `2000` is not an HTTP status code | give a status from 100 to 599, e.g. \"200\""),
            ],
        ),
        (
            with_operation("x-amazon-apigateway-integration:\n  type: mock\n  requestParameters: {integration.request.querystring.q: method.request.querystring.q}"),
            vec![format!("{I}/requestParameters/integration.request.querystring.q `method.request.querystring.q` is not a declared request parameter | declare it in the operation's `parameters` (name: q, in: query)")],
        ),
        (
            with_operation("x-amazon-apigateway-integration:\n  type: mock\n  contentHandling: CONVERT_TO_JSON"),
            vec![format!("{I}/contentHandling `CONVERT_TO_JSON` is not a content handling | use CONVERT_TO_TEXT or CONVERT_TO_BINARY, or leave it out to pass payloads through")],
        ),
        (
            with_operation("responses: {}"),
            vec!["/paths/~1pets/get `GET /pets` has no `x-amazon-apigateway-integration` | API Gateway does not deploy a method without an integration: add `x-amazon-apigateway-integration` (type aws_proxy, aws, http_proxy, http or mock)".to_string()],
        ),
        (
            with_operation("x-amazon-apigateway-integraton: {type: mock}"),
            vec!["/paths/~1pets/get `GET /pets` has no `x-amazon-apigateway-integration` | `x-amazon-apigateway-integraton` is misspelt: write `x-amazon-apigateway-integration`".to_string()],
        ),
        (
            with_operation("security: [{api-key: []}]\nx-amazon-apigateway-integration: {type: mock}")
                + "components:\n  securitySchemes:\n    apiKey: {type: apiKey, name: x-api-key, in: header}\n",
            vec!["/paths/~1pets/get/security/0/api-key security scheme `api-key` is not defined | did you mean `apiKey`?".to_string()],
        ),
        (
            with_operation("x-amazon-apigateway-request-validator: al\nx-amazon-apigateway-integration: {type: mock}")
                + "x-amazon-apigateway-request-validators: {all: {validateRequestBody: true}}\n",
            vec!["/paths/~1pets/get/x-amazon-apigateway-request-validator request validator `al` is not declared | did you mean `all`?".to_string()],
        ),
        (
            with_operation("requestBody: {content: {application/json: {schema: {$ref: '#/components/schemas/Pett'}}}}\nx-amazon-apigateway-integration: {type: mock}")
                + "components:\n  schemas:\n    Pet: {type: object}\n",
            vec!["/paths/~1pets/get/requestBody/content/application~1json/schema/$ref model `Pett` is not defined | did you mean `Pet`?".to_string()],
        ),
        (
            with_operation("x-amazon-apigateway-integration: {type: mock}")
                + "components:\n  schemas:\n    Pet-Type: {type: string}\n",
            vec!["/components/schemas/Pet-Type model name `Pet-Type` is not alphanumeric | API Gateway model names are letters and digits only: rename it (and its `$ref`s)".to_string()],
        ),
        (
            with_operation("x-amazon-apigateway-integration: {type: mock}")
                + "x-amazon-apigateway-gateway-responses: {DEFAULT_4xx: {statusCode: 400}}\n",
            vec!["/x-amazon-apigateway-gateway-responses/DEFAULT_4xx `DEFAULT_4xx` is not a gateway response type | did you mean `DEFAULT_4XX`?".to_string()],
        ),
        (
            with_operation("security: [{auth: []}]\nx-amazon-apigateway-integration: {type: mock}")
                + "components:\n  securitySchemes:\n    auth:\n      type: apiKey\n      name: Authorization\n      in: header\n      x-amazon-apigateway-authorizer: {type: tokn, authorizerUri: x}\n",
            vec!["/components/securitySchemes/auth/x-amazon-apigateway-authorizer/type `tokn` is not an authorizer type | did you mean `token`?".to_string()],
        ),
        (
            with_operation("x-amazon-apigateway-integration: {type: mock}")
                + "components:\n  securitySchemes:\n    auth:\n      type: apiKey\n      name: Authorization\n      in: header\n      x-amazon-apigateway-authorizer: {type: token, authorizerResultTtlInSeconds: 7200}\n",
            vec![
                "/components/securitySchemes/auth/x-amazon-apigateway-authorizer/authorizerResultTtlInSeconds `authorizerResultTtlInSeconds` is 7200, not 0 to 3600 | give the seconds a decision is cached, 0 to 3600 (0 turns caching off; the default is 300)".to_string(),
                "/components/securitySchemes/auth/x-amazon-apigateway-authorizer/authorizerUri the Lambda authorizer has no `authorizerUri` | name its function: arn:aws:apigateway:{region}:lambda:path/2015-03-31/functions/{function ARN}/invocations".to_string(),
            ],
        ),
        (
            with_operation("x-amazon-apigateway-integration: {type: mock}")
                + "components:\n  securitySchemes:\n    pool:\n      type: apiKey\n      name: Authorization\n      in: header\n      x-amazon-apigateway-authorizer: {type: cognito_user_pools, providerARNs: ['arn:aws:cognito-idp:us-east-1:123456789012:pool/x']}\n",
            vec!["/components/securitySchemes/pool/x-amazon-apigateway-authorizer/providerARNs/0 `arn:aws:cognito-idp:us-east-1:123456789012:pool/x` is not a user pool ARN | write arn:aws:cognito-idp:{region}:{account}:userpool/{user pool id}".to_string()],
        ),
        (
            "openapi: 3.0.1\ninfo: {title: t, version: '1'}\npaths:\n  /pets/{petId:\n    get:\n      x-amazon-apigateway-integration: {type: mock}\n".to_string(),
            vec!["/paths/~1pets~1{petId path parameter `{petId` is not closed | write `{petId}`: a path parameter is a whole segment, `{name}` or `{name+}`".to_string()],
        ),
        (
            "openapi: 3.0.1\ninfo: {title: t, version: '1'}\npaths:\n  /pets/:\n    get:\n      x-amazon-apigateway-integration: {type: mock}\n".to_string(),
            vec!["/paths/~1pets~1 path `/pets/` ends with `/` | write `/pets`: API Gateway resources have no trailing slash".to_string()],
        ),
        (
            "openapi: 3.0.1\ninfo: {title: t, version: '1'}\npaths:\n  /pets/{proxy+}/toys:\n    get:\n      x-amazon-apigateway-integration: {type: mock}\n".to_string(),
            vec!["/paths/~1pets~1{proxy+}~1toys path `/pets/{proxy+}/toys`: a greedy parameter `{name+}` must be the last segment".to_string()],
        ),
        (
            "openapi: 3.0.1\ninfo: {title: t, version: '1'}\npaths:\n  /pets/{id}:\n    get:\n      x-amazon-apigateway-integration: {type: mock}\n  /pets/{petId}/toys:\n    get:\n      x-amazon-apigateway-integration: {type: mock}\n".to_string(),
            vec!["/paths/~1pets~1{petId}~1toys `{petId}` and `{id}` are both variable segments under `/pets` | API Gateway allows one variable child per resource: use the same parameter name in both paths".to_string()],
        ),
        (
            "openapi: 3.0.1\ninfo: {title: t, version: '1'}\npaths:\n  /pets:\n    gett:\n      x-amazon-apigateway-integration: {type: mock}\n".to_string(),
            vec!["/paths/~1pets/gett unknown path item property `gett` | did you mean `get`?".to_string()],
        ),
        (
            "swagger: '1.2'\ninfo: {title: t, version: '1'}\npaths: {}\n".to_string(),
            vec!["/swagger `swagger` is 1.2, not \"2.0\" | API Gateway imports OpenAPI 3.0 (`openapi: 3.0.1`) and Swagger 2 (`swagger: '2.0'`)".to_string()],
        ),
        (
            "info: {title: t}\n".to_string(),
            vec![" the document has neither `openapi` nor `swagger` | start it with `openapi: 3.0.1` (or `swagger: '2.0'` for a Swagger 2 document)".to_string()],
        ),
    ];
    let mut failures = Vec::new();
    for (yaml, expected) in &cases {
        let got = problems(yaml);
        if &got != expected {
            failures.push(format!(
                "--- document:\n{yaml}--- expected:\n{}\n--- got:\n{}",
                expected.join("\n"),
                got.join("\n")
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn every_problem_is_reported_not_only_the_first() {
    let yaml = "openapi: 3.0.1\ninfo: {title: t, version: '1'}\npaths:\n  /a:\n    get:\n      x-amazon-apigateway-integration: {type: lambda}\n    post:\n      responses: {}\n  /b:\n    get:\n      x-amazon-apigateway-integration:\n        type: aws_proxy\n        timeoutInMillis: 0\n        uri: arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/arn:aws:lambda:us-east-1:1:function:nope/invocations\n";
    let got = problems(yaml);
    let pointers: Vec<&str> = got.iter().map(|p| p.split(' ').next().unwrap()).collect();
    assert_eq!(
        pointers,
        [
            "/paths/~1a/get/x-amazon-apigateway-integration/type",
            "/paths/~1a/post",
            "/paths/~1b/get/x-amazon-apigateway-integration/uri",
            "/paths/~1b/get/x-amazon-apigateway-integration/timeoutInMillis",
        ],
        "{got:#?}"
    );
}

#[test]
fn syntax_errors_give_line_and_column() {
    let yaml = openapi::read("openapi: 3.0.1\npaths:\n  /a: [1,\n").unwrap_err();
    assert_eq!(yaml.pointer, "");
    assert_eq!(yaml.message, "line 3, column 7: unclosed bracket '['");
    assert_eq!(
        yaml.help.as_deref(),
        Some("fix the YAML syntax at that place")
    );

    let yaml = openapi::read("openapi: 3.0.1\ninfo: a: b\n").unwrap_err();
    assert_eq!(
        yaml.message,
        "line 2, column 8: mapping values are not allowed in this context"
    );

    let json = openapi::read("{\n  \"openapi\": \"3.0.1\",\n  \"paths\": {,}\n}").unwrap_err();
    assert_eq!(json.message, "line 3, column 13: key must be a string");
    assert_eq!(
        json.help.as_deref(),
        Some("fix the JSON syntax at that place")
    );

    let duplicate = openapi::read("paths: {}\npaths: {}\n").unwrap_err();
    assert!(
        duplicate
            .message
            .starts_with("line 2, column 1: duplicate mapping key"),
        "{}",
        duplicate.message
    );

    // JSON and YAML both read; a YAML flow mapping that is not JSON too.
    assert_eq!(
        openapi::read("{\"a\": [1, 2]}").unwrap(),
        json!({"a": [1, 2]})
    );
    assert_eq!(openapi::read("{a: b}").unwrap(), json!({"a": "b"}));
    assert_eq!(
        openapi::read("a:\n  200: x\n").unwrap(),
        json!({"a": {"200": "x"}})
    );
}

#[test]
fn cloudformation_short_tags_and_stage_variables() {
    // `!Sub` is read as its string; `${AWS::Region}` and `${AWS::AccountId}` stand for
    // anything; the function name must still exist.
    let yaml = with_operation(
        "x-amazon-apigateway-integration:\n  type: aws_proxy\n  uri: !Sub arn:aws:apigateway:${AWS::Region}:lambda:path/2015-03-31/functions/arn:aws:lambda:${AWS::Region}:${AWS::AccountId}:function:hello/invocations",
    );
    let api = openapi::import(&openapi::read(&yaml).unwrap(), &exists).unwrap();
    assert_eq!(
        api.methods[0].integration.kind,
        IntegrationKind::AwsProxy {
            function: "hello".into()
        }
    );
    // `Fn::Sub` with a literal variable.
    let yaml = with_operation(
        "x-amazon-apigateway-integration:\n  type: aws\n  uri:\n    Fn::Sub:\n    - arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/arn:aws:lambda:us-east-1:1:function:${Name}/invocations\n    - {Name: hello}",
    );
    let api = openapi::import(&openapi::read(&yaml).unwrap(), &exists).unwrap();
    assert_eq!(
        api.methods[0].integration.kind,
        IntegrationKind::Aws {
            function: "hello".into()
        }
    );
    // A stage variable inside a name is kept as written.
    let yaml = with_operation(
        "x-amazon-apigateway-integration:\n  type: aws_proxy\n  uri: arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/arn:aws:lambda:us-east-1:1:function:hello-${stageVariables.env}/invocations",
    );
    let api = openapi::import(&openapi::read(&yaml).unwrap(), &exists).unwrap();
    assert_eq!(
        api.methods[0].integration.kind,
        IntegrationKind::AwsProxy {
            function: "hello-${stageVariables.env}".into()
        }
    );
}

#[test]
fn unsupported_extensions_and_schemes_are_reported_not_ignored() {
    let yaml = with_operation(
        "security: [{oauth: [read]}]\nx-amazon-apigateway-integration: {type: mock, connectionType: VPC_LINK, connectionId: abc}\nx-amazon-apigateway-something-new: 1",
    ) + "x-amazon-apigateway-cors: {allowOrigins: ['*']}\ncomponents:\n  securitySchemes:\n    oauth: {type: oauth2, flows: {}}\n";
    let api = openapi::import(&openapi::read(&yaml).unwrap(), &exists).unwrap();
    assert_eq!(api.methods[0].authorization, Authorization::None);
    assert_eq!(
        pointers(&api.unsupported),
        [
            (
                "/components/securitySchemes/oauth",
                "security scheme `oauth` (of type `oauth2`) is not one API Gateway enforces on a REST API: methods that require only it are open"
            ),
            (
                "/paths/~1pets/get/x-amazon-apigateway-integration/connectionType",
                "private integrations (VPC_LINK) are not served through a VPC link: Portico calls `uri` directly"
            ),
            (
                "/paths/~1pets/get/x-amazon-apigateway-something-new",
                "`x-amazon-apigateway-something-new` is not supported by Portico and is ignored"
            ),
            (
                "/x-amazon-apigateway-cors",
                "`x-amazon-apigateway-cors` applies to HTTP APIs only"
            ),
        ]
    );
}

#[test]
fn recursive_models_stay_resolvable() {
    let yaml = with_operation(
        "requestBody: {content: {application/json: {schema: {$ref: '#/components/schemas/Node'}}, application/xml: {schema: {type: object, properties: {n: {$ref: '#/components/schemas/Node'}}}}}}\nx-amazon-apigateway-integration: {type: mock}",
    ) + "components:\n  schemas:\n    Node:\n      type: object\n      properties:\n        children: {type: array, items: {$ref: '#/components/schemas/Node'}}\n";
    let api = openapi::import(&openapi::read(&yaml).unwrap(), &exists).unwrap();
    let node = &api.models["Node"];
    assert_eq!(
        node["properties"]["children"]["items"],
        json!({"$ref": "#/definitions/Node"})
    );
    assert_eq!(
        node["definitions"]["Node"]["properties"]["children"]["items"],
        json!({"$ref": "#/definitions/Node"})
    );
    // An inline body schema becomes a model of its own.
    let models = &api.methods[0].request_models;
    assert_eq!(models["application/json"], "Node");
    assert_eq!(models["application/xml"], "GetPetsXmlBody");
    assert_eq!(
        api.models["GetPetsXmlBody"]["definitions"]["Node"]["type"],
        json!("object")
    );
}

/// Every value replaced by values of other kinds, one at a time: the importer answers (Ok or
/// problems) and never panics.
#[test]
fn mangled_documents_never_panic() {
    let replacements = [
        Value::Null,
        json!(true),
        json!(0),
        json!(-1),
        json!(1e300),
        json!(""),
        json!("${"),
        json!("arn:aws:apigateway:x:lambda:path/2015-03-31/functions/${a.Arn}/invocations"),
        json!("{a}/{b+}/{"),
        json!([]),
        json!([null]),
        json!({}),
        json!({"$ref": "#/"}),
        json!({"$ref": "#/components/schemas/Pet"}),
        json!({"Fn::Sub": [1, 2]}),
    ];
    let mut runs = 0;
    for file in [
        "petstore.yaml",
        "request_validation.json",
        "lambda_calc.json",
        "authorizers.yaml",
    ] {
        let doc = openapi::read(&data(file)).unwrap();
        let mut places = Vec::new();
        collect_pointers(&doc, String::new(), &mut places);
        for place in &places {
            for replacement in &replacements {
                let mut mangled = doc.clone();
                *mangled.pointer_mut(place).unwrap() = replacement.clone();
                let _ = openapi::import(&mangled, &exists);
                runs += 1;
            }
            // And the key removed.
            if let Some((parent, key)) = place.rsplit_once('/') {
                let mut mangled = doc.clone();
                if let Some(Value::Object(map)) = mangled.pointer_mut(parent) {
                    map.remove(&key.replace("~1", "/").replace("~0", "~"));
                    let _ = openapi::import(&mangled, &exists);
                    runs += 1;
                }
            }
        }
        // Truncated text, read and imported when it still parses.
        let text = data(file);
        for end in (0..text.len()).step_by(97) {
            if let Some(prefix) = text.get(..end)
                && let Ok(doc) = openapi::read(prefix)
            {
                let _ = openapi::import(&doc, &exists);
            }
        }
    }
    assert!(runs > 5000, "{runs}");
}

fn collect_pointers(value: &Value, at: String, out: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            for (k, v) in map {
                let child = format!("{at}/{}", k.replace('~', "~0").replace('/', "~1"));
                out.push(child.clone());
                collect_pointers(v, child, out);
            }
        }
        Value::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                let child = format!("{at}/{i}");
                out.push(child.clone());
                collect_pointers(v, child, out);
            }
        }
        _ => {}
    }
}

#[test]
fn problems_display_with_pointer_and_help() {
    let problem = openapi::read("a: [").unwrap_err();
    let shown = problem.to_string();
    assert!(
        shown.starts_with("(document): line 1, column 4: "),
        "{shown}"
    );
    assert!(
        shown.ends_with("\n  help: fix the YAML syntax at that place"),
        "{shown}"
    );
}

#[test]
fn deeply_nested_text_does_not_overflow() {
    for depth in [100, 1_000, 100_000] {
        let yaml = format!("x: {}{}", "[".repeat(depth), "]".repeat(depth));
        if let Ok(doc) = openapi::read(&yaml) {
            assert!(openapi::import(&doc, &exists).is_err());
        }
        let json = format!("{{\"x\": {}{}}}", "[".repeat(depth), "]".repeat(depth));
        if let Ok(doc) = openapi::read(&json) {
            assert!(openapi::import(&doc, &exists).is_err());
        }
        let block: String = (0..depth.min(5_000))
            .map(|i| format!("{}a:\n", " ".repeat(i)))
            .collect();
        if let Ok(doc) = openapi::read(&block) {
            assert!(openapi::import(&doc, &exists).is_err());
        }
    }
}
