"""What users bring: layers, networks and their bridges (torch)."""
