"""User code checked with mypy --strict and pyright strict, without the pydantic mypy plugin."""
