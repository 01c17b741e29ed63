"""Exact per-layer parameters, multiply-accumulates and activation sizes."""
