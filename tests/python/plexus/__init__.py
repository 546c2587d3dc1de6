"""Plexus v1 in Python: an independent port written from spec/SPEC.md alone.

Modules: errors (registry), frame (header and stream binding), chunk (chunking
and reassembly), gzip (bounded inflate), body (JSON + attachments), catalogue
(message validation), codec (reader and writer), client (asyncio client).
"""
import os

SPEC_DIR = os.environ.get(
    "PLEXUS_SPEC_DIR",
    os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "spec"),
)
