"""What comes in: the archive writer (gateway events), the export importer and stream, retention."""
