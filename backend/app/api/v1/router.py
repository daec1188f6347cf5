"""The versioned API: each feature's routes live in their own module under `routes/`."""

from fastapi import APIRouter

api_router = APIRouter()
