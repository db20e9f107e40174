"""Drives an API whose routes call AWS services and reads, with boto3, what moto then holds;
prints what it saw as JSON. Usage: aws_services.py ENDPOINT MOTO_URL [rest|http]: `rest`
(the default) the REST API of fixtures/openapi/aws-services.yaml, `http` the HTTP API of
tests/e2e/http_api/aws_services.rs."""

import json
import sys
import urllib.error
import urllib.request

import boto3
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

endpoint, moto = sys.argv[1], sys.argv[2]
mode = sys.argv[3] if len(sys.argv) > 3 else "rest"
aws = dict(endpoint_url=moto, region_name="us-east-1", aws_access_key_id="test", aws_secret_access_key="test")


def send(url, body, method, headers=None):
    """`body` as JSON to `url`: the status and the answer's text."""
    request = urllib.request.Request(
        url,
        data=json.dumps(body).encode(),
        headers={"content-type": "application/json", **(headers or {})},
        method=method,
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as answer:
            return answer.status, answer.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


def http_api():
    """SQS-SendMessage, EventBridge-PutEvents (delivered by a rule to a queue) and
    StepFunctions-StartExecution."""
    sqs = boto3.client("sqs", **aws)
    queue = sqs.create_queue(QueueName="http-orders")["QueueUrl"]
    events = boto3.client("events", **aws)
    inbox = sqs.create_queue(QueueName="events-inbox")["QueueUrl"]
    inbox_arn = sqs.get_queue_attributes(QueueUrl=inbox, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    events.put_rule(Name="orders", EventPattern=json.dumps({"source": ["shop"]}))
    events.put_targets(Rule="orders", Targets=[{"Id": "inbox", "Arn": inbox_arn}])
    sfn = boto3.client("stepfunctions", **aws)
    machine = sfn.create_state_machine(
        name="fulfil",
        definition=json.dumps({"StartAt": "Done", "States": {"Done": {"Type": "Succeed"}}}),
        roleArn="arn:aws:iam::123456789012:role/sfn",
    )["stateMachineArn"]

    def call(path, body, headers=None):
        return send(f"{endpoint}/execute-api/shop{path}", body, "POST", headers)

    out = {}
    status, _ = call("/orders", {"message": "two books"})
    received = sqs.receive_message(QueueUrl=queue, WaitTimeSeconds=1).get("Messages", [])
    out["orders"] = {"status": status, "queued": [m["Body"] for m in received]}
    status, body = call("/events", {"order": 7})
    delivered = sqs.receive_message(QueueUrl=inbox, WaitTimeSeconds=1).get("Messages", [])
    out["events"] = {"status": status, "answer": json.loads(body), "delivered": [json.loads(m["Body"]) for m in delivered]}
    status, _ = call("/runs", {"order": 7}, {"x-run": "42"})
    executions = sfn.list_executions(stateMachineArn=machine)["executions"]
    out["runs"] = {
        "status": status,
        "executions": [
            {"name": e["name"], "input": json.loads(sfn.describe_execution(executionArn=e["executionArn"])["input"])}
            for e in executions
        ],
    }
    print(json.dumps(out))


if mode == "http":
    http_api()
    sys.exit(0)
sqs = boto3.client("sqs", **aws)
dynamodb = boto3.client("dynamodb", **aws)
queue = sqs.create_queue(QueueName="orders")["QueueUrl"]
# SNS delivers to a queue subscribed to its topic, where the test reads what was published.
sns = boto3.client("sns", **aws)
topic = sns.create_topic(Name="news")["TopicArn"]
inbox = sqs.create_queue(QueueName="news-inbox")["QueueUrl"]
inbox_arn = sqs.get_queue_attributes(QueueUrl=inbox, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=inbox_arn, Attributes={"RawMessageDelivery": "true"})
s3 = boto3.client("s3", **aws)
s3.create_bucket(Bucket="reports")
s3.put_object(Bucket="reports", Key="2026.txt", Body=b"a good year")
dynamodb.create_table(
    TableName="items",
    KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
    AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
    BillingMode="PAY_PER_REQUEST",
)


def post(path, body, method="POST"):
    return send(f"{endpoint}/execute-api/shop/prod{path}", body, method)


out = {}
status, body = post("/orders", {"item": "book", "note": "a & b"})
received = sqs.receive_message(QueueUrl=queue, WaitTimeSeconds=1).get("Messages", [])
out["orders"] = {
    "status": status,
    "answer_is_the_queued_message": json.loads(body)["messageId"] == received[0]["MessageId"],
    "queued": [json.loads(m["Body"]) for m in received],
}
status, body = post("/items", {"name": "pen", "colour": "blue"})
made = json.loads(body)
item = dynamodb.get_item(TableName="items", Key={"id": {"S": made["id"]}}).get("Item")
out["items"] = {"status": status, "stored": item}
status, _ = post("/raw-items", {"TableName": "items", "Item": {"id": {"S": "raw-1"}, "name": {"S": "ink"}}}, "PUT")
stored = dynamodb.get_item(TableName="items", Key={"id": {"S": "raw-1"}}).get("Item")
refused, _ = post("/raw-items", {"TableName": "nosuchtable", "Item": {"id": {"S": "x"}}}, "PUT")
out["raw_item"] = {"status": status, "stored": stored, "refused": refused}
status, body = post("/broken", {})
out["broken"] = {"status": status, "body": json.loads(body)}
status, body = post("/notify", {"hello": "world"})
published = sqs.receive_message(QueueUrl=inbox, WaitTimeSeconds=1).get("Messages", [])
out["notify"] = {"status": status, "published": [json.loads(m["Body"]) for m in published]}


def get(path, secret=None):
    url = f"{endpoint}/execute-api/shop/prod{path}"
    headers = {}
    if secret:
        signed = AWSRequest(method="GET", url=url)
        SigV4Auth(Credentials("AKIDPORTICOTEST", secret), "execute-api", "us-east-1").add_auth(signed)
        headers = dict(signed.headers)
    try:
        with urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=30) as answer:
            return answer.status, answer.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


out["file_unsigned"] = get("/files/reports/2026.txt")[0]
out["file"] = get("/files/reports/2026.txt", "portico-test-secret")
status, body = post("/mail", {})
out["mail"] = {"status": status, "body": json.loads(body)}
print(json.dumps(out))
