"""Write use cases of the creators app, one module per concept."""
