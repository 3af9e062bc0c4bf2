"""The REST API: one thin view per operation over the same services the inbox uses."""
