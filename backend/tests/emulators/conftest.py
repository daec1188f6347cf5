"""Emulator fixtures for this folder come from `tests/conftest.py`.

`openai_emulator` / `anthropic_emulator` there hand each test a session-scoped emulator
with no faults queued and no recorded requests, and clean up after it, so a test that
fails half-way cannot leak a fault into the next one.
"""
