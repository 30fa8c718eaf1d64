"""Tests of reconciler/spec/."""
