"""ingest/enrich"""
