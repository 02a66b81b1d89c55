"""The registry's HTTP API (FastAPI): ``app.create_app(settings)``, routes, typed dependencies, error mapping."""
