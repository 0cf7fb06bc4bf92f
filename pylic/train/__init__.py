"""Training: rate-distortion training (rd), data loading (data), checkpoints (checkpoint)."""
