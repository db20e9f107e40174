"""The WebSocket benchmark's functions: `reply` answers with the message (a route
response); `post` sends it back through the @connections management API with boto3, as a
chat backend does (the client made once per instance, as Lambda functions make theirs);
`whoami` answers with the connection's id."""

import boto3

client = boto3.client("apigatewaymanagementapi")


def reply(event, context):
    return {"statusCode": 200, "body": event.get("body", "")}


def post(event, context):
    client.post_to_connection(ConnectionId=event["requestContext"]["connectionId"], Data=event["body"].encode())
    return {"statusCode": 200}


def whoami(event, context):
    return {"statusCode": 200, "body": event["requestContext"]["connectionId"]}
