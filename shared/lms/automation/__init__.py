"""Rules Applied: rules, their evaluation and actions (RULES.md sections 3-6)."""
