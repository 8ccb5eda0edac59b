"""The publication resource: where releases, the snapshot and the catalogue live.

Empty fields fall back to :func:`pipelines.settings.get_settings` (read at run time).
"""

from __future__ import annotations

from pathlib import Path

import dagster as dg
import polars as pl

from pipelines.publish.catalogue import load_catalogue
from pipelines.settings import get_settings


class PublicationResource(dg.ConfigurableResource):
    """Release folder root, analyst snapshot, catalogue seed and GX Data Docs paths."""

    publications_dir: str | None = None
    snapshot: str | None = None
    catalogue_path: str | None = None
    gx_docs_dir: str | None = None

    def gx_docs_path(self) -> Path:
        """GX Data Docs folder: this field, else ``OUTCOMES_GX_DOCS_DIR``, else ``gx_docs/``."""
        from pipelines.quality.suites import docs_dir

        return Path(self.gx_docs_dir) if self.gx_docs_dir else docs_dir()

    def publications_path(self) -> Path:
        return Path(self.publications_dir or get_settings().publications_dir)

    def snapshot_path(self) -> Path:
        return Path(self.snapshot or get_settings().snapshot)

    def catalogue(self) -> pl.DataFrame:
        return load_catalogue(Path(self.catalogue_path) if self.catalogue_path else None)


publication_resource = PublicationResource()
