"""Observability: Prometheus metrics, the usage ledger, request ids in structured logs.

Everything here observes the provider library from the outside (as `CallObserver`s
registered at start-up), so the library keeps no knowledge of the web layer.
"""
