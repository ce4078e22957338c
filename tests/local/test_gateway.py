"""local.gateway at the socket level: what a keep-alive client sees."""

from __future__ import annotations

import http.client
import json
import socket
from typing import Any

from local.gateway import Gateway


def test_answers_go_out_without_waiting_for_the_client_s_delayed_ack():
    """The head and the body of an answer are two writes; with Nagle's algorithm on, the second waits for
    the client's delayed ACK of the first (40 ms per keep-alive request). Every connection has it off."""
    connections: list[socket.socket] = []

    def handler(event: dict, context: object) -> dict:  # runs while the connection is open
        no_delay = connections[-1].getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) != 0
        return {"statusCode": 200, "body": json.dumps({"path": event["path"], "noDelay": no_delay})}

    class Recording(Gateway):
        def finish_request(self, request: socket.socket | tuple[bytes, socket.socket], client_address: Any) -> None:
            assert isinstance(request, socket.socket)  # a TCP server's request is its connection
            connections.append(request)
            super().finish_request(request, client_address)

    gateway = Recording(handler, port=0, access_log=False, serialize=True)
    gateway.start()
    try:
        client = http.client.HTTPConnection("127.0.0.1", gateway.port, timeout=5)
        for path in ("/a", "/b"):
            client.request("GET", path)
            answer = client.getresponse()
            assert (answer.status, json.loads(answer.read())) == (200, {"path": path, "noDelay": True})
            assert not answer.will_close
        client.close()
    finally:
        gateway.stop()
    assert len(connections) == 1  # both requests on one kept-alive connection
