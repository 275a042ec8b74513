"""What a run leaves behind: the gradebook (the one writer), CSV exports, feedback pages, the summary and its
picture, all written atomically (atomic)."""
