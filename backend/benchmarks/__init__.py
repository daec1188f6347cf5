"""Benchmarks (run as modules from backend/; they are not tests)."""
