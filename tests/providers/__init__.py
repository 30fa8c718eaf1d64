"""Tests of reconciler/providers/."""
