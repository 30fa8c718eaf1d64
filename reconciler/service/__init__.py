"""`reconciler serve`: the campaign control service on the engine and the tenant interface."""
