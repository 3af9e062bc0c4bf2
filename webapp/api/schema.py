"""OpenAPI post-processing: request bodies accept no properties beyond those documented."""

from __future__ import annotations

from typing import Any


def forbid_extra_request_properties(result: dict[str, Any], **_: Any) -> dict[str, Any]:
    """The API refuses unknown fields (no mass assignment), so the schema says so."""
    for name, component in result.get("components", {}).get("schemas", {}).items():
        if name.endswith("InRequest") and component.get("type") == "object":
            component["additionalProperties"] = False
    return result
