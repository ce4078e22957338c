"""The embedded local stack: moto server, HTTP gateway, pumps and scheduler around the real handlers."""
