"""Fingerprints and indexes for text, images and audio (see module docs)."""
