"""Datasets, samples, fields and labels."""
