"""Shipped model weights (see weights/*.json for each model's recipe and measured results)."""
