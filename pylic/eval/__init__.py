"""Evaluation: metrics, image sets, classical baselines, RD curves and Bjontegaard deltas."""
