"""The orphan sweep: files in storage that no row points at, left by a crash between file and row."""
