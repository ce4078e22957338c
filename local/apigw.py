"""API Gateway REST proxy events and a Lambda context, as API Gateway and Lambda would pass them."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

ACCOUNT = "123456789012"  # moto's default account
REGION = "us-east-1"


@dataclass
class LambdaContext:
    function_name: str = "ApiFunction"
    function_version: str = "$LATEST"
    memory_limit_in_mb: int = 512
    invoked_function_arn: str = "arn:aws:lambda:us-east-1:123456789012:function:ApiFunction"
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    log_group_name: str = "/aws/lambda/ApiFunction"
    log_stream_name: str = "local"

    def get_remaining_time_in_millis(self) -> int:
        return 15_000


def context_for(function: str, request_id: str | None = None) -> LambdaContext:
    """The context Lambda would give `function` (a logical id of template.yaml): a new request id each call."""
    request_id = request_id or str(uuid.uuid4())
    arn = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{function}"
    return LambdaContext(
        function_name=function,
        invoked_function_arn=arn,
        aws_request_id=request_id,
        log_group_name=f"/aws/lambda/{function}",
    )


def handler_module(properties: dict) -> str:
    """The module of a function's handler: functions.<its CodeUri folder>.app."""
    return "functions." + properties["CodeUri"].strip("/").split("/")[-1] + ".app"


def proxy_event(
    method: str,
    path: str,
    query: dict[str, list[str]] | None = None,
    headers: dict[str, str] | None = None,
    body: str | None = None,
    source_ip: str = "127.0.0.1",
    base64_encoded: bool = False,
) -> dict[str, Any]:
    headers = dict(headers or {})
    query = query or {}
    request_id = str(uuid.uuid4())
    return {
        "resource": "/{proxy+}",
        "path": path,
        "httpMethod": method,
        "headers": headers or None,
        "multiValueHeaders": {k: [v] for k, v in headers.items()} or None,
        "queryStringParameters": {k: v[-1] for k, v in query.items()} or None,
        "multiValueQueryStringParameters": query or None,
        "pathParameters": {"proxy": path.lstrip("/")},
        "stageVariables": None,
        "requestContext": {
            "resourcePath": "/{proxy+}",
            "httpMethod": method,
            "path": f"/v1{path}",
            "stage": "v1",
            "requestId": request_id,
            "identity": {"sourceIp": source_ip, "userAgent": headers.get("User-Agent", "")},
        },
        "body": body,
        "isBase64Encoded": base64_encoded,
    }
