"""Tests of reconciler/service/."""
