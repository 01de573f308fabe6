"""Write use cases of billing, one module per concept."""
