"""Rules Applied: rules, their evaluation and actions (docs/rules.md)."""
