"""Graph model, op registry, file format and validation. No Qt, no training."""
