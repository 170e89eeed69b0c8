"""The linear-region enumerator."""
