"""policyqa: questions over Chinese policy documents, answered with clause citations."""

__version__ = "0.1.0"
