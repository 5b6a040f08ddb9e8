"""Cross-cutting pieces. Nothing here imports a domain package."""
