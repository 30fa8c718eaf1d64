"""Tests of reconciler/engine/."""
