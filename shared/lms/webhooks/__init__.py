"""Webhooks (docs/http.md#webhooks): subscriptions, domain events, signed SSRF-safe delivery."""
