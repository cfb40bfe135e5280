"""The bizstats HTTP service (`bizstats serve`): one ASGI app for every endpoint."""
