"""Portico's Python bootstrap.

Portico starts this file as the runtime process of a Python function
(``python3 bootstrap.py``, working directory = the function's code folder).
It talks to Portico's Lambda Runtime API server (version 2018-06-01) over
plain HTTP/1.1 and reproduces the observable behaviour of AWS's managed Python
runtime: how the handler is loaded, the context object, the error documents,
and the format of log lines. Standard library only; Python 3.9 or newer.
"""

import decimal
import http.client
import importlib
import json
import logging
import os
import sys
import time
import traceback
import urllib.parse

API = "/2018-06-01/runtime"
ERROR_CONTENT_TYPE = "application/vnd.aws.lambda.error+json"
THIS_FILE = os.path.abspath(__file__)

# From python3.12 on, AWS writes non-ASCII characters as UTF-8 rather than \u escapes.
_RUNTIME = os.environ.get("AWS_EXECUTION_ENV", "")
_MINOR = _RUNTIME.rpartition(".")[2] if _RUNTIME.startswith("AWS_Lambda_python3.") else ""
ENSURE_ASCII = (int(_MINOR) if _MINOR.isdigit() else sys.version_info.minor) < 12

# The invocation being served; log records are stamped with it.
current_request_id = ""
current_tenant_id = None


class Fault(Exception):
    """A failure reported under an AWS-defined errorType such as Runtime.MarshalError."""

    def __init__(self, error_type, message, trace=None):
        super().__init__(message)
        self.error_type, self.message, self.trace = error_type, message, trace or []


class ApiError(Exception):
    """The Runtime API cannot be used any more; the process must exit."""


def error_document(exc, request_id=""):
    if isinstance(exc, Fault):
        error_type, message, trace = exc.error_type, exc.message, exc.trace
    else:
        frames = list(traceback.extract_tb(exc.__traceback__))
        while frames and os.path.abspath(frames[0].filename) == THIS_FILE:
            frames.pop(0)  # hide the bootstrap's own frames, as AWS does
        error_type, message, trace = type(exc).__name__, str(exc), traceback.format_list(frames)
    return {"errorMessage": message, "errorType": error_type, "requestId": request_id, "stackTrace": trace}


def print_error(doc):
    """Write an error to stdout the way the managed runtime logs it (text format)."""
    head = "[ERROR]"
    if doc["errorType"]:
        head += " " + doc["errorType"] + (":" if doc["errorMessage"] else "")
    if doc["errorMessage"]:
        head += " " + doc["errorMessage"]
    lines = [head, "Traceback (most recent call last):"]
    for entry in doc["stackTrace"]:
        lines.extend(entry.splitlines() or [""])
    sys.stdout.write("\n".join(lines) + "\n")
    flush_output()


def flush_output():
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except Exception:
            pass


def _json_default(obj):
    if isinstance(obj, decimal.Decimal):
        if obj.is_finite() and obj == obj.to_integral_value():
            return int(obj)
        return float(obj)
    raise TypeError(f"Object of type {type(obj).__name__} is not JSON serializable")


def to_json(value):
    return json.dumps(value, default=_json_default, ensure_ascii=ENSURE_ASCII)


def marshal(result):
    if isinstance(result, (bytes, bytearray)):
        return bytes(result), "application/unknown"
    try:
        return to_json(result).encode("utf-8"), "application/json"
    except Exception as exc:
        raise Fault("Runtime.MarshalError", f"Unable to marshal response: {exc}") from None


def unmarshal(body, content_type):
    if content_type and content_type.split(";")[0].strip().lower() != "application/json":
        return body  # non-JSON payloads reach the handler as bytes
    try:
        return json.loads(body)
    except Exception as exc:
        raise Fault("Runtime.UnmarshalError", f"Unable to unmarshal input: {exc}") from None


# ---------------------------------------------------------------- context ---

class _Record:
    __slots__ = ()

    def __init__(self, values):
        for name in self.__slots__:
            setattr(self, name, values.get(name))

    def __repr__(self):
        fields = ",".join(f"{name}={getattr(self, name)}" for name in self.__slots__)
        return f"{type(self).__name__}([{fields}])"


class CognitoIdentity(_Record):
    __slots__ = ("cognito_identity_id", "cognito_identity_pool_id")


class Client(_Record):
    __slots__ = ("installation_id", "app_title", "app_version_name", "app_version_code", "app_package_name")


class ClientContext(_Record):
    __slots__ = ("custom", "env", "client")

    def __init__(self, values):
        super().__init__(values)
        if isinstance(self.client, dict):
            self.client = Client(self.client)


def _json_header(headers, name, label):
    raw = headers.get(name)
    if not raw:
        return None
    try:
        return json.loads(raw)
    except Exception as exc:
        raise Fault("Runtime.LambdaContextUnmarshalError", f"Unable to parse {label} JSON: {exc}") from None


class LambdaContext:
    def __init__(self, request_id, headers):
        env = os.environ
        self.aws_request_id = request_id
        self.function_name = env.get("AWS_LAMBDA_FUNCTION_NAME")
        self.function_version = env.get("AWS_LAMBDA_FUNCTION_VERSION")
        self.memory_limit_in_mb = env.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE")  # a str on AWS too
        self.log_group_name = env.get("AWS_LAMBDA_LOG_GROUP_NAME")
        self.log_stream_name = env.get("AWS_LAMBDA_LOG_STREAM_NAME")
        self.invoked_function_arn = headers.get("Lambda-Runtime-Invoked-Function-Arn")
        self.tenant_id = headers.get("Lambda-Runtime-Aws-Tenant-Id")
        cognito = _json_header(headers, "Lambda-Runtime-Cognito-Identity", "Cognito Identity")
        cognito = cognito if isinstance(cognito, dict) else {}
        self.identity = CognitoIdentity({"cognito_identity_id": cognito.get("cognitoIdentityId"),
                                         "cognito_identity_pool_id": cognito.get("cognitoIdentityPoolId")})
        client_context = _json_header(headers, "Lambda-Runtime-Client-Context", "Client Context")
        self.client_context = ClientContext(client_context) if isinstance(client_context, dict) else None
        self._deadline_ms = int(headers.get("Lambda-Runtime-Deadline-Ms") or 0)

    def get_remaining_time_in_millis(self):
        return max(self._deadline_ms - int(time.time() * 1000), 0)

    def log(self, message):
        sys.stdout.write(str(message))
        sys.stdout.flush()

    def __repr__(self):
        names = ("aws_request_id", "log_group_name", "log_stream_name", "function_name", "memory_limit_in_mb",
                 "function_version", "invoked_function_arn", "client_context", "identity", "tenant_id")
        return "LambdaContext([" + ",".join(f"{n}={getattr(self, n)}" for n in names) + "])"


# ---------------------------------------------------------------- logging ---

class _RequestIdFilter(logging.Filter):
    def filter(self, record):
        record.aws_request_id = current_request_id
        record.tenant_id = current_tenant_id
        return True


class _StdoutHandler(logging.Handler):
    def emit(self, record):
        try:
            sys.stdout.write(self.format(record) + "\n")
            sys.stdout.flush()
        except Exception:
            self.handleError(record)


class _TextFormatter(logging.Formatter):
    converter = time.gmtime

    def __init__(self):
        super().__init__("[%(levelname)s]\t%(asctime)s.%(msecs)03dZ\t%(aws_request_id)s\t%(message)s",
                         "%Y-%m-%dT%H:%M:%S")


def setup_logging():
    handler = _StdoutHandler()
    handler.setFormatter(_TextFormatter())
    handler.addFilter(_RequestIdFilter())
    root = logging.getLogger()
    root.addHandler(handler)
    # Like AWS: the root level stays Python's default (WARNING) unless AWS_LAMBDA_LOG_LEVEL is set.
    level = os.environ.get("AWS_LAMBDA_LOG_LEVEL", "").upper()
    level = "DEBUG" if level == "TRACE" else level
    if level and isinstance(logging.getLevelName(level), int):
        root.setLevel(level)


# ------------------------------------------------------------ runtime API ---

class RuntimeApi:
    """One persistent HTTP/1.1 connection to the Runtime API, reopened when it drops."""

    def __init__(self, address):
        self.address = address
        self.conn = None
        self.agent = "portico-python-bootstrap/%d.%d.%d" % sys.version_info[:3]

    def request(self, method, path, body=None, headers=None):
        headers = {"User-Agent": self.agent, **(headers or {})}
        for attempt in (1, 2):
            if self.conn is None:
                self.conn = http.client.HTTPConnection(self.address)  # no timeout: /next long-polls
            try:
                self.conn.request(method, API + path, body=body, headers=headers)
                response = self.conn.getresponse()
                return response.status, response.headers, response.read()
            except (OSError, http.client.HTTPException):
                self.conn.close()
                self.conn = None
                if attempt == 2:
                    raise

    def post(self, path, body, headers):
        """POST; a 4xx answer or a lost connection is reported and survived, a 5xx is fatal."""
        try:
            status, _, answer = self.request("POST", path, body, headers)
        except (OSError, http.client.HTTPException) as exc:
            sys.stderr.write(f"portico bootstrap: POST {path} failed: {exc!r}\n")
            return
        text = answer[:1000].decode("utf-8", "replace")
        if status >= 500:
            raise ApiError(f"POST {path} answered {status}: {text}")
        if not 200 <= status < 300:
            sys.stderr.write(f"portico bootstrap: POST {path} answered {status}: {text}\n")


def post_error(api, path, doc):
    error_type = doc["errorType"].encode("ascii", "replace").decode("ascii")  # header values must be ASCII
    headers = {"Content-Type": ERROR_CONTENT_TYPE, "Lambda-Runtime-Function-Error-Type": error_type}
    api.post(path, to_json(doc).encode("utf-8"), headers)


# ---------------------------------------------------------------- handler ---

def load_handler(spec):
    try:
        module_name, function_name = spec.rsplit(".", 1)
    except ValueError as exc:
        raise Fault("Runtime.MalformedHandlerName", f"Bad handler '{spec}': {exc}") from None
    if module_name.split(".")[0] in sys.builtin_module_names:
        message = f"Cannot use built-in module {module_name} as a handler module"
        raise Fault("Runtime.BuiltInModuleConflict", message)
    try:
        module = importlib.import_module(module_name.replace("/", "."))
    except ImportError as exc:
        message = f"Unable to import module '{module_name}': {exc}"
        raise Fault("Runtime.ImportModuleError", message) from None
    except SyntaxError as exc:
        message = f"Syntax error in module '{module_name}': {exc}"
        trace = [f'  File "{exc.filename}" Line {exc.lineno}\n    {exc.text}']
        raise Fault("Runtime.UserCodeSyntaxError", message, trace) from None
    try:
        return getattr(module, function_name)
    except AttributeError:
        message = f"Handler '{function_name}' missing on module '{module_name}'"
        raise Fault("Runtime.HandlerNotFound", message) from None


def serve_one(api, handler, headers, body):
    global current_request_id, current_tenant_id
    request_id = headers.get("Lambda-Runtime-Aws-Request-Id", "")
    current_request_id, current_tenant_id = request_id, headers.get("Lambda-Runtime-Aws-Tenant-Id")
    trace_id = headers.get("Lambda-Runtime-Trace-Id")
    if trace_id:
        os.environ["_X_AMZN_TRACE_ID"] = trace_id
    else:
        os.environ.pop("_X_AMZN_TRACE_ID", None)
    path = "/invocation/" + urllib.parse.quote(request_id, safe="")
    try:
        context = LambdaContext(request_id, headers)
        event = unmarshal(body, headers.get("Content-Type"))
        payload, content_type = marshal(handler(event, context))
    except Exception as exc:
        doc = error_document(exc, request_id)
        print_error(doc)
        post_error(api, path + "/error", doc)
        return
    flush_output()
    api.post(path + "/response", payload, {"Content-Type": content_type})


def main():
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.reconfigure(line_buffering=True)
        except Exception:
            pass
    task_root = os.environ.get("LAMBDA_TASK_ROOT") or os.getcwd()
    own_dir = os.path.dirname(THIS_FILE)
    # The code folder comes first; the bootstrap's own folder is not importable.
    rest = [p for p in sys.path if p != task_root and os.path.abspath(p or ".") != own_dir]
    sys.path[:] = [task_root] + rest
    api = RuntimeApi(os.environ["AWS_LAMBDA_RUNTIME_API"])
    setup_logging()

    try:
        handler = load_handler(os.environ.get("_HANDLER", ""))
    except Exception as exc:
        doc = error_document(exc)
        print_error(doc)
        try:
            post_error(api, "/init/error", doc)
        except ApiError as api_exc:
            sys.stderr.write(f"portico bootstrap: {api_exc}\n")
        sys.exit(1)

    while True:
        try:
            status, headers, body = api.request("GET", "/invocation/next")
        except (OSError, http.client.HTTPException) as exc:
            raise ApiError(f"cannot reach the Runtime API: {exc!r}") from None
        if status != 200:
            text = body[:1000].decode("utf-8", "replace")
            raise ApiError(f"GET /invocation/next answered {status}: {text}")
        serve_one(api, handler, headers, body)


if __name__ == "__main__":
    try:
        main()
    except ApiError as exc:
        sys.stderr.write(f"portico bootstrap: {exc}\n")
        sys.exit(2)
    except Exception:
        sys.stderr.write("portico bootstrap: internal error, exiting\n")
        traceback.print_exc()
        sys.exit(2)
