"""Ingestion of the five monthly deliveries: contracts, readers, quarantine, manifest, assets."""
