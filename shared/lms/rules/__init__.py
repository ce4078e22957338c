"""The rule language (RULES.md): variables now; reading, checking and compiling come with it."""
