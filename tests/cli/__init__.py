"""Tests of reconciler/cli/."""
