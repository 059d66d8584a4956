"""Protocol layers, one small file per family."""
