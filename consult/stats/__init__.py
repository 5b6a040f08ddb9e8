"""Statistics: read-only aggregates of comments, suggestions and outcomes, and exports."""
