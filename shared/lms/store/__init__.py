"""The store: the only package that talks to DynamoDB (through pynamodb)."""
