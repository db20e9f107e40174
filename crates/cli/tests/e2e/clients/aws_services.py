"""Drives a REST API whose methods call AWS services (fixtures/openapi/aws-services.yaml)
and reads, with boto3, what moto then holds; prints what it saw as JSON.
Usage: aws_services.py ENDPOINT MOTO_URL"""

import json
import sys
import urllib.error
import urllib.request

import boto3

endpoint, moto = sys.argv[1], sys.argv[2]
aws = dict(endpoint_url=moto, region_name="us-east-1", aws_access_key_id="test", aws_secret_access_key="test")
sqs = boto3.client("sqs", **aws)
dynamodb = boto3.client("dynamodb", **aws)
queue = sqs.create_queue(QueueName="orders")["QueueUrl"]
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
out["notify"] = {"status": status, "body": json.loads(body)}
print(json.dumps(out))
