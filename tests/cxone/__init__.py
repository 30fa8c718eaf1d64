"""Tests of reconciler/cxone/."""
