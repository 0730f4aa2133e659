"""factory_boy factories, one module per area; shared ones in base.py."""
