"""Convergence properties: generated manifests and accounts, applied, must re-plan empty and be held."""
