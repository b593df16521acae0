"""Classic architectures written with standard keras.layers only (no Lambda, no custom layers)."""
