"""Demo and synthetic data: deterministic generators, knowledge articles, loader."""

from app.demo.generator import DEFAULT_SEED, generate_candidates, generate_jobs
from app.demo.loader import (
    ImportFile,
    ImportReport,
    demo_dataset,
    demo_documents,
    import_data,
    is_empty,
    load_demo_data,
    read_import_file,
    write_import_file,
)

__all__ = [
    "DEFAULT_SEED",
    "ImportFile",
    "ImportReport",
    "demo_dataset",
    "demo_documents",
    "generate_candidates",
    "generate_jobs",
    "import_data",
    "is_empty",
    "load_demo_data",
    "read_import_file",
    "write_import_file",
]
