"""The service-integration benchmark's helper (boto3, botocore): `setup MOTO_URL` makes the
queue; `purge MOTO_URL` empties it; `signed MOTO_URL BODY` prints a wrk script that sends SQS SendMessage for BODY to moto
directly, signed once as an SDK signs it (moto checks no signature's age); `count MOTO_URL`
prints how many messages the queue holds."""

import sys
import urllib.parse

import boto3
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

mode, moto = sys.argv[1], sys.argv[2]
aws = dict(endpoint_url=moto, region_name="us-east-1", aws_access_key_id="test", aws_secret_access_key="test")
if mode == "setup":
    boto3.client("sqs", **aws).create_queue(QueueName="bench")
elif mode == "purge":
    # Made anew (PurgeQueue may run once a minute).
    sqs = boto3.client("sqs", **aws)
    sqs.delete_queue(QueueUrl=sqs.get_queue_url(QueueName="bench")["QueueUrl"])
    sqs.create_queue(QueueName="bench")
elif mode == "count":
    sqs = boto3.client("sqs", **aws)
    url = sqs.get_queue_url(QueueName="bench")["QueueUrl"]
    attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages"])
    print(attributes["Attributes"]["ApproximateNumberOfMessages"])
else:
    body = "Action=SendMessage&MessageBody=" + urllib.parse.quote(sys.argv[3], safe="")
    request = AWSRequest(
        method="POST",
        url=f"{moto}/123456789012/bench",
        data=body,
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    SigV4Auth(Credentials("test", "test"), "sqs", "us-east-1").add_auth(request)
    print('wrk.method = "POST"')
    print(f"wrk.body = [[{body}]]")
    for name, value in request.headers.items():
        print(f'wrk.headers["{name}"] = [[{value}]]')
