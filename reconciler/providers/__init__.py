"""One module per remote API, each an implementation of ``reconciler.tenant.Tenant``."""
