"""ingest/normalize"""
