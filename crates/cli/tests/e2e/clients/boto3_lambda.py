"""Calls Portico's Invoke API with boto3's Lambda client, exactly as an app would call AWS,
and prints what boto3 returned as JSON. Usage: boto3_lambda.py ENDPOINT SCENARIO"""

import base64
import json
import sys

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

endpoint, scenario = sys.argv[1], sys.argv[2]
client = boto3.client(
    "lambda",
    endpoint_url=endpoint,
    region_name="us-east-1",
    aws_access_key_id="test",
    aws_secret_access_key="test",
    config=Config(retries={"max_attempts": 1}),
)


def invoke(**kwargs):
    response = client.invoke(**kwargs)
    out = {
        "StatusCode": response["StatusCode"],
        "FunctionError": response.get("FunctionError"),
        "ExecutedVersion": response.get("ExecutedVersion"),
        "Payload": response["Payload"].read().decode(),
    }
    if "LogResult" in response:
        out["Log"] = base64.b64decode(response["LogResult"]).decode()
    return out


def stream(function, payload=b"{}", **kwargs):
    response = client.invoke_with_response_stream(FunctionName=function, Payload=payload, **kwargs)
    chunks, complete = [], None
    for event in response["EventStream"]:
        if "PayloadChunk" in event:
            chunks.append(event["PayloadChunk"]["Payload"].decode())
        elif "InvokeComplete" in event:
            complete = event["InvokeComplete"]
            if "LogResult" in complete:
                complete["Log"] = base64.b64decode(complete.pop("LogResult")).decode()
    return {"StatusCode": response["StatusCode"], "Chunks": chunks, "Complete": complete}


def error(call, message=False):
    try:
        call()
    except ClientError as e:
        out = {"Code": e.response["Error"]["Code"], "Status": e.response["ResponseMetadata"]["HTTPStatusCode"]}
        if message:
            out["Message"] = e.response["Error"]["Message"]
        return out
    return {"Code": None}


def answer(response):
    response.pop("ResponseMetadata")
    return response


if scenario == "sync":
    result = invoke(FunctionName="echo", Payload=json.dumps({"hello": "boto3"}))
elif scenario == "arn":
    result = invoke(FunctionName="arn:aws:lambda:us-east-1:000000000000:function:echo", Payload=b'{"a": 1}')
elif scenario == "event":
    result = invoke(FunctionName="echo", InvocationType="Event", Payload=b"{}")
elif scenario == "dryrun":
    result = invoke(FunctionName="echo", InvocationType="DryRun")
elif scenario == "tail":
    result = invoke(FunctionName="logs", LogType="Tail", Payload=json.dumps({"lines": ["printed by the function"]}))
elif scenario == "error":
    result = invoke(FunctionName="fail", Payload=b"{}")
elif scenario == "context":
    context = base64.b64encode(json.dumps({"custom": {"k": "v"}, "env": {}, "client": {"app_title": "t"}}).encode()).decode()
    result = invoke(FunctionName="context", ClientContext=context, Payload=b"{}")
elif scenario == "stream":
    result = stream("plain")
elif scenario == "stream-tail":
    result = stream("plain", LogType="Tail")
elif scenario == "stream-buffered":
    result = stream("echo", b'{"buffered": true}')
elif scenario == "stream-error":
    result = stream("failing")
elif scenario == "stream-timeout":
    import socket

    gate = socket.socket()
    gate.bind(("127.0.0.1", 0))
    gate.listen()
    # The function connects and waits for a byte that never comes, past its timeout.
    result = stream("stuck", json.dumps({"gate": "127.0.0.1:%d" % gate.getsockname()[1]}).encode())
elif scenario == "not-found":
    result = error(lambda: client.invoke(FunctionName="nosuch", Payload=b"{}"))
elif scenario == "bad-json":
    result = error(lambda: client.invoke(FunctionName="echo", Payload=b"{not json"))
elif scenario == "bad-qualifier":
    result = error(lambda: client.invoke(FunctionName="echo", Qualifier="prod", Payload=b"{}"))
elif scenario == "describe":
    # What tools ask before they invoke: every function, page by page, then one of them.
    pages = [client.list_functions(MaxItems=3)]
    while "NextMarker" in pages[-1]:
        pages.append(client.list_functions(MaxItems=3, Marker=pages[-1]["NextMarker"]))
    listed = [f for page in pages for f in page["Functions"]]
    paginated = [f["FunctionName"] for page in client.get_paginator("list_functions").paginate() for f in page["Functions"]]
    function = client.get_function(FunctionName="context")
    configuration = client.get_function_configuration(FunctionName="arn:aws:lambda:us-east-1:000000000000:function:context")
    for answer in (function, configuration):
        answer.pop("ResponseMetadata")
    result = {
        "pages": [len(page["Functions"]) for page in pages],
        "names": [f["FunctionName"] for f in listed],
        "paginated": paginated,
        "listed_state": [f.get("State") for f in listed],
        "function": function,
        "configuration": configuration,
        "missing": error(lambda: client.get_function(FunctionName="nosuch")),
        "qualified": error(lambda: client.get_function_configuration(FunctionName="context", Qualifier="7")),
    }
elif scenario == "aliases":
    # A function with aliases, as AutoPublishAlias makes: invoked by alias, by version and as
    # $LATEST, then described.
    def context(**kwargs):
        got = invoke(FunctionName="ctx", Payload=b"{}", **kwargs)
        payload = json.loads(got["Payload"])
        return {"ExecutedVersion": got["ExecutedVersion"], "arn": payload["invoked_function_arn"], "version": payload["function_version"]}
    result = {
        "alias": context(Qualifier="live"),
        "version": invoke(FunctionName="ctx:1", Payload=b"{}")["ExecutedVersion"],
        "latest": context(Qualifier="$LATEST"),
        "unqualified": context(),
        "no_alias": error(lambda: client.invoke(FunctionName="ctx", Qualifier="nope", Payload=b"{}"), message=True),
        "no_version": error(lambda: client.invoke(FunctionName="ctx:2", Payload=b"{}"), message=True),
        "versions": [
            (v["Version"], v["FunctionArn"])
            for page in client.get_paginator("list_versions_by_function").paginate(FunctionName="ctx")
            for v in page["Versions"]
        ],
        "aliases": answer(client.list_aliases(FunctionName="ctx"))["Aliases"],
        "aliases_of_2": answer(client.list_aliases(FunctionName="ctx", FunctionVersion="2"))["Aliases"],
        "get_alias": answer(client.get_alias(FunctionName="ctx", Name="live")),
        "missing_alias": error(lambda: client.get_alias(FunctionName="ctx", Name="nope"), message=True),
        "configuration": answer(client.get_function_configuration(FunctionName="ctx", Qualifier="live")),
    }
else:
    raise SystemExit(f"unknown scenario {scenario}")
print(json.dumps(result))
