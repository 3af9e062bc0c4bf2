"""Process definitions: checking, versioning and deploying diagrams."""
