"""Sends SigV4-signed requests made by botocore (as the AWS SDK for Python signs them), and
tampered copies of them, to Portico. Prints {scenario: [status, body]} as JSON.
Usage: sigv4.py ENDPOINT URL_PATH API_PATH"""

import json
import sys
import urllib.request
from urllib.error import HTTPError

from botocore.auth import SigV4Auth, SigV4QueryAuth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

endpoint, url_path, api_path = sys.argv[1], sys.argv[2], sys.argv[3]
KEY, SECRET = "AKIDPORTICOTEST", "portico-test-secret"


def signed(method, url, body, service, secret=SECRET, key=KEY, headers=None, query_auth=False):
    request = AWSRequest(method=method, url=url, data=body, headers=dict(headers or {}))
    signer = (SigV4QueryAuth if query_auth else SigV4Auth)(Credentials(key, secret), service, "us-east-1")
    signer.add_auth(request)
    prepared = request.prepare()
    return prepared.method, prepared.url, dict(prepared.headers), prepared.body


def send(method, url, headers, body):
    request = urllib.request.Request(url, data=body if body else None, method=method, headers=headers)
    try:
        with urllib.request.urlopen(request) as response:
            return [response.status, response.read().decode()]
    except HTTPError as error:
        return [error.code, error.read().decode()]


url = endpoint + url_path + "?a=1"
results = {}
m, u, h, b = signed("POST", url, b"hello", "lambda", headers={"x-custom": "1"})
results["signed"] = send(m, u, h, b)
results["method"] = send("PUT", u, h, b)
results["path"] = send(m, u.replace(url_path, url_path + "x"), h, b)
results["query"] = send(m, u.replace("a=1", "a=2"), h, b)
results["header"] = send(m, u, h | {"x-custom": "2"}, b)
results["body"] = send(m, u, h, b"hellx")
results["date"] = send(m, u, h | {"X-Amz-Date": "20200101T000000Z"}, b)
results["unsigned"] = send("POST", url, {}, b"hello")
results["wrong_secret"] = send(*signed("POST", url, b"hello", "lambda", secret="nope"))
results["unknown_key"] = send(*signed("POST", url, b"hello", "lambda", key="AKIDSOMEONEELSE"))
results["wrong_service"] = send(*signed("POST", url, b"hello", "execute-api"))
results["presigned"] = send(*signed("GET", url, b"", "lambda", query_auth=True))
api = endpoint + api_path
results["api_signed"] = send(*signed("POST", api, b"{}", "execute-api"))
results["api_unsigned"] = send("POST", api, {}, b"{}")
print(json.dumps(results))
