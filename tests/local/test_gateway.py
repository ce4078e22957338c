"""local.gateway at the socket level: what a keep-alive client sees."""

from __future__ import annotations

import http.client
import json
import socket

from local.gateway import Gateway


def test_answers_go_out_without_waiting_for_the_client_s_delayed_ack():
    """The head and the body of an answer are two writes; with Nagle's algorithm on, the second waits for
    the client's delayed ACK of the first (40 ms per keep-alive request). Every connection has it off."""
    connections: list[socket.socket] = []

    def handler(event: dict, context: object) -> dict:  # runs while the connection is open
        no_delay = connections[-1].getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) != 0
        return {"statusCode": 200, "body": json.dumps({"path": event["path"], "noDelay": no_delay})}

    gateway = Gateway(handler, port=0, access_log=False, serialize=True)
    finish = gateway.finish_request
    gateway.finish_request = lambda request, address: connections.append(request) or finish(request, address)  # type: ignore[method-assign]
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
