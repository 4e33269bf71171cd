"""The API's request and response types: msgspec Structs, unknown fields rejected."""
