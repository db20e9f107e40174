"""Drives a REST API whose methods call AWS services (fixtures/openapi/aws-services.yaml)
and reads, with boto3, what moto then holds; prints what it saw as JSON.
Usage: aws_services.py ENDPOINT MOTO_URL"""

import json
import sys
import urllib.error
import urllib.request

import boto3
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

endpoint, moto = sys.argv[1], sys.argv[2]
aws = dict(endpoint_url=moto, region_name="us-east-1", aws_access_key_id="test", aws_secret_access_key="test")
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


def post(path, body):
    request = urllib.request.Request(
        f"{endpoint}/execute-api/shop/prod{path}",
        data=json.dumps(body).encode(),
        headers={"content-type": "application/json"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as answer:
            return answer.status, answer.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


out = {}
status, body = post("/orders", {"item": "book", "note": "a & b"})
received = sqs.receive_message(QueueUrl=queue, WaitTimeSeconds=1).get("Messages", [])
out["orders"] = {
    "status": status,
    "answer_has_message_id": "<MessageId>" in body,
    "queued": [json.loads(m["Body"]) for m in received],
}
status, body = post("/items", {"name": "pen", "colour": "blue"})
made = json.loads(body)
item = dynamodb.get_item(TableName="items", Key={"id": {"S": made["id"]}}).get("Item")
out["items"] = {"status": status, "stored": item}
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
