"""Write use cases of campaigns, one module per concept."""
