"""Webhooks (API.md "Webhooks", issue 7): subscriptions, domain events, signed SSRF-safe delivery."""
